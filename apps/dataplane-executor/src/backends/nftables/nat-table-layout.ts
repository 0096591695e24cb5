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

/** Network mode: network interface -> the network's id on this node (a packet mark). */
export const NETID_MAP = 'netid';
/** Network mode: network interface -> the network's conntrack zone (the same id). */
export const NETZONE_MAP = 'netzone';
/** Network mode: network id -> the network's reply address (see REPLY_PREFIX4), per family. */
export const NETADDR4_MAP = 'netaddr4';
export const NETADDR6_MAP = 'netaddr6';

/**
 * Network mode: replies are routed by a per-network address instead of per-network ip rules.
 * Between routing and sending, a reply's destination is the network's address in these prefixes
 * (240.0.0.0/16 is reserved "class E" space, 100::/64 the discard-only block of RFC 6666); a
 * route per network sends it to the network's interface, and postrouting puts the NIC's address
 * back before the neighbour lookup. The addresses never leave the namespace.
 */
export const REPLY_PREFIX4 = { addr: '240.0.0.0', len: 16 } as const;
export const REPLY_PREFIX6 = { addr: '100::', len: 64 } as const;

/** The reply address of network id `id` (1..65535) in a family. */
export function replyAddress(family: 'IPv4' | 'IPv6', id: number): string {
  return family === 'IPv4' ? `240.0.${id >> 8}.${id & 255}` : `100::${id.toString(16)}`;
}

/**
 * Network mode: how NICs are told apart. Shared mode keys NAT by private address; network mode by
 * the network's id on the node (carried in the connection's ct mark) and the private address.
 */
export type NatTableMode = 'shared' | 'network';

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

/**
 * Issue 17.2: a NIC leaving through an uplink jumps to its gateway's timeout chain (if it has
 * one) while its connection is new and unconfirmed, which is when the kernel takes a `ct timeout`
 * object (nat-timeouts-layout.ts). Network mode keys by network id and address, like SNAT.
 */
function timeoutRules(mode: NatTableMode): BaseRule[] {
  return (['ip', 'ip6'] as const).map((ip) => {
    const vmap = ip === 'ip' ? 'timeouts4' : 'timeouts6';
    const saddr = payload(ip, 'saddr');
    const keyText = mode === 'network' ? `ct mark . ${ip} saddr` : `${ip} saddr`;
    return {
      text: `oifname @${UPLINKS_SET} ${keyText} vmap @${vmap}`,
      expr: [
        match(meta('oifname'), `@${UPLINKS_SET}`),
        {
          vmap: {
            key: mode === 'network' ? { concat: [{ ct: { key: 'mark' } }, saddr] } : saddr,
            data: `@${vmap}`,
          },
        },
      ],
    };
  });
}

/** The base chains, in the order natgw writes them. */
const SHARED_BASE_CHAINS: readonly BaseChain[] = [
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
      ...timeoutRules('shared'),
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

const ctMark: NftJson = { ct: { key: 'mark' } };
const byNetwork = (address: NftJson): NftJson => ({ concat: [ctMark, address] });
const setFromMap = (key: NftJson, value: NftJson): NftJson => ({ mangle: { key, value } });
const mapLookup = (key: NftJson, map: string): NftJson => ({ map: { key, data: `@${map}` } });

function sharedChain(name: string): BaseChain {
  return SHARED_BASE_CHAINS.find((c) => c.name === name) as BaseChain;
}

/**
 * Network mode: NIC traffic arrives on per-network interfaces. Before conntrack, its connection
 * gets the network's zone (original direction), so identical 5-tuples from two networks are two
 * connections; after conntrack, the connection's ct mark records the network; SNAT looks up
 * (ct mark, private address); replies from the uplinks are routed by their network's reply
 * address (REPLY_PREFIX4/6) to the network's interface, and get the NIC's address back after
 * routing. Every step is a map lookup: nothing grows with the number of networks.
 */
const NETWORK_BASE_CHAINS: readonly BaseChain[] = [
  {
    name: 'zones',
    type: 'filter',
    hook: 'prerouting',
    priorityText: 'raw',
    prio: -300,
    rules: [
      {
        text: `iifname != @${UPLINKS_SET} ct original zone set iifname map @${NETZONE_MAP}`,
        expr: [
          match(meta('iifname'), `@${UPLINKS_SET}`, '!='),
          setFromMap(
            { ct: { key: 'zone', dir: 'original' } },
            mapLookup(meta('iifname'), NETZONE_MAP),
          ),
        ],
      },
    ],
  },
  {
    ...sharedChain('prerouting'),
    rules: [
      ...sharedChain('prerouting').rules,
      {
        text: `iifname != @${UPLINKS_SET} ct mark set iifname map @${NETID_MAP}`,
        expr: [
          match(meta('iifname'), `@${UPLINKS_SET}`, '!='),
          setFromMap(ctMark, mapLookup(meta('iifname'), NETID_MAP)),
        ],
      },
    ],
  },
  {
    // After conntrack has translated a reply back (dstnat, -100) and before routing: the
    // destination becomes the network's reply address, which routes to the network's interface.
    name: 'replies',
    type: 'filter',
    hook: 'prerouting',
    priorityText: 'dstnat + 10',
    prio: -90,
    rules: (['ip', 'ip6'] as const).map((ip) => {
      const map = ip === 'ip' ? NETADDR4_MAP : NETADDR6_MAP;
      return {
        text: `iifname @${UPLINKS_SET} ct direction reply ${ip} daddr set ct mark map @${map}`,
        expr: [
          match(meta('iifname'), `@${UPLINKS_SET}`),
          match({ ct: { key: 'direction' } }, 'reply'),
          setFromMap(payload(ip, 'daddr'), mapLookup(ctMark, map)),
        ],
      };
    }),
  },
  {
    // After routing: the reply gets the NIC's address back (the connection's original source),
    // before the neighbour lookup, which uses it as the next hop of the on-link route.
    name: 'restore',
    type: 'filter',
    hook: 'postrouting',
    priorityText: 'srcnat - 10',
    prio: 90,
    rules: (['ip', 'ip6'] as const).map((ip) => {
      const prefix = ip === 'ip' ? REPLY_PREFIX4 : REPLY_PREFIX6;
      return {
        text: `${ip} daddr ${prefix.addr}/${prefix.len} ${ip} daddr set ct original ${ip} saddr`,
        expr: [
          match(payload(ip, 'daddr'), { prefix: { addr: prefix.addr, len: prefix.len } }),
          setFromMap(payload(ip, 'daddr'), { ct: { key: `${ip} saddr`, dir: 'original' } }),
        ],
      };
    }),
  },
  {
    ...sharedChain('forward'),
    rules: [
      ...sharedChain('forward').rules.filter((r) => !r.text.includes('@timeouts')),
      ...timeoutRules('network'),
    ],
  },
  {
    ...sharedChain('postrouting'),
    rules: [
      {
        text: `oifname @${UPLINKS_SET} meta l4proto { tcp, udp, icmp } snat ip to ct mark . ip saddr map @${SNAT4_MAP}`,
        expr: [
          match(meta('oifname'), `@${UPLINKS_SET}`),
          match(meta('l4proto'), { set: ['icmp', 'tcp', 'udp'] }),
          {
            snat: {
              family: 'ip',
              addr: mapLookup(byNetwork(payload('ip', 'saddr')), SNAT4_MAP),
            },
          },
        ],
      },
      {
        text: `oifname @${UPLINKS_SET} ct mark . ip6 saddr vmap @${SNAT6_VMAP}`,
        expr: [
          match(meta('oifname'), `@${UPLINKS_SET}`),
          { vmap: { key: byNetwork(payload('ip6', 'saddr')), data: `@${SNAT6_VMAP}` } },
        ],
      },
    ],
  },
  sharedChain('leakguard'),
];

/** The base chains of a mode, in the order natgw writes them. */
export function baseChains(mode: NatTableMode): readonly BaseChain[] {
  return mode === 'network' ? NETWORK_BASE_CHAINS : SHARED_BASE_CHAINS;
}

/** The named sets every table has, with their types. */
export const EXPECTED_SETS: Readonly<Record<string, string>> = {
  [UPLINKS_SET]: 'ifname',
  [NICS4_SET]: 'ipv4_addr',
  [NICS6_SET]: 'ipv6_addr',
  [NATIPS4_SET]: 'ipv4_addr',
  [NATIPS6_SET]: 'ipv6_addr',
};

/** A named map: its key and data types as written, and as `nft -j` reports them. */
export interface MapDefinition {
  readonly text: string;
  readonly type: NftJson;
  readonly map: string;
}

/** The named maps of a mode. */
export function expectedMaps(mode: NatTableMode): Readonly<Record<string, MapDefinition>> {
  if (mode === 'shared') {
    return {
      [SNAT4_MAP]: {
        text: 'type ipv4_addr : interval ipv4_addr . inet_service',
        type: 'ipv4_addr',
        map: 'ipv4_addr . inet_service',
      },
      [NATIP6_MAP]: { text: 'type ipv6_addr : ipv6_addr', type: 'ipv6_addr', map: 'ipv6_addr' },
      [SNAT6_VMAP]: { text: 'type ipv6_addr : verdict', type: 'ipv6_addr', map: 'verdict' },
      timeouts4: { text: 'type ipv4_addr : verdict', type: 'ipv4_addr', map: 'verdict' },
      timeouts6: { text: 'type ipv6_addr : verdict', type: 'ipv6_addr', map: 'verdict' },
    };
  }
  return {
    [NETID_MAP]: { text: 'type ifname : mark', type: 'ifname', map: 'mark' },
    // `typeof` gives the data the ct zone's width; nft -j reports it as a plain integer.
    [NETZONE_MAP]: { text: 'typeof iifname : ct zone', type: 'ifname', map: 'integer' },
    [NETADDR4_MAP]: { text: 'type mark : ipv4_addr', type: 'mark', map: 'ipv4_addr' },
    [NETADDR6_MAP]: { text: 'type mark : ipv6_addr', type: 'mark', map: 'ipv6_addr' },
    [SNAT4_MAP]: {
      text: 'type mark . ipv4_addr : interval ipv4_addr . inet_service',
      type: ['mark', 'ipv4_addr'],
      map: 'ipv4_addr . inet_service',
    },
    [NATIP6_MAP]: {
      text: 'type mark . ipv6_addr : ipv6_addr',
      type: ['mark', 'ipv6_addr'],
      map: 'ipv6_addr',
    },
    [SNAT6_VMAP]: {
      text: 'type mark . ipv6_addr : verdict',
      type: ['mark', 'ipv6_addr'],
      map: 'verdict',
    },
    timeouts4: {
      text: 'type mark . ipv4_addr : verdict',
      type: ['mark', 'ipv4_addr'],
      map: 'verdict',
    },
    timeouts6: {
      text: 'type mark . ipv6_addr : verdict',
      type: ['mark', 'ipv6_addr'],
      map: 'verdict',
    },
  };
}

/** The single rule of the chain for IPv6 slot port..endPort. */
export function snat6RangeRule(
  port: number,
  endPort: number,
  mode: NatTableMode = 'shared',
): BaseRule {
  const key = mode === 'network' ? 'ct mark . ip6 saddr' : 'ip6 saddr';
  return {
    text: `meta l4proto { tcp, udp, ipv6-icmp } snat ip6 to ${key} map @${NATIP6_MAP} : ${port}-${endPort}`,
    expr: snat6RangeRuleExpr(port === endPort ? port : { range: [port, endPort] }, mode),
  };
}

/** snat6RangeRule's JSON with the port part left open, to read an edited range back. */
export function snat6RangeRuleExpr(port: NftJson, mode: NatTableMode = 'shared'): NftJson[] {
  const saddr = payload('ip6', 'saddr');
  return [
    match(meta('l4proto'), { set: ['tcp', 'udp', 'ipv6-icmp'] }),
    {
      snat: {
        family: 'ip6',
        addr: mapLookup(mode === 'network' ? byNetwork(saddr) : saddr, NATIP6_MAP),
        port,
      },
    },
  ];
}
