import { DataSource } from 'typeorm';
import { EventMetadata } from '@natgw/contracts';
import { diffNatRules, NatRule, NatRuleDiff } from '@natgw/domain';
import { PostgresEventStore } from '@natgw/event-store';
import { ALL_NODES, NAT_TABLE_PROGRAMMED, readNodeNatTable } from '@natgw/projections';
import type { DataplaneBackend } from '../backends';
import { DATAPLANE_APPLY_FAILED, DRIFT_DETECTED, DRIFT_REPAIRED } from './dataplane-events';

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

/** What one pass did, for logs, metrics and tests. */
export interface ReconcileResult {
  drift: boolean;
  applied: boolean;
  rules: number;
}

/**
 * Keeps one node's dataplane equal to the log. Desired state: the node's rules
 * from the nat-slots projection. Actual state: read back from the backend.
 * Anything that differs from what this executor last applied is drift: it is
 * recorded (DriftDetected), repaired in one atomic apply, and confirmed by a
 * second read (DriftRepaired). After programming, the node reports which
 * allocation version of each gateway it now serves (NATTableProgrammed).
 */
export class DataplaneReconciler {
  private lastApplied?: NatRule[];
  private lastReported?: Record<string, number>;
  private lastFailure?: string;

  constructor(
    private readonly dataSource: DataSource,
    private readonly store: PostgresEventStore,
    private readonly backend: DataplaneBackend,
    readonly node: string,
    private readonly hooks: { drift?: () => void; repaired?: () => void } = {},
  ) {}

  /** The node name for readNodeNatTable: undefined in single-node mode. */
  private get nodeFilter(): string | undefined {
    return this.node === ALL_NODES ? undefined : this.node;
  }

  async reconcile(reason: string): Promise<ReconcileResult> {
    const desired = await readNodeNatTable(this.dataSource.manager, this.nodeFilter);
    const actual = await this.backend.read();
    // At start nothing was applied by us yet: any difference from the log counts as drift.
    const drift = diffNatRules(this.lastApplied ?? desired.rules, actual);
    const metadata: EventMetadata = {
      source: EXECUTOR_SOURCE,
      correlationId: `reconcile:${reason}`,
    };
    const stream = dataplaneStreamId(this.node);
    const drifted = !isEmpty(drift);
    if (drifted) {
      this.hooks.drift?.();
      await this.store.append(stream, [
        {
          type: DRIFT_DETECTED,
          data: { node: this.node, reason, ...summarize(drift) },
          metadata,
        },
      ]);
    }
    const change = diffNatRules(desired.rules, actual);
    let applied = false;
    if (!isEmpty(change)) {
      try {
        await this.backend.apply(desired.rules);
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
    this.lastApplied = desired.rules;
    if (drifted) {
      const after = diffNatRules(desired.rules, await this.backend.read());
      if (isEmpty(after)) {
        this.hooks.repaired?.();
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
    if (!sameVersions(this.lastReported, desired.gatewayVersions)) {
      await this.store.append(stream, [
        {
          type: NAT_TABLE_PROGRAMMED,
          data: { node: this.node, gateways: desired.gatewayVersions, rules: desired.rules.length },
          metadata,
        },
      ]);
      this.lastReported = desired.gatewayVersions;
    }
    return { drift: drifted, applied, rules: desired.rules.length };
  }
}
