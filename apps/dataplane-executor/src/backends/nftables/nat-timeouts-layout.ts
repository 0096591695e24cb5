import { type NatRule, type NatTimeoutsProfile, parseNatTimeoutsProfile } from '@natgw/domain';
import type { NftJson } from './nat-table-layout';

/**
 * Per-gateway conntrack timeouts (issue 17.2) in natgw's table. A NIC whose rule carries a
 * timeout profile (NatRule.timeouts, `<tcpEstablished>-<tcpTransitory>-<tcpTimeWait>-<udp>`) has
 * an element in `timeouts4` / `timeouts6` (keyed like its snat elements) that jumps to the
 * profile's chain; the chain sets the connection's `ct timeout` object for TCP and for UDP. The
 * lookup runs in the `forward` chain, while the connection is not yet confirmed: the kernel takes
 * a timeout object only then. nft 1.0.6 has no maps of `ct timeout` objects (and no ICMP timeout
 * objects: its grammar takes `protocol tcp` and `protocol udp` only, and JSON input with icmp
 * crashes it), hence the verdict map and one small chain per distinct profile, as for the IPv6
 * port ranges.
 */

export const TIMEOUTS4_VMAP = 'timeouts4';
export const TIMEOUTS6_VMAP = 'timeouts6';

type Family = NatRule['family'];

const digit = (family: Family) => (family === 'IPv4' ? '4' : '6');

/** The chain of a profile in a family: `timeouts4-1200-30-120-30`. */
export function timeoutsChainName(family: Family, profile: string): string {
  return `timeouts${digit(family)}-${profile}`;
}

/** The family and profile of a chain named by timeoutsChainName, or undefined. */
export function parseTimeoutsChainName(
  name: string,
): { family: Family; profile: string; values: NatTimeoutsProfile } | undefined {
  const match = /^timeouts([46])-(.+)$/.exec(name);
  if (!match) return undefined;
  const profile = match[2] as string;
  const values = parseNatTimeoutsProfile(profile);
  if (!values) return undefined;
  return { family: match[1] === '4' ? 'IPv4' : 'IPv6', profile, values };
}

/** The names of a profile's two `ct timeout` objects in a family. */
export function timeoutObjectName(family: Family, l4: 'tcp' | 'udp', profile: string): string {
  return `ctt-${l4}${digit(family)}-${profile}`;
}

/**
 * The policy of an object. TCP: established; transitory for every state of opening and closing
 * (syn_sent, syn_recv, fin_wait, close_wait, last_ack, close, syn_sent2); time_wait. The kernel's
 * retrans and unacknowledged timeouts (300 s) stay: they only ever shorten a timeout. UDP: both
 * unreplied and replied (stream) flows.
 */
export function timeoutPolicy(l4: 'tcp' | 'udp', v: NatTimeoutsProfile): Record<string, number> {
  if (l4 === 'udp') return { unreplied: v.udp, replied: v.udp };
  return {
    syn_sent: v.tcpTransitory,
    syn_recv: v.tcpTransitory,
    established: v.tcpEstablished,
    fin_wait: v.tcpTransitory,
    close_wait: v.tcpTransitory,
    last_ack: v.tcpTransitory,
    time_wait: v.tcpTimeWait,
    close: v.tcpTransitory,
    syn_sent2: v.tcpTransitory,
  };
}

/**
 * nft 1.0.6 lists a policy without the values equal to its own defaults (the kernel's): a value
 * missing from `nft -j` is this one.
 */
const NFT_DEFAULT_POLICY: Readonly<Record<'tcp' | 'udp', Readonly<Record<string, number>>>> = {
  tcp: {
    syn_sent: 120,
    syn_recv: 60,
    established: 432000,
    fin_wait: 120,
    close_wait: 60,
    last_ack: 30,
    time_wait: 120,
    close: 10,
    syn_sent2: 120,
    retrans: 300,
    unacknowledged: 300,
  },
  udp: { unreplied: 30, replied: 120 },
};

/** The objects and the chain of a profile in a family, as ruleset text (one tab deep). */
export function renderTimeoutProfile(family: Family, profile: string): string {
  const values = parseNatTimeoutsProfile(profile);
  if (!values) throw new Error(`not a timeout profile: ${profile}`);
  const l3 = family === 'IPv4' ? 'ip' : 'ip6';
  const lines: string[] = [];
  for (const l4 of ['tcp', 'udp'] as const) {
    const policy = Object.entries(timeoutPolicy(l4, values))
      .map(([state, seconds]) => `${state} : ${seconds}`)
      .join(', ');
    lines.push(
      `\tct timeout ${timeoutObjectName(family, l4, profile)} {`,
      `\t\tprotocol ${l4}`,
      `\t\tl3proto ${l3}`,
      `\t\tpolicy = { ${policy} }`,
      '\t}',
    );
  }
  lines.push(`\tchain ${timeoutsChainName(family, profile)} {`);
  for (const rule of timeoutChainRules(family, profile)) lines.push(`\t\t${rule.text}`);
  lines.push('\t}');
  return lines.join('\n');
}

/** The two rules of a profile's chain: text and `nft -j` expression. */
export function timeoutChainRules(
  family: Family,
  profile: string,
): { text: string; expr: NftJson[] }[] {
  return (['tcp', 'udp'] as const).map((l4): { text: string; expr: NftJson[] } => {
    const object = timeoutObjectName(family, l4, profile);
    return {
      text: `meta l4proto ${l4} ct timeout set "${object}"`,
      expr: [
        { match: { op: '==', left: { meta: { key: 'l4proto' } }, right: l4 } },
        { 'ct timeout': object },
      ],
    };
  });
}

/** `add` commands for a profile's objects and chain (incremental changes). */
export function addTimeoutProfile(table: string, family: Family, profile: string): string[] {
  const values = parseNatTimeoutsProfile(profile);
  if (!values) throw new Error(`not a timeout profile: ${profile}`);
  const l3 = family === 'IPv4' ? 'ip' : 'ip6';
  const lines = (['tcp', 'udp'] as const).map((l4) => {
    const policy = Object.entries(timeoutPolicy(l4, values))
      .map(([state, seconds]) => `${state} : ${seconds}`)
      .join(', ');
    return `add ct timeout inet ${table} ${timeoutObjectName(family, l4, profile)} { protocol ${l4}; l3proto ${l3}; policy = { ${policy} }; }`;
  });
  const chain = timeoutsChainName(family, profile);
  lines.push(`add chain inet ${table} ${chain}`);
  for (const rule of timeoutChainRules(family, profile)) {
    lines.push(`add rule inet ${table} ${chain} ${rule.text}`);
  }
  return lines;
}

/** `delete` commands for a profile's chain and objects (after the elements that jump to it). */
export function deleteTimeoutProfile(table: string, family: Family, profile: string): string[] {
  const chain = timeoutsChainName(family, profile);
  return [
    `flush chain inet ${table} ${chain}`,
    `delete chain inet ${table} ${chain}`,
    ...(['tcp', 'udp'] as const).map(
      (l4) => `delete ct timeout inet ${table} ${timeoutObjectName(family, l4, profile)}`,
    ),
  ];
}

/** Whether a `ct timeout` object read back by `nft -j` is exactly what natgw writes. */
export function isNatgwTimeoutObject(
  body: Readonly<Record<string, NftJson>>,
  family: Family,
  l4: 'tcp' | 'udp',
  values: NatTimeoutsProfile,
): boolean {
  if (body.protocol !== l4 || body.l3proto !== (family === 'IPv4' ? 'ip' : 'ip6')) return false;
  const policy = body.policy;
  const read =
    typeof policy === 'object' && policy !== null && !Array.isArray(policy) ? policy : {};
  const defaults = NFT_DEFAULT_POLICY[l4];
  const wanted = { ...defaults, ...timeoutPolicy(l4, values) };
  for (const key of Object.keys(read)) if (!(key in defaults)) return false;
  return Object.entries(wanted).every(
    ([state, seconds]) => (read[state] ?? defaults[state]) === seconds,
  );
}

/** The distinct profiles the rules of a family use, sorted. */
export function timeoutProfiles(rules: readonly NatRule[], family: Family): string[] {
  const profiles = new Set<string>();
  for (const r of rules)
    if (r.family === family && r.timeouts !== undefined) profiles.add(r.timeouts);
  return [...profiles].sort();
}

/** `IPv4/<profile>` for every profile in use: compared before and after a change. */
export function timeoutProfileKeys(rules: readonly NatRule[]): Set<string> {
  const keys = new Set<string>();
  for (const r of rules) if (r.timeouts !== undefined) keys.add(`${r.family}/${r.timeouts}`);
  return keys;
}
