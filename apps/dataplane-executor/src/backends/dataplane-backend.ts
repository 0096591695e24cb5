import type { NatRule, RejectedNatRule } from '@natgw/domain';

// The reasons and the rejected-rule shape are the domain's (partitionNatRules decides them for
// every backend alike); re-exported here as part of the backend contract.
export type { NatRuleRejectionReason, RejectedNatRule } from '@natgw/domain';

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
   * Makes the dataplane hold exactly the programmable part of `desired` in one atomic step:
   * either that whole table is in effect afterwards or nothing changed. Rules that cannot be
   * programmed (malformed, clashing, network interface missing: partitionNatRules, the same model
   * in every backend) are left out and returned in `rejected`; every other rule is programmed.
   * Throws DataplaneApplyError only when the dataplane refused the change.
   */
  apply(desired: readonly NatRule[]): Promise<NatApplyResult>;

  /**
   * The rules actually in effect, read back from the dataplane (never from memory of what was
   * applied), in sortNatRules order. A missing table reads as empty. Compare with diffNatRules.
   */
  read(): Promise<NatRule[]>;

  /** Deletes everything this backend owns in the dataplane; a no-op when nothing is there. */
  remove(): Promise<void>;

  /**
   * Optional, for backends that can tell cheaply: true when the dataplane certainly still holds
   * exactly what the last apply or read left there (nobody else changed it), so read() would find
   * nothing new. False whenever in doubt. Without it, callers read back on every pass.
   */
  unchangedSinceLastSync?(): Promise<boolean>;

  /** Optional: releases what the backend holds open (watch processes); the dataplane stays. */
  close?(): Promise<void>;
}
