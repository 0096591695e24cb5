import {
  type NatRule,
  type NatRuleComparedField,
  canonicalNatRule,
  changedNatRuleFields,
  natRuleKey,
  sortNatRules,
} from './nat-rule';

/** A NIC whose rule exists on both sides but differs in `fields`. */
export interface NatRuleChange {
  readonly desired: NatRule;
  readonly actual: NatRule;
  readonly fields: readonly NatRuleComparedField[];
}

/** What separates an actual NAT table from the desired one; all empty means no drift. */
export interface NatRuleDiff {
  /** Desired rules the dataplane does not have. */
  readonly missing: readonly NatRule[];
  /** Rules the dataplane has that nobody wants (including a second rule for one NIC). */
  readonly extra: readonly NatRule[];
  /** Rules for the same NIC and family that differ in a compared field. */
  readonly changed: readonly NatRuleChange[];
}

/**
 * Compares a desired NAT table with the actual one read back from a dataplane. Rules are matched
 * by natRuleKey (family and NIC uid) and compared on NAT_RULE_COMPARED_FIELDS after
 * canonicalization, so address spelling and nicName never count as drift. Results are in
 * sortNatRules order. The desired table is expected to have unique keys (partitionNatRules).
 */
export function diffNatRules(desired: readonly NatRule[], actual: readonly NatRule[]): NatRuleDiff {
  const actualByKey = new Map<string, NatRule[]>();
  for (const rule of actual) {
    const canonical = canonicalNatRule(rule);
    const key = natRuleKey(canonical);
    const list = actualByKey.get(key);
    if (list) list.push(canonical);
    else actualByKey.set(key, [canonical]);
  }

  const missing: NatRule[] = [];
  const changed: NatRuleChange[] = [];
  const extra: NatRule[] = [];
  for (const rule of sortNatRules(desired)) {
    const key = natRuleKey(rule);
    const candidates = actualByKey.get(key);
    if (!candidates || candidates.length === 0) {
      missing.push(rule);
      continue;
    }
    // Of several actual rules for one NIC, the one equal to the desired rule is kept.
    const index = Math.max(
      0,
      candidates.findIndex((candidate) => changedNatRuleFields(rule, candidate).length === 0),
    );
    const [match] = candidates.splice(index, 1) as [NatRule];
    const fields = changedNatRuleFields(rule, match);
    if (fields.length > 0) changed.push({ desired: rule, actual: match, fields });
  }
  for (const rest of actualByKey.values()) extra.push(...rest);
  return { missing, extra: sortNatRules(extra), changed };
}

/** True when the diff shows no drift at all. */
export function isNatRuleDiffEmpty(diff: NatRuleDiff): boolean {
  return diff.missing.length === 0 && diff.extra.length === 0 && diff.changed.length === 0;
}

/** A one-line summary for logs and DriftDetected events, e.g. "1 missing, 2 extra, 0 changed". */
export function summarizeNatRuleDiff(diff: NatRuleDiff): string {
  return `${diff.missing.length} missing, ${diff.extra.length} extra, ${diff.changed.length} changed`;
}
