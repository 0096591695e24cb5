import type { PortRange } from './port-slots';
import { FIRST_NAT_PORT, MAX_PORTS_PER_NETWORK_INTERFACE, NAT_PORT_COUNT } from './port-slots';

// --- dynamic port allocation (issue 17.4) ---------------------------------------------------

/**
 * A gateway's dynamic port allocation (GCP Cloud NAT's DPA): every NIC starts with `minPorts`
 * and its slot doubles (up to `maxPorts`) when its measured peak reaches `growAtPercent` of it,
 * and halves (down to `minPorts`) after `shrinkAfterSeconds` without any connection in use.
 */
export interface DynamicPortAllocation {
  readonly minPorts: number;
  readonly maxPorts: number;
  readonly growAtPercent: number;
  readonly shrinkAfterSeconds: number;
}

/** GCP's default minimum (32 ports per VM). */
export const DEFAULT_DPA_MIN_PORTS = 32;
/** GCP's default maximum is 65536; natgw's largest slot is 32768 (one must fit in 1024..65535). */
export const DEFAULT_DPA_MAX_PORTS = MAX_PORTS_PER_NETWORK_INTERFACE;
/** A slot grows when its peak reaches this share of its ports (the usual 80% alert line). */
export const DEFAULT_DPA_GROW_AT_PERCENT = 80;
/** A slot shrinks after this long without a connection in use. */
export const DEFAULT_DPA_SHRINK_AFTER_SECONDS = 600;
/**
 * How long the old block of a NIC that grew by moving (its buddy was taken) stays reserved for
 * its existing connections: AWS's default drain (MaxDrainDurationSeconds), as for a drained IP.
 */
export const DPA_MOVED_BLOCK_RETIRE_SECONDS = 350;
/** Bounds of growAtPercent and shrinkAfterSeconds (inclusive). */
export const DPA_GROW_AT_PERCENT_BOUNDS = { min: 1, max: 100 } as const;
export const DPA_SHRINK_AFTER_SECONDS_BOUNDS = { min: 10, max: 86_400 } as const;

function isPortBlockSize(n: number): boolean {
  return (
    Number.isInteger(n) && n >= 1 && n <= MAX_PORTS_PER_NETWORK_INTERFACE && (n & (n - 1)) === 0
  );
}

/** The problems with a DPA configuration; empty when it is valid. */
export function validateDynamicPortAllocation(config: DynamicPortAllocation): string[] {
  const problems: string[] = [];
  for (const [name, value] of [
    ['minPorts', config.minPorts],
    ['maxPorts', config.maxPorts],
  ] as const) {
    if (!isPortBlockSize(value))
      problems.push(
        `${name} ${value} must be a power of 2 between 1 and ${MAX_PORTS_PER_NETWORK_INTERFACE}`,
      );
  }
  if (problems.length === 0 && config.minPorts > config.maxPorts)
    problems.push(`minPorts ${config.minPorts} must not exceed maxPorts ${config.maxPorts}`);
  for (const [name, bounds] of [
    ['growAtPercent', DPA_GROW_AT_PERCENT_BOUNDS],
    ['shrinkAfterSeconds', DPA_SHRINK_AFTER_SECONDS_BOUNDS],
  ] as const) {
    const value = config[name];
    if (!Number.isInteger(value) || value < bounds.min || value > bounds.max)
      problems.push(`${name} ${value} must be an integer in ${bounds.min}..${bounds.max}`);
  }
  return problems;
}

/**
 * The measured usage of the slot a NIC holds, folded from the nodes' NATPortUsageReported. It
 * counts only for the very slot it was measured on (same IP and ports): a resized slot waits for
 * its own report, so one report never grows a NIC twice.
 */
export interface SlotUsage {
  readonly ip: string;
  readonly port: number;
  readonly endPort: number;
  /** The highest in-use count of the report's window (toward the busiest destination). */
  readonly peak: number;
  /** Since when (ms since the epoch) no connection used the slot; absent while one does. */
  readonly idleSince?: number;
}

/**
 * A DPA slot: an aligned power-of-two block of [minPorts, maxPorts] ports on the 1024..65535
 * grid. Returns its first unit (a unit is minPorts ports) and how many units it spans, or
 * undefined when the range is no such block.
 */
export function dynamicSlotUnits(
  range: PortRange,
  config: Pick<DynamicPortAllocation, 'minPorts' | 'maxPorts'>,
): { first: number; count: number } | undefined {
  const size = range.endPort - range.port + 1;
  const offset = range.port - FIRST_NAT_PORT;
  if (!isPortBlockSize(size) || size < config.minPorts || size > config.maxPorts) return undefined;
  if (!Number.isInteger(offset) || offset < 0 || offset % size !== 0) return undefined;
  if (offset + size > NAT_PORT_COUNT) return undefined;
  return { first: offset / config.minPorts, count: size / config.minPorts };
}

/** What the usage asks of a slot: twice its ports, half of them, or nothing. */
export type ResizeWish = 'Grow' | 'Shrink';

/**
 * Grow when the slot's measured peak reached growAtPercent of its ports and it is below
 * maxPorts; shrink when no connection used it for shrinkAfterSeconds (by `now`) and it is above
 * minPorts. Usage measured on another slot (or none) asks nothing.
 */
export function resizeWish(
  slot: { readonly ip: string } & PortRange,
  usage: SlotUsage | undefined,
  config: DynamicPortAllocation,
  now: number | undefined,
): ResizeWish | undefined {
  if (
    usage === undefined ||
    usage.ip !== slot.ip ||
    usage.port !== slot.port ||
    usage.endPort !== slot.endPort
  )
    return undefined;
  const size = slot.endPort - slot.port + 1;
  if (size < config.maxPorts && usage.peak >= Math.ceil((size * config.growAtPercent) / 100))
    return 'Grow';
  if (
    size > config.minPorts &&
    usage.peak === 0 &&
    usage.idleSince !== undefined &&
    now !== undefined &&
    now - usage.idleSince >= config.shrinkAfterSeconds * 1000
  )
    return 'Shrink';
  return undefined;
}

/** The aligned block of `size` ports that contains `range` (its buddy-style parent or child). */
export function alignedBlockAt(port: number, size: number): PortRange {
  const start = FIRST_NAT_PORT + Math.floor((port - FIRST_NAT_PORT) / size) * size;
  return { port: start, endPort: start + size - 1 };
}
// --- end dynamic port allocation ------------------------------------------------------------

/**
 * When a slot of these becomes due to shrink with no further report (ms), or undefined: the
 * earliest idleSince + shrinkAfterSeconds of a slot above minPorts whose usage was measured on
 * it and is idle. The allocator looks at the gateway again then (reports come only on change).
 */
export function nextShrinkDue(
  slots: Iterable<{ readonly nicUid: string; readonly ip: string } & PortRange>,
  usage: ReadonlyMap<string, SlotUsage>,
  config: DynamicPortAllocation,
): number | undefined {
  let next: number | undefined;
  for (const slot of slots) {
    const u = usage.get(slot.nicUid);
    if (u?.idleSince === undefined || u.peak !== 0) continue;
    if (u.ip !== slot.ip || u.port !== slot.port || u.endPort !== slot.endPort) continue;
    if (slot.endPort - slot.port + 1 <= config.minPorts) continue;
    const due = u.idleSince + config.shrinkAfterSeconds * 1000;
    if (next === undefined || due < next) next = due;
  }
  return next;
}
