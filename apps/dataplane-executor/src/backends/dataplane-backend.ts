import type { NatRule } from '@natgw/domain';

/**
 * A node's NAT dataplane, narrowed to what both nftables and a future dpservice gRPC backend
 * (CreateNat / GetNat / DeleteNat / ListLocalNats) can do. Desired state is always a whole table:
 * backends sync to it, so a call is idempotent and repairs any drift.
 */
export interface DataplaneBackend {
  /** Short name for logs and metrics, e.g. `nftables`. */
  readonly name: string;

  /**
   * Makes the dataplane hold exactly `desired` (one rule per NIC and family) in one atomic step:
   * either the whole table is in effect afterwards or nothing changed. Throws
   * DataplaneRulesRejectedError before touching anything when the table is not programmable, and
   * DataplaneApplyError when the dataplane refused it.
   */
  apply(desired: readonly NatRule[]): Promise<void>;

  /**
   * The rules actually in effect, read back from the dataplane (never from memory of what was
   * applied), in sortNatRules order. A missing table reads as empty. Compare with diffNatRules.
   */
  read(): Promise<NatRule[]>;

  /** Deletes everything this backend owns in the dataplane; a no-op when nothing is there. */
  remove(): Promise<void>;
}
