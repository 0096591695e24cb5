import type { NatRule } from '@natgw/domain';
import {
  type ConntrackListing,
  type ConntrackProcessOptions,
  conntrackEntries,
  parseConntrackStats,
  runConntrack,
} from '../conntrack';
import { countSlotUsage, type UsageCount } from './count-slot-usage';
import { SlotIndex } from './slot-index';

/** One count of a node's conntrack table. */
export interface PortUsageSample {
  readonly index: SlotIndex;
  readonly count: UsageCount;
  /** The kernel's `insert_failed` total (`conntrack -S`, all CPUs). */
  readonly insertFailed: number;
  readonly seconds: number;
  readonly listing: ConntrackListing;
}

/**
 * Counts the conntrack entries of DATAPLANE_NETNS per NIC slot: one `conntrack -L -o extended`
 * streamed through the parser (nothing is held but per-slot counters) and one `conntrack -S`.
 */
export class PortUsageMeter {
  constructor(private readonly options: ConntrackProcessOptions = {}) {}

  async sample(rules: readonly NatRule[]): Promise<PortUsageSample> {
    const started = process.hrtime.bigint();
    const index = new SlotIndex(rules);
    const listing: ConntrackListing = { malformed: 0, problems: [] };
    const count = await countSlotUsage(
      conntrackEntries(['-L', '-o', 'extended'], { timeoutMs: 120_000, ...this.options }, listing),
      index,
    );
    const stats = parseConntrackStats(await runConntrack(['-S'], this.options));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return { index, count, insertFailed: stats.insertFailed, seconds, listing };
  }
}
