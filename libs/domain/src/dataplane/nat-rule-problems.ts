import { canonicalNatAddress } from './nat-address';
import { type NatRule, natRuleKey } from './nat-rule';
import { parseNatTimeoutsProfile } from './nat-timeouts';

/** The largest VNI (24 bits), as in VXLAN and Ironcore. */
export const MAX_VNI = 16_777_215;

/** "NAT rule IPv4/<uid> (nic <name>)": how messages name a rule. */
export function describeNatRule(rule: NatRule): string {
  const name = rule.nicName ? ` (nic ${rule.nicName})` : '';
  return `NAT rule ${natRuleKey(rule)}${name}`;
}

function isPort(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535;
}

/** True for an integer VNI in 1..16777215. */
export function isVni(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_VNI;
}

/**
 * What is wrong with one rule on its own (empty when nothing): empty uids, an unknown family,
 * addresses that are not of the family, ports outside 1..65535 or reversed, and a vni that is set
 * but not in 1..16777215. Conflicts between rules are partitionNatRules' business.
 */
export function natRuleShapeProblems(rule: NatRule): string[] {
  const problems: string[] = [];
  if (typeof rule.nicUid !== 'string' || rule.nicUid === '') problems.push('nicUid is empty');
  if (typeof rule.gatewayUid !== 'string' || rule.gatewayUid === '') {
    problems.push('gatewayUid is empty');
  }
  if (rule.family !== 'IPv4' && rule.family !== 'IPv6') {
    problems.push(`family "${String(rule.family)}" is not IPv4 or IPv6`);
    return problems;
  }
  for (const field of ['privateIp', 'natIp'] as const) {
    if (canonicalNatAddress(rule.family, String(rule[field])) === undefined) {
      problems.push(`${field} "${String(rule[field])}" is not an ${rule.family} address`);
    }
  }
  if (!isPort(rule.port) || !isPort(rule.endPort)) {
    problems.push(`ports ${rule.port}-${rule.endPort} are not both integers in 1..65535`);
  } else if (rule.port > rule.endPort) {
    problems.push(`port ${rule.port} is above endPort ${rule.endPort}`);
  }
  if (rule.vni !== undefined && !isVni(rule.vni)) {
    problems.push(`vni ${String(rule.vni)} is not an integer in 1..${MAX_VNI}`);
  }
  if (rule.timeouts !== undefined && parseNatTimeoutsProfile(String(rule.timeouts)) === undefined) {
    problems.push(
      `timeouts "${String(rule.timeouts)}" is not a timeout profile (<tcpEstablished>-<tcpTransitory>-<tcpTimeWait>-<udp> seconds)`,
    );
  }
  return problems;
}
