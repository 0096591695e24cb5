import { canonicalNatAddress, natAddressSortKey } from './nat-address';

/**
 * One NIC's source NAT on a node: traffic from `privateIp` leaves as `natIp` with a source port in
 * `port..endPort` (both inclusive). A node's desired NAT table is a list of these.
 */
export interface NatRule {
  readonly nicUid: string;
  /** For people reading the dataplane; never part of a rule's identity or of drift. */
  readonly nicName?: string;
  readonly gatewayUid: string;
  readonly family: 'IPv4' | 'IPv6';
  /**
   * The VNI of the NIC's network. With per-network interfaces the dataplane keys NAT by
   * (vni, privateIp), so networks may reuse private addresses; undefined means the node's one
   * shared address space.
   */
  readonly vni?: number;
  readonly privateIp: string;
  readonly natIp: string;
  readonly port: number;
  readonly endPort: number;
  /**
   * The gateway's connection-tracking idle timeouts as a profile (natTimeoutsProfile, e.g.
   * `1200-30-120-30`); undefined means the kernel's defaults (the gateway has no spec.timeouts).
   */
  readonly timeouts?: string;
}

/** The fields whose difference between desired and actual is drift (nicName is not one). */
export const NAT_RULE_COMPARED_FIELDS = [
  'privateIp',
  'natIp',
  'port',
  'endPort',
  'gatewayUid',
  'vni',
  'timeouts',
] as const satisfies readonly (keyof NatRule)[];

/** One of the fields diffNatRules compares. */
export type NatRuleComparedField = (typeof NAT_RULE_COMPARED_FIELDS)[number];

/** The identity of a rule in a node's table: one NAT per NIC and family. */
export function natRuleKey(rule: Pick<NatRule, 'family' | 'nicUid'>): string {
  return `${rule.family}/${rule.nicUid}`;
}

/**
 * The rule with addresses in canonical spelling (RFC 5952 for IPv6) and no empty nicName, so that
 * two spellings of one rule compare equal (the vni is kept). Addresses that do not parse are kept as they are.
 */
export function canonicalNatRule(rule: NatRule): NatRule {
  const privateIp = canonicalNatAddress(rule.family, rule.privateIp) ?? rule.privateIp;
  const natIp = canonicalNatAddress(rule.family, rule.natIp) ?? rule.natIp;
  // Rules are immutable, so an already canonical one is returned as it is (tables are large).
  if (privateIp === rule.privateIp && natIp === rule.natIp && rule.nicName !== '') return rule;
  const { nicUid, gatewayUid, family, port, endPort, nicName, vni, timeouts } = rule;
  const canonical: NatRule = { nicUid, gatewayUid, family, privateIp, natIp, port, endPort };
  const withTimeouts = timeouts === undefined ? canonical : { ...canonical, timeouts };
  const withVni = vni === undefined ? withTimeouts : { ...withTimeouts, vni };
  return nicName ? { ...withVni, nicName } : withVni;
}

/** True when the two rules agree on every compared field and on their identity. */
export function sameNatRule(a: NatRule, b: NatRule): boolean {
  return (
    natRuleKey(a) === natRuleKey(b) &&
    NAT_RULE_COMPARED_FIELDS.every((field) => a[field] === b[field])
  );
}

/** The compared fields in which the two rules differ. */
export function changedNatRuleFields(desired: NatRule, actual: NatRule): NatRuleComparedField[] {
  return NAT_RULE_COMPARED_FIELDS.filter((field) => desired[field] !== actual[field]);
}

function sortKey(rule: NatRule): string {
  const family = rule.family === 'IPv4' ? '4' : '6';
  const nat = canonicalNatAddress(rule.family, rule.natIp);
  const natKey = nat === undefined ? `~${rule.natIp}` : natAddressSortKey(nat);
  const port = String(rule.port).padStart(5, '0');
  const endPort = String(rule.endPort).padStart(5, '0');
  return `${family}|${natKey}|${port}|${endPort}|${rule.nicUid}`;
}

/**
 * The canonical order of a NAT table, as a new array of canonical rules: IPv4 before IPv6, then by
 * NAT IP (numerically), port range and NIC uid; the order ironcore-net's NATTable uses.
 */
export function sortNatRules(rules: Iterable<NatRule>): NatRule[] {
  return [...rules]
    .map((rule) => {
      const canonical = canonicalNatRule(rule);
      return { rule: canonical, key: sortKey(canonical) };
    })
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((entry) => entry.rule);
}
