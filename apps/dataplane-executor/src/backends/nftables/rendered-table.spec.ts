import type { NatRule } from '@natgw/domain';
import { type NatNetwork, type NatTableLayout, renderNatRuleset } from './render-nat-ruleset';
import { RenderedTable } from './rendered-table';

const target = { table: 'natgw', uplinks: ['up0'] };
const rules: NatRule[] = Array.from({ length: 3 }, (_, i) => ({
  nicUid: `nic-${i}`,
  gatewayUid: 'gw-1',
  family: 'IPv4',
  vni: 7,
  privateIp: `10.0.0.${i + 2}`,
  natIp: '203.0.113.1',
  port: 1024 + i * 1024,
  endPort: 2047 + i * 1024,
}));
const network: NatNetwork = { vni: 7, id: 1, ifname: 'vni7' };
const layout = (id = 1): NatTableLayout => ({
  mode: 'network',
  networks: new Map([[7, { ...network, id }]]),
});
const text = (chunks: Iterable<Buffer>) => Buffer.concat([...chunks]).toString('utf8');

describe('RenderedTable', () => {
  it('renders the same text as renderNatRuleset, as bytes', () => {
    const table = new RenderedTable();
    expect(text(table.chunks(rules, target, layout()))).toBe(
      renderNatRuleset(rules, target, layout()),
    );
  });

  it('sends the kept bytes again for the same rule objects, layout and target', () => {
    const table = new RenderedTable();
    const first = [...table.chunks(rules, target, layout())];
    // Another array (a new partition) of the very same rules, and an equal layout.
    const again = table.chunks([...rules], target, layout());
    expect(Array.isArray(again)).toBe(true);
    expect([...again]).toEqual(first);
    expect([...again][0]).toBe(first[0]);
  });

  it('renders again when a rule, the layout or the target differs', () => {
    const table = new RenderedTable();
    const first = [...table.chunks(rules, target, layout())];
    const changed = [...rules.slice(0, 2), { ...(rules[2] as NatRule), natIp: '203.0.113.9' }];
    const cases: [NatRule[], typeof target, NatTableLayout][] = [
      [changed, target, layout()],
      [rules, target, layout(2)],
      [rules, { ...target, uplinks: ['up1'] }, layout()],
      [rules, { ...target, table: 'other' }, layout()],
    ];
    for (const [r, t, l] of cases) {
      const chunks = [...table.chunks(r, t, l)];
      expect(chunks[0]).not.toBe(first[0]);
      expect(text(chunks)).toBe(renderNatRuleset(r, t, l));
      // Back to the first table: rendered again, as the kept text is now the other one.
      expect([...table.chunks(rules, target, layout())][0]).not.toBe(first[0]);
      first.splice(0, first.length, ...table.chunks(rules, target, layout()));
    }
  });

  it('keeps nothing from a render that was not read to its end', () => {
    const table = new RenderedTable();
    const many = Array.from({ length: 5000 }, (_, i) => ({
      ...(rules[0] as NatRule),
      nicUid: `nic-${i}`,
      privateIp: `10.1.${i >> 8}.${i & 255}`,
    }));
    const abandoned = table.chunks(many, target, layout())[Symbol.iterator]();
    abandoned.next();
    abandoned.return?.();
    const next = table.chunks(many, target, layout());
    expect(Array.isArray(next)).toBe(false);
    expect(text(next)).toBe(renderNatRuleset(many, target, layout()));
  });
});
