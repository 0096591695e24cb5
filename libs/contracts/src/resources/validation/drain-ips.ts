import { StatusCause } from '../k8s-status';
import { fieldError } from './field-errors';
import { parseIP } from './ip';

// --- drain (issue 17.1): spec.drainIPs ------------------------------------------------------

/** One entry of spec.drainIPs: a public IP of the gateway to drain, and how long. */
export interface DrainIP {
  ip: string;
  deadlineSeconds: number;
}

/** AWS's default MaxDrainDurationSeconds. */
export const DEFAULT_DRAIN_DEADLINE_SECONDS = 350;
/** The longest drain: a day. */
export const MAX_DRAIN_DEADLINE_SECONDS = 86_400;
/** More entries than a gateway may hold IPs would name IPs it cannot have. */
export const MAX_DRAIN_IPS = 64;

const ENTRY_FIELDS = new Set(['ip', 'deadlineSeconds']);

/** The canonical spelling of an address (`2001:db8::1`), or undefined when it is none. */
export function canonicalDrainIP(value: string): string | undefined {
  return parseIP(value)?.address.toString();
}

/**
 * The static rules of spec.drainIPs, entry by entry (`spec.drainIPs[1].ip`): an object with a
 * valid `ip` and an optional integer `deadlineSeconds` in 0..86400, no other field, no address
 * twice. Whether the gateway holds the address is checked against its status at the write
 * (drainIPsNotHeld).
 */
export function drainIPsProblems(field: string, value: unknown): StatusCause[] {
  const causes: StatusCause[] = [];
  const entries = value as unknown[];
  if (entries.length > MAX_DRAIN_IPS)
    return [fieldError.tooMany(field, entries.length, MAX_DRAIN_IPS)];
  const seen = new Map<string, number>();
  entries.forEach((entry, i) => {
    const at = `${field}[${i}]`;
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      causes.push(fieldError.typeInvalid(at, entry, 'object'));
      return;
    }
    const { ip, deadlineSeconds } = entry as Record<string, unknown>;
    for (const key of Object.keys(entry)) {
      if (!ENTRY_FIELDS.has(key)) causes.push(fieldError.unknown(`${at}.${key}`));
    }
    if (ip === undefined || ip === '') {
      causes.push(fieldError.required(`${at}.ip`, 'must name the public IP to drain'));
    } else if (typeof ip !== 'string') {
      causes.push(fieldError.typeInvalid(`${at}.ip`, ip, 'string'));
    } else {
      const canonical = canonicalDrainIP(ip);
      if (canonical === undefined) {
        causes.push(
          fieldError.invalid(`${at}.ip`, ip, 'must be a valid IP address, e.g. 203.0.113.5'),
        );
      } else if (seen.has(canonical)) {
        causes.push(
          fieldError.duplicate(
            `${at}.ip`,
            ip,
            `spec.drainIPs[${seen.get(canonical)}] already drains it`,
          ),
        );
      } else seen.set(canonical, i);
    }
    if (deadlineSeconds !== undefined) {
      if (typeof deadlineSeconds !== 'number' || !Number.isInteger(deadlineSeconds)) {
        causes.push(fieldError.typeInvalid(`${at}.deadlineSeconds`, deadlineSeconds, 'integer'));
      } else if (deadlineSeconds < 0 || deadlineSeconds > MAX_DRAIN_DEADLINE_SECONDS) {
        causes.push(
          fieldError.invalid(
            `${at}.deadlineSeconds`,
            deadlineSeconds,
            `must be between 0 and ${MAX_DRAIN_DEADLINE_SECONDS} (a day)`,
          ),
        );
      }
    }
  });
  return causes;
}

/** spec.drainIPs with defaults and canonical addresses (the input passed drainIPsProblems). */
export function drainIPsFrom(value: unknown): DrainIP[] {
  return (value as Array<{ ip: string; deadlineSeconds?: number }>).map((entry) => ({
    ip: canonicalDrainIP(entry.ip) ?? entry.ip,
    deadlineSeconds: entry.deadlineSeconds ?? DEFAULT_DRAIN_DEADLINE_SECONDS,
  }));
}

/**
 * The entries that name an address the gateway does not hold: every entry a write adds must be
 * one of the gateway's public IPs (status.ips, active or draining) when the write is made. An
 * entry the stored spec already has stays valid after its IP is released (status.ips shows it
 * Released). A create holds no IP yet, so it cannot drain any.
 */
export function drainIPsNotHeld(
  spec: { drainIPs?: DrainIP[] },
  stored?: { spec?: unknown; status?: unknown },
): StatusCause[] {
  const listed = new Set(
    ((stored?.spec as { drainIPs?: DrainIP[] } | undefined)?.drainIPs ?? []).map((d) => d.ip),
  );
  const statusIps = (stored?.status as { ips?: Array<{ ip: string; state?: string }> } | undefined)
    ?.ips;
  const held = (statusIps ?? []).filter((e) => e.state !== 'Released').map((e) => e.ip);
  const causes: StatusCause[] = [];
  (spec.drainIPs ?? []).forEach((entry, i) => {
    if (listed.has(entry.ip) || held.includes(entry.ip)) return;
    causes.push(
      fieldError.invalid(
        `spec.drainIPs[${i}].ip`,
        entry.ip,
        held.length === 0
          ? "must be one of the gateway's public IPs (status.ips), and it holds none"
          : `must be one of the gateway's public IPs (status.ips: ${held.join(', ')})`,
      ),
    );
  });
  return causes;
}
// --- end drain ---------------------------------------------------------------------------------
