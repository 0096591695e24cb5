import { DataSource } from 'typeorm';
import { EventMetadata } from '@natgw/contracts';
import { diffNatRules, NatRule, NatRuleDiff } from '@natgw/domain';
import { PostgresEventStore } from '@natgw/event-store';
import {
  ALL_NODES,
  NAT_TABLE_PROGRAMMED,
  type NodeNatGateway,
  readNodeNatTable,
} from '@natgw/projections';
import type { DataplaneBackend, RejectedNatRule } from '../backends';
import {
  DATAPLANE_APPLY_FAILED,
  DRIFT_DETECTED,
  DRIFT_REPAIRED,
  NAT_RULES_REJECTED,
} from './dataplane-events';
import { LISTED_REJECTIONS, rejectedNics, rejectionsKey, withoutRejected } from './rejected-rules';

export const EXECUTOR_SOURCE = '/natgw/dataplane-executor';

/** How many rules a drift event lists by value; the counts are always complete. */
const LISTED_RULES = 50;

/** The log stream of one node's dataplane. */
export function dataplaneStreamId(node: string): string {
  return `dataplane:${node === ALL_NODES ? 'all-nodes' : node}`;
}

function isEmpty(diff: NatRuleDiff): boolean {
  return diff.missing.length === 0 && diff.extra.length === 0 && diff.changed.length === 0;
}

function summarize(diff: NatRuleDiff) {
  return {
    missing: diff.missing.length,
    extra: diff.extra.length,
    changed: diff.changed.length,
    missingRules: diff.missing.slice(0, LISTED_RULES),
    extraRules: diff.extra.slice(0, LISTED_RULES),
    changedRules: diff.changed.slice(0, LISTED_RULES),
  };
}

function sameVersions(a: Record<string, number> | undefined, b: Record<string, number>): boolean {
  if (!a) return false;
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/** The rule without its network: in shared mode every NIC is in the node's one address space. */
function withoutVni(rule: NatRule): NatRule {
  if (rule.vni === undefined) return rule;
  const { vni: _vni, ...shared } = rule;
  return shared;
}

/** What one pass did, for logs, metrics and tests. */
export interface ReconcileResult {
  drift: boolean;
  applied: boolean;
  rules: number;
  /** Rules the backend left out in the last apply (retried on every pass while any remain). */
  rejected: number;
}

/** Hooks for metrics, and the node's address model. */
export interface DataplaneReconcilerOptions {
  drift?: () => void;
  repaired?: () => void;
  /**
   * Network mode (DATAPLANE_NETWORK_INTERFACE set): rules keep their network's VNI. Otherwise
   * the VNI is dropped and the node is one address space.
   */
  perNetwork?: boolean;
  /**
   * A version of the desired table's source (the nat-slots projection's checkpoint). While it is
   * what it was when the table was last read, the table is not read again (until a verification
   * is due). Without it, every pass reads the table.
   */
  desiredVersion?: () => string;
  /**
   * How often the dataplane is read back and the desired table re-read even when nothing says
   * they changed (DATAPLANE_VERIFY_SECONDS); 300 s by default.
   */
  verifyIntervalMs?: number;
  /** The clock, for tests. */
  now?: () => number;
}

const DEFAULT_VERIFY_INTERVAL_MS = 300_000;

/**
 * Keeps one node's dataplane equal to the log. Desired state: the node's rules
 * from the nat-slots projection. Actual state: read back from the backend.
 * Anything that differs from what this executor last applied is drift: it is
 * recorded (DriftDetected), repaired in one atomic apply, and confirmed by a
 * second read (DriftRepaired). After programming, the node reports which
 * allocation version of each gateway it now serves (NATTableProgrammed).
 *
 * A backend programs every valid rule and returns the ones it could not program
 * (an address clash, a missing network interface): those are not drift (what the
 * last apply left in effect is compared with the read-back), are retried on every
 * pass while any remain (a clash may clear), and are recorded (NATRulesRejected)
 * and reported (NATTableProgrammed.rejected) only when the set changes.
 */
export class DataplaneReconciler {
  /** What the last apply left in effect: the desired rules minus the rejected ones. */
  private lastApplied?: NatRule[];
  private lastRejected: readonly RejectedNatRule[] = [];
  private lastReported?: { gateways: Record<string, number>; rejections: string };
  private lastRecordedRejections = rejectionsKey([]);
  private lastFailure?: string;
  /** The desired table last read, and the version of its source then. */
  private lastDesired?: {
    version: string | undefined;
    table: Awaited<ReturnType<typeof readNodeNatTable>>;
  };
  /** When the dataplane was last read back. */
  private lastVerifiedAt?: number;

  constructor(
    private readonly dataSource: DataSource,
    private readonly store: PostgresEventStore,
    private readonly backend: DataplaneBackend,
    readonly node: string,
    private readonly options: DataplaneReconcilerOptions = {},
  ) {}

  /** The node name for readNodeNatTable: undefined in single-node mode. */
  /** The rules in effect since the last pass (the desired ones minus the rejected), or none yet. */
  get programmedRules(): readonly NatRule[] {
    return this.lastApplied ?? [];
  }

  /** The gateways of the desired table last read (spec.logging; issue 17.5), by uid. */
  get desiredGateways(): Readonly<Record<string, NodeNatGateway>> {
    return this.lastDesired?.table.gateways ?? {};
  }

  private get nodeFilter(): string | undefined {
    return this.node === ALL_NODES ? undefined : this.node;
  }

  /** The node's desired table, in the node's address model. */
  private async desiredTable() {
    const table = await readNodeNatTable(this.dataSource.manager, this.nodeFilter);
    return this.options.perNetwork ? table : { ...table, rules: table.rules.map(withoutVni) };
  }

  async reconcile(reason: string): Promise<ReconcileResult> {
    const now = (this.options.now ?? Date.now)();
    const verifyDue =
      this.lastVerifiedAt === undefined ||
      now - this.lastVerifiedAt >= (this.options.verifyIntervalMs ?? DEFAULT_VERIFY_INTERVAL_MS);
    // The version is taken before the read: a change during the read makes the next pass read again.
    const version = this.options.desiredVersion?.();
    const cached = this.lastDesired;
    const desiredSame =
      !verifyDue && cached !== undefined && version !== undefined && cached.version === version;
    const desired = desiredSame ? cached.table : await this.desiredTable();
    this.lastDesired = { version, table: desired };
    // Read back only when the backend cannot vouch that nobody touched the dataplane since the
    // last apply or read (an nft monitor watching the ruleset), and on the verification schedule.
    const lastApplied = this.lastApplied;
    const trusted =
      lastApplied !== undefined &&
      !verifyDue &&
      (await this.backend.unchangedSinceLastSync?.()) === true;
    if (trusted && desiredSame && this.lastRejected.length === 0) {
      // Nothing changed on either side: nothing to compare, apply or report.
      return { drift: false, applied: false, rules: desired.rules.length, rejected: 0 };
    }
    const actual = trusted ? lastApplied : await this.backend.read();
    if (!trusted) this.lastVerifiedAt = now;
    // At start nothing was applied by us yet: any difference from the log counts as drift.
    const drift = diffNatRules(this.lastApplied ?? desired.rules, actual);
    const metadata: EventMetadata = {
      source: EXECUTOR_SOURCE,
      correlationId: `reconcile:${reason}`,
    };
    const stream = dataplaneStreamId(this.node);
    const drifted = !isEmpty(drift);
    if (drifted) {
      this.options.drift?.();
      await this.store.append(stream, [
        {
          type: DRIFT_DETECTED,
          data: { node: this.node, reason, ...summarize(drift) },
          metadata,
        },
      ]);
    }
    // The rules rejected last time are not missing (the dataplane refused them), but they are
    // retried on every pass while any remain: the clash may have cleared.
    const change = diffNatRules(withoutRejected(desired.rules, this.lastRejected), actual);
    let applied = false;
    if (!isEmpty(change) || this.lastRejected.length > 0) {
      try {
        const result = await this.backend.apply(desired.rules);
        this.lastRejected = result.rejected;
        applied = true;
        this.lastFailure = undefined;
      } catch (err) {
        const message = (err as Error).message;
        if (message !== this.lastFailure) {
          this.lastFailure = message;
          await this.store.append(stream, [
            {
              type: DATAPLANE_APPLY_FAILED,
              data: { node: this.node, reason, error: message.slice(0, 4000) },
              metadata,
            },
          ]);
        }
        throw err;
      }
    }
    const programmed = withoutRejected(desired.rules, this.lastRejected);
    this.lastApplied = programmed;
    const rejected = rejectedNics(this.lastRejected);
    const rejections = rejectionsKey(rejected);
    if (rejections !== this.lastRecordedRejections) {
      // Only a change is recorded: the same clash on every pass is one event, not one per pass.
      if (rejected.length > 0) {
        await this.store.append(stream, [
          {
            type: NAT_RULES_REJECTED,
            data: {
              node: this.node,
              reason,
              count: rejected.length,
              rejected: rejected.slice(0, LISTED_REJECTIONS),
            },
            metadata,
          },
        ]);
      }
      this.lastRecordedRejections = rejections;
    }
    if (drifted) {
      const after = diffNatRules(programmed, await this.backend.read());
      if (isEmpty(after)) {
        this.options.repaired?.();
        await this.store.append(stream, [
          {
            type: DRIFT_REPAIRED,
            data: {
              node: this.node,
              reason,
              missing: drift.missing.length,
              extra: drift.extra.length,
              changed: drift.changed.length,
            },
            metadata,
          },
        ]);
      }
    }
    if (
      !sameVersions(this.lastReported?.gateways, desired.gatewayVersions) ||
      this.lastReported?.rejections !== rejections
    ) {
      await this.store.append(stream, [
        {
          type: NAT_TABLE_PROGRAMMED,
          data: {
            node: this.node,
            gateways: desired.gatewayVersions,
            rules: programmed.length,
            rejected: rejected.slice(0, LISTED_REJECTIONS),
          },
          metadata,
        },
      ]);
      this.lastReported = { gateways: desired.gatewayVersions, rejections };
    }
    return {
      drift: drifted,
      applied,
      rules: desired.rules.length,
      rejected: this.lastRejected.length,
    };
  }
}
