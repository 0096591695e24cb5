import type { NatRule } from '@natgw/domain';
import {
  type ConntrackProcessOptions,
  conntrackLines,
  parseConntrackStats,
  parseReplyTuple,
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
}

/**
 * Counts the conntrack entries of DATAPLANE_NETNS per NIC slot: one `conntrack -L -o extended`
 * streamed through the reply-tuple reader (nothing is held but per-slot counters) and one
 * `conntrack -S`. The slot index is rebuilt only when the rules change.
 */
export class PortUsageMeter {
  private index?: { rules: readonly NatRule[]; index: SlotIndex };

  constructor(private readonly options: ConntrackProcessOptions = {}) {}

  async sample(rules: readonly NatRule[]): Promise<PortUsageSample> {
    const started = process.hrtime.bigint();
    if (this.index?.rules !== rules) this.index = { rules, index: new SlotIndex(rules) };
    const index = this.index.index;
    const lines = conntrackLines(['-L', '-o', 'extended'], { timeoutMs: 120_000, ...this.options });
    const count = await countSlotUsage(mapLines(lines), index);
    const stats = parseConntrackStats(await runConntrack(['-S'], this.options));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return { index, count, insertFailed: stats.insertFailed, seconds };
  }
}

async function* mapLines(lines: AsyncIterable<string>) {
  for await (const line of lines) yield parseReplyTuple(line);
}
