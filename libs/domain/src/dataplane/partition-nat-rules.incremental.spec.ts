import fc from 'fast-check';
import { type NatRule, natRuleKey, sortNatRules } from './nat-rule';
import {
  IncrementalNatPartition,
  type NatAddressSpace,
  partitionNatRules,
} from './partition-nat-rules';

// A small space of uids, addresses and slots, so that tables clash often.
const ruleArb = fc
  .record({
    nicUid: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'),
    nicName: fc.option(fc.constantFrom('vm1', 'vm2'), { nil: undefined }),
    gatewayUid: fc.constantFrom('gw-1', 'gw-2'),
    family: fc.constantFrom<'IPv4' | 'IPv6'>('IPv4', 'IPv4', 'IPv6'),
    vni: fc.option(fc.constantFrom(1, 2, 3), { nil: undefined }),
    host: fc.integer({ min: 2, max: 6 }),
    nat: fc.integer({ min: 1, max: 2 }),
    slot: fc.integer({ min: 0, max: 5 }),
    wide: fc.boolean(),
    malformed: fc.boolean().map((b) => b && Math.random() < 0.2),
  })
  .map((r): NatRule => {
    const v4 = r.family === 'IPv4';
    const port = 1024 + r.slot * 1024;
    return {
      nicUid: r.nicUid,
      ...(r.nicName ? { nicName: r.nicName } : {}),
      gatewayUid: r.gatewayUid,
      family: r.family,
      ...(r.vni !== undefined ? { vni: r.vni } : {}),
      // Two spellings of one IPv6 address: canonicalization must not matter.
      privateIp: v4 ? `10.0.0.${r.host}` : r.host % 2 ? `fd00::${r.host}` : `FD00:0::${r.host}`,
      natIp: r.malformed ? 'not-an-ip' : v4 ? `203.0.113.${r.nat}` : `2001:db8::${r.nat}`,
      port,
      endPort: port + (r.wide ? 2047 : 1023),
    };
  });

/** A table, then tables each made from the one before by a few additions, removals and edits. */
const tables = fc
  .tuple(
    fc.array(ruleArb, { maxLength: 14 }),
    fc.array(
      fc.array(
        fc.record({
          op: fc.constantFrom('add', 'remove', 'replace'),
          index: fc.nat(),
          rule: ruleArb,
        }),
        { minLength: 1, maxLength: 3 },
      ),
      { minLength: 1, maxLength: 8 },
    ),
  )
  .map(([first, edits]) => {
    // One rule per NIC and family (a NIC twice makes update() decline; tested below).
    const unique = (rules: NatRule[]) => [
      ...new Map(rules.map((r) => [natRuleKey(r), r])).values(),
    ];
    const steps = [unique(first)];
    for (const step of edits) {
      const table = [...(steps[steps.length - 1] as NatRule[])];
      for (const { op, index, rule } of step) {
        const at = table.length === 0 ? 0 : index % table.length;
        if (op === 'add') table.push(rule);
        else if (op === 'remove') table.splice(at, 1);
        else if (table.length > 0) table[at] = rule;
      }
      steps.push(unique(table));
    }
    return steps;
  });

const byKey = (a: NatRule, b: NatRule) => (natRuleKey(a) < natRuleKey(b) ? -1 : 1);

/** The accepted set as comparable keys and values. */
const shape = (rules: readonly NatRule[]) => rules.map((r) => JSON.stringify(r));

describe('IncrementalNatPartition', () => {
  for (const addressSpace of ['node', 'network'] as NatAddressSpace[]) {
    it(`update() gives what partitionNatRules gives with the last accepted rules as incumbents (${addressSpace})`, () => {
      fc.assert(
        fc.property(tables, fc.boolean(), fc.boolean(), (unsorted, present, inKeyOrder) => {
          // In key order (as the node's table is read) update() diffs in one merge walk.
          const steps = inKeyOrder
            ? unsorted.map((t) => [...t].sort((a, b) => (natRuleKey(a) < natRuleKey(b) ? -1 : 1)))
            : unsorted;
          const networkPresent = (vni: number) => present || vni !== 3;
          const options = { addressSpace, networkPresent };
          const partition = new IncrementalNatPartition();
          let incumbents: NatRule[] = [];
          let updates = 0;
          for (const [i, desired] of steps.entries()) {
            const expected = partitionNatRules(desired, { ...options, incumbents });
            const change = i === 0 ? undefined : partition.update(desired, options, 1_000);
            const actual = change?.partition ?? partition.full(desired, { ...options, incumbents });
            expect(shape(actual.accepted)).toEqual(shape(expected.accepted));
            expect(actual.rejected).toEqual(expected.rejected);
            if (change) {
              updates += 1;
              // What was accepted, minus removed, plus added, is what is accepted now.
              const now = new Map(incumbents.map((r) => [natRuleKey(r), r]));
              for (const r of change.removed) {
                expect(now.get(natRuleKey(r))).toBe(r);
                now.delete(natRuleKey(r));
              }
              for (const r of change.added) {
                expect(now.has(natRuleKey(r))).toBe(false);
                now.set(natRuleKey(r), r);
              }
              expect(shape(sortNatRules(now.values()))).toEqual(shape(expected.accepted));
            }
            incumbents = actual.accepted;
          }
          expect(updates).toBe(steps.length - 1);
        }),
        { numRuns: 300 },
      );
    });
  }

  for (const addressSpace of ['node', 'network'] as NatAddressSpace[]) {
    it(`renames, however many, are an update that gives what partitionNatRules gives (${addressSpace})`, () => {
      fc.assert(
        fc.property(
          tables,
          fc.array(fc.option(fc.constantFrom('vm1', 'vm3', ''), { nil: undefined }), {
            minLength: 10,
            maxLength: 10,
          }),
          (steps, names) => {
            const options = { addressSpace };
            const partition = new IncrementalNatPartition();
            let incumbents: NatRule[] = [];
            let rejectedBefore = 0;
            for (const [i, table] of steps.entries()) {
              // Each table, then the same table with NICs renamed (a name per uid, or none).
              const renamed = table.map((r): NatRule => {
                const name = names[r.nicUid.charCodeAt(0) - 97];
                const { nicName: _, ...rest } = r;
                return name === undefined ? rest : { ...rest, nicName: `${name}-${i}` };
              });
              for (const desired of [table, renamed]) {
                const expected = partitionNatRules(desired, { ...options, incumbents });
                // The limit counts only rules placed again: for a rename, those rejected before.
                const change =
                  i === 0 && desired === table
                    ? undefined
                    : partition.update(desired, options, desired === renamed ? rejectedBefore : 0);
                if (desired === renamed) expect(change).toBeDefined();
                const actual =
                  change?.partition ?? partition.full(desired, { ...options, incumbents });
                expect(shape(actual.accepted)).toEqual(shape(expected.accepted));
                expect(actual.rejected).toEqual(expected.rejected);
                if (change && desired === renamed) {
                  // The change names every rule whose text differs, and only those.
                  const before = new Map(incumbents.map((r) => [natRuleKey(r), r]));
                  const differs = expected.accepted.filter(
                    (r) => JSON.stringify(before.get(natRuleKey(r))) !== JSON.stringify(r),
                  );
                  expect(shape(change.added)).toEqual(shape(differs));
                  expect(shape([...change.removed].sort(byKey))).toEqual(
                    shape(differs.map((r) => before.get(natRuleKey(r)) as NatRule).sort(byKey)),
                  );
                }
                incumbents = actual.accepted;
                rejectedBefore = actual.rejected.length;
              }
            }
          },
        ),
        { numRuns: 300 },
      );
    });
  }

  it('declines (undefined) without a partition, for a NIC twice, and over the limit', () => {
    const a: NatRule = {
      nicUid: 'a',
      gatewayUid: 'g',
      family: 'IPv4',
      privateIp: '10.0.0.2',
      natIp: '203.0.113.1',
      port: 1024,
      endPort: 2047,
    };
    const b = { ...a, nicUid: 'b', privateIp: '10.0.0.3', port: 2048, endPort: 3071 };
    const c = { ...a, nicUid: 'c', privateIp: '10.0.0.4', port: 3072, endPort: 4095 };
    const options = { addressSpace: 'node' as const };
    const partition = new IncrementalNatPartition();
    expect(partition.update([a], options, 10)).toBeUndefined();
    partition.full([a], options);
    expect(partition.update([a, a], options, 10)).toBeUndefined();
    expect(partition.update([a, b, c], options, 1)).toBeUndefined();
    const change = partition.update([a, b], options, 1);
    expect(change?.added).toEqual([b]);
    expect(change?.removed).toEqual([]);
    expect(partition.update([b], options, 1)?.removed).toEqual([a]);
  });
});
