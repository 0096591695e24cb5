import { renderNatRuleset, renderRemoveTable } from './render-nat-ruleset';

// What a ruleset with NICs means is checked in render-nat-ruleset.semantics.spec.ts, and by real
// packets in test/integration/nftables-*.int-spec.ts.
describe('renderNatRuleset', () => {
  it('renders an empty table with the filter in place and no elements', () => {
    const text = renderNatRuleset([], { table: 'natgw', uplinks: ['eth0'] });
    expect(text).toContain('\tset nics4 {\n\t\ttype ipv4_addr\n\t}');
    expect(text).toContain('\tmap snat6 {\n\t\ttype ipv6_addr : verdict\n\t}');
    expect(text).not.toContain('chain snat6-');
    expect(text).toContain('chain forward {');
  });

  it('removes the table whether or not it exists', () => {
    expect(renderRemoveTable('natgw')).toBe('table inet natgw\ndelete table inet natgw\n');
  });
});
