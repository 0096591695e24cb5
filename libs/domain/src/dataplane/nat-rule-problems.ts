import { canonicalNatAddress, natAddressSortKey } from './nat-address';
import { type NatRule, natRuleKey } from './nat-rule';

/** Why a rule of a desired NAT table cannot be programmed. */
export interface NatRuleProblem {
  /** natRuleKey of the offending rule. */
  readonly key: string;
  readonly message: string;
}

function describe(rule: NatRule): string {
  const name = rule.nicName ? ` (nic ${rule.nicName})` : '';
  return `NAT rule ${natRuleKey(rule)}${name}`;
}

function isPort(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535;
}

function ruleProblems(rule: NatRule): string[] {
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
  return problems;
}

/**
 * Everything that makes a desired NAT table unprogrammable: malformed rules, two rules for one
 * NIC and family, and two NICs whose port ranges on one NAT IP overlap (they would share source
 * ports, so replies could reach the wrong NIC). Empty means the table is valid.
 */
export function findNatRuleProblems(rules: readonly NatRule[]): NatRuleProblem[] {
  const problems: NatRuleProblem[] = [];
  const seen = new Map<string, NatRule>();
  const ranges: { natKey: string; rule: NatRule }[] = [];
  for (const rule of rules) {
    const key = natRuleKey(rule);
    const own = ruleProblems(rule);
    for (const message of own) problems.push({ key, message: `${describe(rule)}: ${message}` });
    if (seen.has(key)) {
      problems.push({
        key,
        message: `${describe(rule)}: the NIC has two rules for ${rule.family}`,
      });
    }
    seen.set(key, rule);
    if (own.length === 0) {
      const nat = canonicalNatAddress(rule.family, rule.natIp) as string;
      ranges.push({ natKey: natAddressSortKey(nat), rule });
    }
  }
  // Sorted by NAT IP and port, a range overlaps an earlier one exactly when it starts at or before
  // the furthest end seen so far on that IP.
  ranges.sort((a, b) =>
    a.natKey !== b.natKey ? (a.natKey < b.natKey ? -1 : 1) : a.rule.port - b.rule.port,
  );
  let reach: { natKey: string; rule: NatRule } | undefined;
  for (const entry of ranges) {
    if (reach && reach.natKey === entry.natKey && entry.rule.port <= reach.rule.endPort) {
      if (natRuleKey(reach.rule) !== natRuleKey(entry.rule)) {
        problems.push({
          key: natRuleKey(entry.rule),
          message:
            `${describe(entry.rule)}: ports ${entry.rule.port}-${entry.rule.endPort} on ` +
            `${entry.rule.natIp} overlap ${describe(reach.rule)} ` +
            `(${reach.rule.port}-${reach.rule.endPort})`,
        });
      }
    }
    if (!reach || reach.natKey !== entry.natKey || entry.rule.endPort > reach.rule.endPort) {
      reach = entry;
    }
  }
  return problems;
}
