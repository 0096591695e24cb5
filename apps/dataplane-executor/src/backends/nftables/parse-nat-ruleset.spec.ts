import { type NatRule, diffNatRules, natRuleKey } from '@natgw/domain';
import handEditedElements from './fixtures/hand-edited-elements.json';
import handEditedRules from './fixtures/hand-edited-rules.json';
import healthy from './fixtures/healthy.json';
import type { NftJson } from './nat-table-layout';
import {
  UNEXPECTED_CONTENT_NIC_UID,
  UNLABELLED_NIC_PREFIX,
  canonicalNftJson,
  parseNatRuleset,
} from './parse-nat-ruleset';

// The fixtures are `nft -j list table inet natgw` output captured from nftables 1.0.6 after
// NftablesBackend applied `applied`, then after the hand edits their names say.
const target = { table: 'natgw', uplinks: ['up0', 'up1'] };
const applied: NatRule[] = [
  {
    nicUid: '8a4b6c1e-0000-4000-8000-000000000001',
    nicName: 'vm1-nic',
    gatewayUid: '11111111-2222-3333-4444-555555555555',
    family: 'IPv4',
    privateIp: '10.200.0.2',
    natIp: '203.0.113.1',
    port: 1024,
    endPort: 2047,
  },
  {
    nicUid: 'b',
    gatewayUid: 'g',
    family: 'IPv4',
    privateIp: '10.200.0.3',
    natIp: '203.0.113.1',
    port: 2048,
    endPort: 2048,
  },
  {
    nicUid: 'a6',
    gatewayUid: 'g6',
    family: 'IPv6',
    privateIp: 'fd00:200::2',
    natIp: '2001:db8:100::1',
    port: 1024,
    endPort: 2047,
  },
  {
    nicUid: 'b6',
    gatewayUid: 'g6',
    family: 'IPv6',
    privateIp: 'fd00:200::3',
    natIp: '2001:db8:100::1',
    port: 3000,
    endPort: 3000,
  },
];
const json = (fixture: unknown) => fixture as NftJson;

describe('parseNatRuleset', () => {
  it('reads back exactly the applied rules, with uids and names, and no problems', () => {
    const inspection = parseNatRuleset(json(healthy), target);
    expect(inspection.present).toBe(true);
    expect(inspection.problems).toEqual([]);
    expect(inspection.rules).toEqual(applied);
  });

  it('reads a missing table as absent and empty', () => {
    const onlyMeta = { nftables: [{ metainfo: { version: '1.0.6', json_schema_version: 1 } }] };
    expect(parseNatRuleset(onlyMeta, target)).toEqual({
      present: false,
      networks: new Map(),
      rules: [],
      ineffective: [],
      problems: [],
    });
  });

  it('shows hand-edited elements as changed, extra and missing rules', () => {
    // By hand: b's range moved to 4096-5119, an unlabelled element for 10.200.0.9 was added
    // (with its nics4 member), and b6's vmap element was deleted (its chain is now unused).
    const inspection = parseNatRuleset(json(handEditedElements), target);
    const diff = diffNatRules(applied, inspection.rules);
    expect(diff.changed.map((c) => [natRuleKey(c.desired), c.fields, c.actual.port])).toEqual([
      ['IPv4/b', ['port', 'endPort'], 4096],
    ]);
    expect(diff.missing.map(natRuleKey)).toEqual(['IPv6/b6']);
    expect(diff.extra.map((r) => r.nicUid)).toEqual([
      UNEXPECTED_CONTENT_NIC_UID,
      `${UNLABELLED_NIC_PREFIX}10.200.0.9`,
    ]);
    expect(diff.extra[1]).toMatchObject({ natIp: '203.0.113.1', port: 8192, endPort: 9215 });
    const messages = inspection.problems.map((p) => p.message);
    expect(messages).toContain('natip6 maps fd00:200::3, which no NAT rule uses');
    expect(messages).toContain('chain snat6-3000-3000 is not used by any NAT rule');
    expect(messages).toContain('set nics6 holds fd00:200::3, which no NAT rule uses');
  });

  it('takes every rule out of effect when a base chain or the table was edited', () => {
    // By hand: `iifname up0 accept` inserted first in forward (it would bypass the stateful
    // filter), a counter appended to snat6-3000-3000, and a base chain `mine` added.
    const inspection = parseNatRuleset(json(handEditedRules), target);
    expect(inspection.rules.map((r) => r.nicUid)).toEqual([UNEXPECTED_CONTENT_NIC_UID]);
    expect(inspection.ineffective.map(natRuleKey)).toEqual([
      'IPv4/8a4b6c1e-0000-4000-8000-000000000001',
      'IPv4/b',
      'IPv6/a6',
    ]);
    const messages = inspection.problems.map((p) => p.message);
    expect(messages).toContain('chain forward holds rules natgw did not write');
    expect(messages).toContain('unexpected base chain mine');
    expect(messages).toContain('snat6[fd00:200::3] does not lead to a NAT IP and a port range');
    const diff = diffNatRules(applied, inspection.rules);
    expect(diff.missing).toHaveLength(4);
  });

  it('notices uplinks that differ from the configuration', () => {
    const inspection = parseNatRuleset(json(healthy), { table: 'natgw', uplinks: ['up0'] });
    expect(inspection.problems.map((p) => p.message)).toEqual([
      'set uplinks holds up0,up1, not up0',
    ]);
    expect(inspection.rules.map((r) => r.nicUid)).toEqual([UNEXPECTED_CONTENT_NIC_UID]);
  });

  it('ignores other tables in the document', () => {
    const other = { nftables: [{ table: { family: 'inet', name: 'other', handle: 9 } }] };
    expect(parseNatRuleset(other, target).present).toBe(false);
  });
});

describe('canonicalNftJson', () => {
  it('ignores handles, key order and the order of anonymous set members', () => {
    const a = { match: { op: '==', left: 1, right: { set: ['udp', 'tcp'] } }, handle: 3 };
    const b = { match: { right: { set: ['tcp', 'udp'] }, left: 1, op: '==' } };
    expect(canonicalNftJson(a)).toBe(canonicalNftJson(b));
  });
});
