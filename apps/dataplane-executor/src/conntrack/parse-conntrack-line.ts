import { canonicalIp } from '@natgw/domain';

/** One direction of a connection: addresses and ports (or the ICMP type, code and id). */
export interface ConntrackTuple {
  readonly src: string;
  readonly dst: string;
  /** TCP, UDP, SCTP, DCCP, UDP-Lite: the ports. */
  readonly sport?: number;
  readonly dport?: number;
  /** ICMP and ICMPv6: the message type, code and echo identifier. */
  readonly type?: number;
  readonly code?: number;
  readonly id?: number;
}

/** The event kinds `conntrack -E` prints in brackets. */
export type ConntrackEventKind = 'NEW' | 'UPDATE' | 'DESTROY';

/**
 * One line of `conntrack -L -o extended`, `conntrack -E -o extended[,timestamp]` or
 * /proc/net/nf_conntrack, parsed. Addresses are canonical (IPv6 in RFC 5952 spelling, as the
 * NAT rules have them), whatever the source printed.
 */
export interface ConntrackEntry {
  /** `conntrack -E`: what happened to the entry. */
  readonly event?: ConntrackEventKind;
  /** `conntrack -E -o timestamp`: when, in seconds since the epoch (microsecond precision). */
  readonly timestamp?: number;
  readonly family: 'IPv4' | 'IPv6';
  /** Lower-case protocol name as printed (`tcp`, `udp`, `icmp`, `icmpv6`, `unknown`, ...). */
  readonly protocol: string;
  readonly protocolNumber: number;
  /** Seconds left before the entry expires; absent on DESTROY events. */
  readonly timeout?: number;
  /** TCP (and SCTP, DCCP) state, e.g. `ESTABLISHED`, `TIME_WAIT`. */
  readonly state?: string;
  /** The connection as its first packet had it (the private source, before SNAT). */
  readonly original: ConntrackTuple;
  /** The reply direction: its destination is the NAT IP and the translated port. */
  readonly reply: ConntrackTuple;
  /** Bracketed flags: `ASSURED`, `UNREPLIED`, `OFFLOAD`, `HW_OFFLOAD`. */
  readonly flags: readonly string[];
  readonly mark?: number;
  /** The zone of both directions (`zone=`), or of one (`orig-zone=`, `reply-zone=`); 0 when absent. */
  readonly zone: number;
  readonly originalZone: number;
  readonly replyZone: number;
}

const FAMILIES: Record<string, ConntrackEntry['family']> = { ipv4: 'IPv4', ipv6: 'IPv6' };
const EVENTS = new Set<string>(['NEW', 'UPDATE', 'DESTROY']);
type NumberKey = 'sport' | 'dport' | 'type' | 'code' | 'id';
const TUPLE_KEYS = new Set(['src', 'dst', 'sport', 'dport', 'type', 'code', 'id']);

/** A line that is not a conntrack entry (a summary, an error); the message says which field. */
export class ConntrackParseError extends Error {
  constructor(
    readonly line: string,
    reason: string,
  ) {
    super(`conntrack line ${JSON.stringify(line.slice(0, 200))}: ${reason}`);
    this.name = 'ConntrackParseError';
  }
}

type MutableTuple = { -readonly [K in keyof ConntrackTuple]: ConntrackTuple[K] };

/** IPv6 spellings seen lately, canonicalized once (a node's entries share few addresses). */
const ipv6Cache = new Map<string, string>();

function canonicalAddress(text: string, family: ConntrackEntry['family'], line: string): string {
  // IPv4 is printed canonically; IPv6 is compressed by the CLI and spelled in full by procfs
  // (`2001:0db8:0000:...`): both become RFC 5952, as the NAT rules spell it.
  if (family === 'IPv4') return text;
  const known = ipv6Cache.get(text);
  if (known !== undefined) return known;
  let canonical: string;
  try {
    canonical = canonicalIp(text);
  } catch {
    throw new ConntrackParseError(line, `"${text}" is not an IPv6 address`);
  }
  if (ipv6Cache.size >= 65_536) ipv6Cache.clear();
  ipv6Cache.set(text, canonical);
  return canonical;
}

function integer(text: string, field: string, line: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0)
    throw new ConntrackParseError(line, `${field}=${text} is not a non-negative integer`);
  return value;
}

/**
 * Parses one entry line. Returns undefined for lines that carry no entry (blank lines and the
 * CLI's `conntrack v1.4.7 (conntrack-tools): N flow entries have been shown.` summary); throws
 * ConntrackParseError for a line that looks like an entry but is malformed.
 */
export function parseConntrackLine(line: string): ConntrackEntry | undefined {
  const tokens = line.trim().split(/\s+/);
  if (tokens.length === 0 || tokens[0] === '' || tokens[0] === 'conntrack') return undefined;
  let i = 0;
  let timestamp: number | undefined;
  let event: ConntrackEventKind | undefined;
  // `[1700000000.123456]` (-o timestamp) and `[NEW]` (-E) come before the family.
  while (i < tokens.length && tokens[i].startsWith('[') && tokens[i].endsWith(']')) {
    const inner = tokens[i].slice(1, -1);
    if (EVENTS.has(inner)) event = inner as ConntrackEventKind;
    else if (/^\d+(\.\d+)?$/.test(inner)) timestamp = Number(inner);
    else throw new ConntrackParseError(line, `unknown prefix ${tokens[i]}`);
    i += 1;
  }
  const family = FAMILIES[tokens[i]];
  if (!family)
    throw new ConntrackParseError(line, `no family (ipv4/ipv6) where "${tokens[i] ?? ''}" is`);
  // The family's number (2, 10), then the protocol's name and number.
  const protocol = tokens[i + 2];
  const protocolNumberText = tokens[i + 3];
  if (protocol === undefined || protocolNumberText === undefined)
    throw new ConntrackParseError(line, 'no protocol');
  const protocolNumber = integer(protocolNumberText, 'protocol number', line);
  i += 4;
  let timeout: number | undefined;
  if (i < tokens.length && /^\d+$/.test(tokens[i])) {
    timeout = Number(tokens[i]);
    i += 1;
  }
  let state: string | undefined;
  if (i < tokens.length && /^[A-Z_]+$/.test(tokens[i])) {
    state = tokens[i];
    i += 1;
  }
  const tuples: MutableTuple[] = [];
  const flags: string[] = [];
  let mark: number | undefined;
  let zone = 0;
  let originalZone: number | undefined;
  let replyZone: number | undefined;
  for (; i < tokens.length; i += 1) {
    const token = tokens[i];
    if (token.startsWith('[')) {
      flags.push(token.slice(1, -1));
      continue;
    }
    const eq = token.indexOf('=');
    if (eq < 0) continue; // unknown bare words of newer tools are ignored
    const key = token.slice(0, eq);
    const value = token.slice(eq + 1);
    if (TUPLE_KEYS.has(key)) {
      // `src=` opens a tuple: the first is the original direction, the second the reply.
      if (key === 'src') tuples.push({} as MutableTuple);
      const tuple = tuples[tuples.length - 1];
      if (!tuple) throw new ConntrackParseError(line, `${key}= before src=`);
      if (key === 'src' || key === 'dst') {
        (tuple as { src?: string; dst?: string })[key] = canonicalAddress(value, family, line);
      } else tuple[key as NumberKey] = integer(value, key, line);
    } else if (key === 'mark') mark = integer(value, key, line);
    else if (key === 'zone') zone = integer(value, key, line);
    else if (key === 'orig-zone') originalZone = integer(value, key, line);
    else if (key === 'reply-zone') replyZone = integer(value, key, line);
    // use=, secctx=, labels=, delta-time=, packets=, bytes= ... are not needed
  }
  if (tuples.length < 2 || !tuples[0].dst || !tuples[1].dst)
    throw new ConntrackParseError(line, 'expected an original and a reply tuple (src=... dst=...)');
  return {
    ...(event ? { event } : {}),
    ...(timestamp !== undefined ? { timestamp } : {}),
    family,
    protocol,
    protocolNumber,
    ...(timeout !== undefined ? { timeout } : {}),
    ...(state ? { state } : {}),
    original: tuples[0] as ConntrackTuple,
    reply: tuples[1] as ConntrackTuple,
    flags,
    ...(mark !== undefined ? { mark } : {}),
    zone: originalZone ?? zone,
    originalZone: originalZone ?? zone,
    replyZone: replyZone ?? zone,
  };
}
