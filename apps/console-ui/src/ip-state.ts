import type { NATGatewayIP } from '@natgw/contracts';

/** How long until an instant, for people: `5m 48s left`, `42s left`, or `due`. */
function left(deadline: string, now: number): string {
  const seconds = Math.round((Date.parse(deadline) - now) / 1000);
  if (!Number.isFinite(seconds) || seconds <= 0) return 'due';
  const m = Math.floor(seconds / 60);
  return `${m > 0 ? `${m}m ${seconds % 60}s` : `${seconds}s`} left`;
}

/**
 * A public IP of a gateway as the console shows it (drain, issue 17.1): the address, and for a
 * draining IP the time left until its deadline, for one a drain released "released".
 */
export function ipLabel(ip: NATGatewayIP, now = Date.now()): string {
  if (ip.state === 'Draining' && ip.drainDeadline !== undefined)
    return `${ip.ip} (draining, ${left(ip.drainDeadline, now)})`;
  if (ip.state === 'Released') return `${ip.ip} (released)`;
  return ip.ip;
}
