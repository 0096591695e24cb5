/**
 * The fixed part of natgw's nftables table (family inet): named sets and maps, and base chains
 * whose rules never change with the number of NICs. Each base rule is given twice, as the text
 * natgw writes and as the JSON `nft -j` reads back, so that read-back can tell a hand-edited base
 * rule from natgw's own. Per-NIC data lives only in set and map elements.
 */

/** Interfaces toward the internet. */
export const UPLINKS_SET = 'uplinks';
/** Private addresses of the NICs natgw NATs, per family: the stateful filter protects these. */
export const NICS4_SET = 'nics4';
export const NICS6_SET = 'nics6';
/** NAT IPs in use, per family: unsolicited traffic to them is dropped. */
export const NATIPS4_SET = 'natips4';
export const NATIPS6_SET = 'natips6';
/** IPv4: private address -> NAT IP . port range, used directly by one snat rule. */
export const SNAT4_MAP = 'snat4';
/** IPv6: private address -> NAT IP. */
export const NATIP6_MAP = 'natip6';
/**
 * IPv6: private address -> jump to the chain of its port range. nft 1.0.6 cannot use a port range
 * as map data for ip6 ("No data available"), so the range comes from a small chain per distinct
 * range (a slot size gives at most 64512/ppni of them), and the address from NATIP6_MAP.
 */
export const SNAT6_VMAP = 'snat6';

/** The chain that SNATs IPv6 NICs whose slot is port..endPort. */
export function snat6RangeChainName(port: number, endPort: number): string {
  return `snat6-${port}-${endPort}`;
}

/** The port range a chain named by snat6RangeChainName stands for, or undefined. */
export function parseSnat6RangeChainName(
  name: string,
): { port: number; endPort: number } | undefined {
  const match = /^snat6-(\d{1,5})-(\d{1,5})$/.exec(name);
  if (!match) return undefined;
  return { port: Number(match[1]), endPort: Number(match[2]) };
}

/** A JSON value as `nft -j` prints it. */
export type NftJson = null | boolean | number | string | NftJson[] | { [key: string]: NftJson };

const meta = (key: string): NftJson => ({ meta: { key } });
const payload = (protocol: string, field: string): NftJson => ({ payload: { protocol, field } });
const match = (left: NftJson, right: NftJson, op = '=='): NftJson => ({
  match: { op, left, right },
});
const notEstablished = match({ ct: { key: 'state' } }, { set: ['established', 'related'] }, '!=');
const DROP: NftJson = { drop: null };

/** One fixed rule of a base chain. */
export interface BaseRule {
  readonly text: string;
  readonly expr: NftJson[];
}

/** One base chain: its hook and its fixed rules, in order. */
export interface BaseChain {
  readonly name: string;
  readonly type: 'filter' | 'nat';
  readonly hook: 'prerouting' | 'forward' | 'postrouting';
  /** As written in the ruleset text. */
  readonly priorityText: string;
  /** As `nft -j` reports it. */
  readonly prio: number;
  readonly rules: readonly BaseRule[];
}

/** The base chains, in the order natgw writes them. */
export const BASE_CHAINS: readonly BaseChain[] = [
  {
    // Before conntrack NAT undoes SNAT on replies (dstnat, -100), so the destination is still the
    // NAT IP: only packets of tracked connections may go on; the rest is dropped, not answered.
    name: 'prerouting',
    type: 'filter',
    hook: 'prerouting',
    priorityText: 'mangle',
    prio: -150,
    rules: [
      {
        text: `iifname @${UPLINKS_SET} ip daddr @${NATIPS4_SET} ct state != { established, related } drop`,
        expr: [
          match(meta('iifname'), `@${UPLINKS_SET}`),
          match(payload('ip', 'daddr'), `@${NATIPS4_SET}`),
          notEstablished,
          DROP,
        ],
      },
      {
        text: `iifname @${UPLINKS_SET} ip6 daddr @${NATIPS6_SET} ct state != { established, related } drop`,
        expr: [
          match(meta('iifname'), `@${UPLINKS_SET}`),
          match(payload('ip6', 'daddr'), `@${NATIPS6_SET}`),
          notEstablished,
          DROP,
        ],
      },
    ],
  },
  {
    // Stateful filter: from the internet, a NIC gets only replies to what it opened.
    name: 'forward',
    type: 'filter',
    hook: 'forward',
    priorityText: 'filter',
    prio: 0,
    rules: [
      {
        text: `iifname @${UPLINKS_SET} ip daddr @${NICS4_SET} ct state != { established, related } drop`,
        expr: [
          match(meta('iifname'), `@${UPLINKS_SET}`),
          match(payload('ip', 'daddr'), `@${NICS4_SET}`),
          notEstablished,
          DROP,
        ],
      },
      {
        text: `iifname @${UPLINKS_SET} ip6 daddr @${NICS6_SET} ct state != { established, related } drop`,
        expr: [
          match(meta('iifname'), `@${UPLINKS_SET}`),
          match(payload('ip6', 'daddr'), `@${NICS6_SET}`),
          notEstablished,
          DROP,
        ],
      },
    ],
  },
  {
    // TCP and UDP take a source port in the NIC's slot; ICMP echo takes an identifier in it (the
    // kernel treats the echo id as the ICMP "port"), so pings work and stay inside the slot.
    name: 'postrouting',
    type: 'nat',
    hook: 'postrouting',
    priorityText: 'srcnat',
    prio: 100,
    rules: [
      {
        text: `oifname @${UPLINKS_SET} meta l4proto { tcp, udp, icmp } snat ip to ip saddr map @${SNAT4_MAP}`,
        expr: [
          match(meta('oifname'), `@${UPLINKS_SET}`),
          match(meta('l4proto'), { set: ['icmp', 'tcp', 'udp'] }),
          {
            snat: {
              family: 'ip',
              addr: { map: { key: payload('ip', 'saddr'), data: `@${SNAT4_MAP}` } },
            },
          },
        ],
      },
      {
        text: `oifname @${UPLINKS_SET} ip6 saddr vmap @${SNAT6_VMAP}`,
        expr: [
          match(meta('oifname'), `@${UPLINKS_SET}`),
          { vmap: { key: payload('ip6', 'saddr'), data: `@${SNAT6_VMAP}` } },
        ],
      },
    ],
  },
  {
    // After SNAT: whatever still carries a managed private source (other protocols, invalid
    // conntrack state) would leak a private address to the internet, so it is dropped.
    name: 'leakguard',
    type: 'filter',
    hook: 'postrouting',
    priorityText: 'srcnat + 10',
    prio: 110,
    rules: [
      {
        text: `oifname @${UPLINKS_SET} ip saddr @${NICS4_SET} drop`,
        expr: [
          match(meta('oifname'), `@${UPLINKS_SET}`),
          match(payload('ip', 'saddr'), `@${NICS4_SET}`),
          DROP,
        ],
      },
      {
        text: `oifname @${UPLINKS_SET} ip6 saddr @${NICS6_SET} drop`,
        expr: [
          match(meta('oifname'), `@${UPLINKS_SET}`),
          match(payload('ip6', 'saddr'), `@${NICS6_SET}`),
          DROP,
        ],
      },
    ],
  },
];

/** The single rule of the chain for IPv6 slot port..endPort. */
export function snat6RangeRule(port: number, endPort: number): BaseRule {
  return {
    text: `meta l4proto { tcp, udp, ipv6-icmp } snat ip6 to ip6 saddr map @${NATIP6_MAP} : ${port}-${endPort}`,
    expr: snat6RangeRuleExpr(port === endPort ? port : { range: [port, endPort] }),
  };
}

/** snat6RangeRule's JSON with the port part left open, to read an edited range back. */
export function snat6RangeRuleExpr(port: NftJson): NftJson[] {
  return [
    match(meta('l4proto'), { set: ['tcp', 'udp', 'ipv6-icmp'] }),
    {
      snat: {
        family: 'ip6',
        addr: { map: { key: payload('ip6', 'saddr'), data: `@${NATIP6_MAP}` } },
        port,
      },
    },
  ];
}
