import { canonicalIp } from '@natgw/domain';

/** The reply direction of a conntrack entry: what names a NAT slot and a destination. */
export interface ReplyTuple {
  readonly protocolNumber: number;
  /** The remote end (the destination of the original direction). */
  readonly src: string;
  /** The NAT IP (after SNAT), canonical. */
  readonly dst: string;
  /** The remote port; undefined for ICMP. */
  readonly sport?: number;
  /** The translated source port, or for ICMP the translated echo id. */
  readonly port?: number;
}

const ipv6Cache = new Map<string, string>();

function canonical6(text: string): string | undefined {
  let known = ipv6Cache.get(text);
  if (known === undefined) {
    try {
      known = canonicalIp(text);
    } catch {
      return undefined;
    }
    if (ipv6Cache.size >= 65_536) ipv6Cache.clear();
    ipv6Cache.set(text, known);
  }
  return known;
}

/** The value of `key=` from `from` on, up to the next space; undefined when absent. */
function valueOf(
  line: string,
  key: string,
  from: number,
): { value: string; end: number } | undefined {
  const at = line.indexOf(key, from);
  if (at < 0) return undefined;
  const start = at + key.length;
  let end = line.indexOf(' ', start);
  if (end < 0) end = line.length;
  return { value: line.slice(start, end), end };
}

/**
 * Reads only the reply tuple and the protocol number of one `conntrack -L -o extended` (or
 * /proc/net/nf_conntrack) line, without building the whole entry: the port-usage count reads
 * hundreds of thousands of lines per pass and needs nothing else. Same spelling as
 * parseConntrackLine (canonical IPv6). Undefined for a line that is not an entry.
 */
export function parseReplyTuple(line: string): ReplyTuple | undefined {
  const first = line.indexOf(' src=');
  if (first < 0) return undefined;
  const reply = line.indexOf(' src=', first + 5);
  if (reply < 0) return undefined;
  // `ipv4     2 tcp      6 ...`: the protocol number is the fourth word.
  const words = line.slice(0, first).trim().split(/\s+/);
  const family =
    words[0] === 'ipv4' || words[0] === 'ipv6'
      ? 0
      : words.findIndex((w) => w === 'ipv4' || w === 'ipv6');
  if (family < 0 || words.length < family + 4) return undefined;
  const protocolNumber = Number(words[family + 3]);
  if (!Number.isInteger(protocolNumber)) return undefined;
  const src = valueOf(line, 'src=', reply);
  const dst = src && valueOf(line, 'dst=', src.end);
  if (!src || !dst) return undefined;
  const v6 = words[family] === 'ipv6';
  const dstIp = v6 ? canonical6(dst.value) : dst.value;
  const srcIp = v6 ? canonical6(src.value) : src.value;
  if (dstIp === undefined || srcIp === undefined) return undefined;
  const next = line.slice(dst.end + 1, dst.end + 6);
  if (next.startsWith('sport')) {
    const sport = valueOf(line, 'sport=', dst.end);
    const dport = sport && valueOf(line, 'dport=', sport.end);
    if (!sport || !dport) return undefined;
    return {
      protocolNumber,
      src: srcIp,
      dst: dstIp,
      sport: Number(sport.value),
      port: Number(dport.value),
    };
  }
  if (next.startsWith('type')) {
    const id = valueOf(line, ' id=', dst.end);
    return { protocolNumber, src: srcIp, dst: dstIp, ...(id ? { port: Number(id.value) } : {}) };
  }
  return { protocolNumber, src: srcIp, dst: dstIp };
}
