import type { NatRule } from '@natgw/domain';

/** Why a backend left one rule of the desired table out (every other rule was programmed). */
export type NatRuleRejectionReason =
  /** Another NIC on the node uses the same private address in the same address space. */
  | 'AddressConflict'
  /** The rule's port range on its NAT IP overlaps another NIC's. */
  | 'SlotConflict'
  /** The rule is malformed (address, ports, family), or the NIC has two rules for one family. */
  | 'InvalidRule'
  /** The network's interface (DATAPLANE_NETWORK_INTERFACE) is missing on the node. */
  | 'NetworkInterfaceMissing';

/** One rule that a backend could not program, and why; the NIC gets NATProgrammed=False. */
export interface RejectedNatRule {
  readonly rule: NatRule;
  readonly reason: NatRuleRejectionReason;
  readonly message: string;
}

/** What an apply did: every desired rule is in effect except the rejected ones. */
export interface NatApplyResult {
  readonly rejected: readonly RejectedNatRule[];
}

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
  apply(desired: readonly NatRule[]): Promise<NatApplyResult>;

  /**
   * The rules actually in effect, read back from the dataplane (never from memory of what was
   * applied), in sortNatRules order. A missing table reads as empty. Compare with diffNatRules.
   */
  read(): Promise<NatRule[]>;

  /** Deletes everything this backend owns in the dataplane; a no-op when nothing is there. */
  remove(): Promise<void>;
}
