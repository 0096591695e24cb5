import type { NatRule } from '@natgw/domain';
import type { SlotCount, UsageCount } from './count-slot-usage';
import type { SlotIndex, UsageSlot } from './slot-index';

/** One NIC slot's usage as the node last measured it. */
export interface SlotUsage {
  readonly rule: NatRule;
  readonly size: number;
  readonly connections: number;
  readonly inUse: number;
  /** The highest inUse of the samples in the last window. */
  readonly peak: number;
  readonly exhausted: boolean;
  /** The destination inUse counts (the count's busiest one), when the slot has connections. */
  readonly destination?: SlotCount['destination'];
}

interface Tracked {
  rule: NatRule;
  size: number;
  /** Samples that can still become the window's peak: times ascending, values descending. */
  peaks: Array<{ at: number; value: number }>;
  current?: SlotUsage;
  reported?: SlotUsage;
}

function isIdle(usage: SlotUsage | undefined): boolean {
  return !usage || (usage.inUse === 0 && usage.peak === 0 && !usage.exhausted);
}

/** A slot's identity: a NIC may hold more than one slot (a retiring one beside the active one). */
export function slotKey(rule: NatRule): string {
  return `${rule.nicUid}|${rule.family}|${rule.natIp}|${rule.port}|${rule.endPort}`;
}

/**
 * The smallest change in inUse or peak worth a report: one port for slots up to 64 ports, then
 * 1/64 of the slot (32 ports of 2,048). Exhaustion coming or going, and usage reaching or leaving
 * zero, are always reported.
 */
export function reportStep(size: number): number {
  return Math.max(1, Math.floor(size / 64));
}

function worthReporting(now: SlotUsage, last: SlotUsage | undefined): boolean {
  if (!last) return now.inUse > 0 || now.peak > 0 || now.exhausted;
  const step = reportStep(now.size);
  return (
    now.exhausted !== last.exhausted ||
    (now.inUse === 0) !== (last.inUse === 0) ||
    (now.peak === 0) !== (last.peak === 0) ||
    Math.abs(now.inUse - last.inUse) >= step ||
    Math.abs(now.peak - last.peak) >= step
  );
}

/**
 * Keeps each slot's recent peak (a sliding-window maximum over `windowMs`) and what was last
 * reported, so a report holds only the slots whose usage changed. Pure: time is passed in.
 */
export class UsageTracker {
  private readonly tracked = new Map<string, Tracked>();

  constructor(readonly windowMs: number) {}

  /**
   * Takes one count. Every programmed slot gets a sample (0 when no entry was seen), but only
   * slots with some usage, peak or unreported change are held: 50,000 quiet NICs cost nothing
   * per pass. Slots no longer programmed are forgotten. Returns the slots that became exhausted.
   */
  observe(now: number, index: SlotIndex, count: UsageCount): SlotUsage[] {
    const newlyExhausted: SlotUsage[] = [];
    const touched = new Set<string>();
    const sample = (t: Tracked, slot: UsageSlot, c: SlotCount | undefined) => {
      t.rule = slot.rule;
      const inUse = c?.inUse ?? 0;
      while (t.peaks.length > 0 && t.peaks[t.peaks.length - 1].value <= inUse) t.peaks.pop();
      t.peaks.push({ at: now, value: inUse });
      while (t.peaks.length > 1 && t.peaks[0].at <= now - this.windowMs) t.peaks.shift();
      const usage: SlotUsage = {
        rule: slot.rule,
        size: slot.size,
        connections: c?.connections ?? 0,
        inUse,
        peak: t.peaks[0].value,
        exhausted: c?.exhausted ?? false,
        ...(c?.destination !== undefined ? { destination: c.destination } : {}),
      };
      if (usage.exhausted && !t.current?.exhausted) newlyExhausted.push(usage);
      t.current = usage;
    };
    for (const [slot, c] of count.bySlot) {
      const key = slotKey(slot.rule);
      touched.add(key);
      let t = this.tracked.get(key);
      if (!t) {
        t = { rule: slot.rule, size: slot.size, peaks: [] };
        this.tracked.set(key, t);
      }
      sample(t, slot, c);
    }
    for (const [key, t] of this.tracked) {
      if (touched.has(key)) continue;
      const slot = index.find(t.rule.natIp, t.rule.port);
      if (!slot || slotKey(slot.rule) !== key) {
        this.tracked.delete(key);
        continue;
      }
      sample(t, slot, undefined);
      // Idle, peak gone and idle as last reported: nothing left to say about it.
      if (t.current?.peak === 0 && isIdle(t.reported)) this.tracked.delete(key);
    }
    return newlyExhausted;
  }

  /** The current usage of every slot with some usage or recent peak (the others are idle). */
  current(): SlotUsage[] {
    return [...this.tracked.values()].flatMap((t) => (t.current ? [t.current] : []));
  }

  /** The slots whose usage changed enough since they were last reported (see reportStep). */
  changed(): SlotUsage[] {
    return [...this.tracked.values()].flatMap((t) =>
      t.current && worthReporting(t.current, t.reported) ? [t.current] : [],
    );
  }

  /** Remembers these slots as reported (after the report was appended). */
  markReported(slots: readonly SlotUsage[]): void {
    for (const usage of slots) {
      const t = this.tracked.get(slotKey(usage.rule));
      if (t) t.reported = usage;
    }
  }
}
