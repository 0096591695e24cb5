import fc from 'fast-check';
import { diffNatRules, isNatRuleDiffEmpty, summarizeNatRuleDiff } from './diff-nat-rules';
import { natRuleKey, sameNatRule } from './nat-rule';
import { natRuleFixture } from '../../test-support/nat-rule-fixture';

const rule = natRuleFixture;

describe('diffNatRules', () => {
  const a = rule({ nicUid: 'a' });
  const b = rule({ nicUid: 'b', privateIp: '10.0.0.3', port: 2048, endPort: 3071 });
  const a6 = rule({ nicUid: 'a', family: 'IPv6', privateIp: 'fd00::2', natIp: '2001:db8::1' });

  it('is empty for equal tables in any order and spelling', () => {
    const respelled = { ...a6, privateIp: 'FD00:0:0::2', nicName: 'renamed' };
    const diff = diffNatRules([a, b, a6], [respelled, b, a]);
    expect(isNatRuleDiffEmpty(diff)).toBe(true);
    expect(summarizeNatRuleDiff(diff)).toBe('0 missing, 0 extra, 0 changed');
  });

  it('reports a deleted table as everything missing', () => {
    const diff = diffNatRules([b, a6, a], []);
    expect(diff.missing.map(natRuleKey)).toEqual(['IPv4/a', 'IPv4/b', 'IPv6/a']);
    expect(diff.extra).toEqual([]);
    expect(diff.changed).toEqual([]);
    expect(isNatRuleDiffEmpty(diff)).toBe(false);
  });

  it('reports a rule nobody wants as extra', () => {
    const diff = diffNatRules([a], [a, b]);
    expect(diff.extra).toEqual([b]);
    expect(diff.missing).toEqual([]);
    expect(isNatRuleDiffEmpty(diff)).toBe(false);
  });

  it('reports a changed port range with the fields that differ', () => {
    const edited = { ...a, port: 4096, endPort: 5119 };
    const diff = diffNatRules([a, b], [edited, b]);
    expect(diff.changed).toEqual([{ desired: a, actual: edited, fields: ['port', 'endPort'] }]);
    expect(diff.missing).toEqual([]);
    expect(diff.extra).toEqual([]);
    expect(isNatRuleDiffEmpty(diff)).toBe(false);
    expect(summarizeNatRuleDiff(diff)).toBe('0 missing, 0 extra, 1 changed');
  });

  it('keeps the matching rule when the dataplane has two for one NIC', () => {
    const stray = { ...a, privateIp: '10.0.0.99' };
    const diff = diffNatRules([a], [stray, a]);
    expect(diff.changed).toEqual([]);
    expect(diff.extra).toEqual([stray]);
  });

  it('accounts for every rule exactly once (property)', () => {
    const ruleArb = fc
      .record({
        nic: fc.integer({ min: 0, max: 6 }),
        family: fc.constantFrom<'IPv4' | 'IPv6'>('IPv4', 'IPv6'),
        host: fc.integer({ min: 2, max: 4 }),
        slot: fc.integer({ min: 0, max: 2 }),
        gw: fc.constantFrom('gw-1', 'gw-2'),
      })
      .map(({ nic, family, host, slot, gw }) =>
        rule({
          nicUid: `nic-${nic}`,
          family,
          gatewayUid: gw,
          privateIp: family === 'IPv4' ? `10.0.0.${host}` : `fd00::${host}`,
          natIp: family === 'IPv4' ? '203.0.113.1' : '2001:db8::1',
          port: 1024 + slot * 1024,
          endPort: 2047 + slot * 1024,
        }),
      );
    const uniqueTable = fc.uniqueArray(ruleArb, { selector: natRuleKey });
    fc.assert(
      fc.property(uniqueTable, fc.array(ruleArb), (desired, actual) => {
        const diff = diffNatRules(desired, actual);
        const desiredKeys = new Set(desired.map(natRuleKey));
        // Every desired rule is missing, changed, or present unchanged in actual.
        for (const d of desired) {
          const isMissing = diff.missing.some((m) => sameNatRule(m, d));
          const isChanged = diff.changed.some((c) => sameNatRule(c.desired, d));
          const isPresent = actual.some((x) => sameNatRule(x, d));
          expect(Number(isMissing) + Number(isChanged) + Number(isPresent && !isChanged)).toBe(1);
        }
        // Every actual rule is matched once or reported as extra.
        const matched = desired.length - diff.missing.length;
        expect(matched + diff.extra.length).toBe(actual.length);
        for (const x of diff.extra) {
          if (!desiredKeys.has(natRuleKey(x))) continue;
          expect(actual.filter((y) => natRuleKey(y) === natRuleKey(x)).length).toBeGreaterThan(1);
        }
        expect(isNatRuleDiffEmpty(diffNatRules(desired, desired))).toBe(true);
      }),
    );
  });
});
