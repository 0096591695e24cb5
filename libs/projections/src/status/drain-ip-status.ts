import { compareIps } from '@natgw/domain';

/** How a public IP of a NATGateway stands (status.ips[].state). */
export type GatewayIpState = 'Active' | 'Draining' | 'Released';

/** One entry of NATGateway status.ips. */
export interface GatewayIpEntry {
  name: string;
  ip: string;
  state: GatewayIpState;
  /** Draining: when the IP and its retiring slots are released (RFC 3339). */
  drainDeadline?: string;
  /** Released: when a drain gave the IP back to the pool. */
  releasedAt?: string;
}

type Status = Record<string, unknown>;

function entriesOf(status: Status): GatewayIpEntry[] {
  return ((status.ips as Array<Partial<GatewayIpEntry> & { ip: string }> | undefined) ?? []).map(
    (entry) => ({ ...entry, name: entry.name ?? '', state: entry.state ?? 'Active' }),
  );
}

/**
 * status.ips as the seed named them (`ip1`, `ip2`, ... in address order) for the IPs the
 * gateway holds, active or draining, followed by the IPs a drain released (while
 * spec.drainIPs still lists them), named `released1`, ... in address order.
 */
function named(entries: GatewayIpEntry[]): GatewayIpEntry[] {
  const held = entries.filter((e) => e.state !== 'Released').sort((a, b) => compareIps(a.ip, b.ip));
  const released = entries
    .filter((e) => e.state === 'Released')
    .sort((a, b) => compareIps(a.ip, b.ip));
  return [
    ...held.map((e, i) => ({ ...e, name: `ip${i + 1}` })),
    ...released.map((e, i) => ({ ...e, name: `released${i + 1}` })),
  ];
}

/** Writes status.ips after changing the entry of one IP (undefined removes it). */
export function setGatewayIp(
  status: Status,
  ip: string,
  next: (entry: GatewayIpEntry | undefined) => Omit<GatewayIpEntry, 'name'> | undefined,
): void {
  const entries = entriesOf(status);
  const current = entries.find((e) => e.ip === ip);
  const updated = next(current);
  const others = entries.filter((e) => e.ip !== ip);
  status.ips = named(updated === undefined ? others : [...others, { ...updated, name: '' }]);
}

/** Drops the Released entries of IPs that spec.drainIPs no longer lists. */
export function pruneReleasedIps(status: Status, drainIPs: unknown): void {
  const listed = new Set(
    (Array.isArray(drainIPs) ? drainIPs : []).map((d: { ip?: unknown }) => String(d?.ip)),
  );
  const entries = entriesOf(status);
  const kept = entries.filter((e) => e.state !== 'Released' || listed.has(e.ip));
  if (kept.length !== entries.length) status.ips = named(kept);
}

/** The IPs the gateway holds (active or draining). */
export function heldIps(status: Status): string[] {
  return entriesOf(status)
    .filter((e) => e.state !== 'Released')
    .map((e) => e.ip);
}

/** The IPs that take new slots. */
export function activeIps(status: Status): string[] {
  return entriesOf(status)
    .filter((e) => e.state === 'Active')
    .map((e) => e.ip);
}
