import { type NatRule, sortNatRules } from '@natgw/domain';
import { networkFixtureRules } from './fixtures/network-fixture-rules';
import networkHandEdited from './fixtures/network-hand-edited.json';
import networkHealthy from './fixtures/network-healthy.json';
import type { NftJson } from './nat-table-layout';
import { renderRoutingChanges, renderRoutingRepair, routingProblems } from './network-routing';
import { UNEXPECTED_CONTENT_NIC_UID, parseNatRuleset } from './parse-nat-ruleset';
import { renderNatChanges } from './render-nat-changes';
import { type NatNetwork, type NatTableLayout, renderNatRuleset } from './render-nat-ruleset';

// Network mode (DATAPLANE_NETWORK_INTERFACE=vni{vni}): the fixtures are `nft -j` output captured
// from nftables 1.0.6 (see fixtures/network-fixture-rules.ts).
const target = { table: 'natgw', uplinks: ['up0'] };
const json = (fixture: unknown) => fixture as NftJson;
const vniOf = (ifname: string) => {
  const match = /^vni([1-9][0-9]*)$/.exec(ifname);
  return match ? Number(match[1]) : undefined;
};
const reading = { mode: 'network' as const, vniOf };
const networks = new Map<number, NatNetwork>([
  [100, { vni: 100, id: 1, ifname: 'vni100' }],
  [200, { vni: 200, id: 2, ifname: 'vni200' }],
]);
const layout: NatTableLayout = { mode: 'network', networks };
const rules = sortNatRules(networkFixtureRules);

describe('network mode: rendering', () => {
  const text = renderNatRuleset(rules, target, layout);

  it('keys NAT by network id and private address, and maps interfaces to ids and zones', () => {
    expect(text).toContain(
      '\tmap netid {\n\t\ttype ifname : mark\n\t\telements = {\n\t\t\t"vni100" : 1,\n\t\t\t"vni200" : 2\n\t\t}\n\t}',
    );
    expect(text).toContain('\tmap netzone {\n\t\ttypeof iifname : ct zone\n');
    expect(text).toContain(
      '\t\t\t1 . 10.77.0.2 comment "nic=a gw=gw-100 vni=100 name=vm-a" : 203.0.113.1 . 1024-2047,\n' +
        '\t\t\t2 . 10.77.0.2 comment "nic=b gw=gw-200 vni=200" : 203.0.113.1 . 2048-3071\n',
    );
    expect(text).toContain(
      '\t\ttype mark . ipv6_addr : ipv6_addr\n\t\telements = {\n\t\t\t1 . fd77::2 : 2001:db8:100::1,',
    );
    // One private address in two networks is one member of the filter set.
    expect(text).toContain(
      '\tset nics4 {\n\t\ttype ipv4_addr\n\t\telements = {\n\t\t\t10.77.0.2\n\t\t}\n\t}',
    );
  });

  it('zones connections per network before conntrack and routes replies by mark', () => {
    expect(text).toContain(
      '\tchain zones {\n\t\ttype filter hook prerouting priority raw; policy accept;\n' +
        '\t\tiifname != @uplinks ct original zone set iifname map @netzone\n\t}',
    );
    expect(text).toContain('\t\tiifname != @uplinks ct mark set iifname map @netid\n');
    expect(text).toContain(
      '\tchain replies {\n\t\ttype filter hook prerouting priority dstnat + 10; policy accept;\n' +
        '\t\tiifname @uplinks ct direction reply ip daddr set ct mark map @netaddr4\n' +
        '\t\tiifname @uplinks ct direction reply ip6 daddr set ct mark map @netaddr6\n\t}',
    );
    expect(text).toContain(
      '\t\tip daddr 240.0.0.0/16 ip daddr set ct original ip saddr\n' +
        '\t\tip6 daddr 100::/64 ip6 daddr set ct original ip6 saddr\n',
    );
    expect(text).toContain(
      '\tmap netaddr6 {\n\t\ttype mark : ipv6_addr\n\t\telements = {\n\t\t\t1 : 100::1,\n\t\t\t2 : 100::2\n',
    );
    expect(text).toContain(
      'oifname @uplinks meta l4proto { tcp, udp, icmp } snat ip to ct mark . ip saddr map @snat4',
    );
    expect(text).toContain('oifname @uplinks ct mark . ip6 saddr vmap @snat6');
    expect(text).toContain(
      'meta l4proto { tcp, udp, ipv6-icmp } snat ip6 to ct mark . ip6 saddr map @natip6 : 1024-2047',
    );
  });

  it('sends a new network and its NIC as element additions, and keeps a shared address member', () => {
    const third: NatNetwork = { vni: 300, id: 3, ifname: 'vni300' };
    const bigger: NatTableLayout = {
      mode: 'network',
      networks: new Map([...networks, [300, third]]),
    };
    const c: NatRule = {
      ...(rules[0] as NatRule),
      nicUid: 'c',
      nicName: undefined,
      vni: 300,
      natIp: '203.0.113.2',
    };
    const { nicName: _drop, ...plainC } = c;
    expect(renderNatChanges(rules, [...rules, plainC], 'natgw', layout, bigger)).toBe(
      'add element inet natgw snat4 { 3 . 10.77.0.2 comment "nic=c gw=gw-100 vni=300" : 203.0.113.2 . 1024-2047 }\n' +
        'add element inet natgw natips4 { 203.0.113.2 }\n' +
        'add element inet natgw netid { "vni300" : 3 }\n' +
        'add element inet natgw netzone { "vni300" : 3 }\n' +
        'add element inet natgw netaddr4 { 3 : 240.0.0.3 }\n' +
        'add element inet natgw netaddr6 { 3 : 100::3 }\n',
    );
    // Network 200 leaves; 10.77.0.2 stays in nics4 for network 100.
    const only100 = rules.filter((r) => r.vni === 100);
    const smaller: NatTableLayout = {
      mode: 'network',
      networks: new Map([[100, networks.get(100) as NatNetwork]]),
    };
    expect(renderNatChanges(rules, only100, 'natgw', layout, smaller)).toBe(
      'delete element inet natgw snat4 { 2 . 10.77.0.2 }\n' +
        'delete element inet natgw snat6 { 2 . fd77::2 }\n' +
        'delete element inet natgw natip6 { 2 . fd77::2 }\n' +
        'delete element inet natgw netid { "vni200" }\n' +
        'delete element inet natgw netzone { "vni200" }\n' +
        'delete element inet natgw netaddr4 { 2 }\n' +
        'delete element inet natgw netaddr6 { 2 }\n' +
        'flush chain inet natgw snat6-2048-3071\n' +
        'delete chain inet natgw snat6-2048-3071\n',
    );
  });
});

describe('network mode: read-back', () => {
  it('reads the captured table back exactly, with each rule in its network', () => {
    const inspection = parseNatRuleset(json(networkHealthy), target, reading);
    expect(inspection.problems).toEqual([]);
    expect(inspection.rules).toEqual(rules);
    expect(inspection.networks).toEqual(networks);
  });

  it('takes a network out of effect when its zone disagrees, and flags an element of no network', () => {
    const inspection = parseNatRuleset(json(networkHandEdited), target, reading);
    expect(inspection.problems).toEqual([
      { scope: { vni: 200 }, message: 'netzone[vni200] is not netid[vni200] (2)' },
      {
        scope: 'stray',
        message: 'snat4 has a key natgw does not write: {"concat":[42,"10.9.9.9"]}',
      },
    ]);
    // Network 200's rules are read as its own, but not in effect.
    expect(inspection.rules.map((r) => `${r.family}/${r.nicUid}`)).toEqual([
      `IPv4/${UNEXPECTED_CONTENT_NIC_UID}`,
      'IPv4/a',
      'IPv6/a',
    ]);
    expect(inspection.ineffective.map((r) => `${r.family}/${r.nicUid}@${r.vni}`)).toEqual([
      'IPv4/b@200',
      'IPv6/b@200',
    ]);
    expect(inspection.networks.has(200)).toBe(false);
  });

  it('reads a shared-mode table as one with the wrong maps', () => {
    const inspection = parseNatRuleset(json(networkHealthy), target, { mode: 'shared' });
    expect(inspection.rules.map((r) => r.nicUid)).toEqual([UNEXPECTED_CONTENT_NIC_UID]);
    expect(inspection.problems.some((p) => p.scope === 'table')).toBe(true);
  });
});

describe('network mode: routing', () => {
  type Entries = Record<'IPv4' | 'IPv6', Record<string, unknown>[]>;
  // Captured with `ip -j` (iproute2 6.1) after an apply with networks 100 (id 1) and 200 (id 2).
  const healthy: { rules: Entries; routes: Entries } = {
    rules: {
      IPv4: [
        { priority: 0, src: 'all', table: 'local' },
        { priority: 5200, src: 'all', dst: '240.0.0.0', dstlen: 16, table: '7000000' },
        { priority: 32766, src: 'all', table: 'main' },
      ],
      IPv6: [
        { priority: 0, src: 'all', table: 'local' },
        { priority: 5200, src: 'all', dst: '100::', dstlen: 64, table: '7000000' },
        { priority: 32766, src: 'all', table: 'main' },
      ],
    },
    routes: {
      IPv4: [
        { dst: '240.0.0.1', dev: 'vni100', scope: 'link', flags: [] },
        { dst: '240.0.0.2', dev: 'vni200', scope: 'link', flags: [] },
      ],
      IPv6: [
        { dst: '100::1', dev: 'vni100', metric: 1024, flags: [], pref: 'medium' },
        { dst: '100::2', dev: 'vni200', metric: 1024, flags: [], pref: 'medium' },
      ],
    },
  };

  it('finds nothing wrong with what natgw wrote, and has nothing to repair', () => {
    expect(routingProblems(healthy, networks)).toEqual([]);
    expect(renderRoutingRepair(healthy, networks)).toEqual({ IPv4: '', IPv6: '' });
  });

  it('sees a deleted rule, a moved route and a stray route, and repairs only its own', () => {
    const drifted = {
      rules: {
        IPv4: healthy.rules.IPv4.filter((r) => r.table !== '7000000'),
        IPv6: [...healthy.rules.IPv6, { priority: 100, src: 'all', table: '7000000' }],
      },
      routes: {
        IPv4: [
          { dst: '240.0.0.1', dev: 'vni100', scope: 'link', flags: [] },
          { dst: '240.0.0.2', dev: 'vni100', scope: 'link', flags: [] },
        ],
        IPv6: [...healthy.routes.IPv6, { dst: '100::9', dev: 'vni100', flags: [] }],
      },
    };
    expect(routingProblems(drifted, networks)).toEqual([
      {
        scope: 'table',
        message: 'ip -4 rule "pref 5200 to 240.0.0.0/16 table 7000000" is missing',
      },
      { scope: { vni: 200 }, message: 'ip -4 route 240.0.0.2 dev vni200 table 7000000 is missing' },
      { scope: 'stray', message: "ip -4 route 240.0.0.2 in table 7000000 is no network's" },
      {
        scope: 'stray',
        message: 'ip -6 rules to table 7000000 are not just "pref 5200 to 100::/64 table 7000000"',
      },
      { scope: 'stray', message: "ip -6 route 100::9 in table 7000000 is no network's" },
    ]);
    expect(renderRoutingRepair(drifted, networks)).toEqual({
      IPv4:
        'rule add pref 5200 to 240.0.0.0/16 table 7000000\n' +
        'route del 240.0.0.2 dev vni100 table 7000000\n' +
        'route replace 240.0.0.2 dev vni200 table 7000000\n',
      IPv6: 'rule del pref 100 table 7000000\n' + 'route del 100::9 dev vni100 table 7000000\n',
    });
  });

  it('changes only the networks that come or go when the routing is known', () => {
    const only100 = new Map([[100, networks.get(100) as NatNetwork]]);
    expect(renderRoutingChanges(networks, only100)).toEqual({
      IPv4: 'route del 240.0.0.2 dev vni200 table 7000000\n',
      IPv6: 'route del 100::2 dev vni200 table 7000000\n',
    });
    expect(renderRoutingChanges(networks, networks)).toEqual({ IPv4: '', IPv6: '' });
    expect(renderRoutingChanges(new Map(), only100).IPv6).toBe(
      'rule add pref 5200 to 100::/64 table 7000000\n' +
        'route replace 100::1 dev vni100 table 7000000\n',
    );
    expect(renderRoutingChanges(only100, new Map()).IPv4).toBe(
      'route del 240.0.0.1 dev vni100 table 7000000\n' +
        'rule del pref 5200 to 240.0.0.0/16 table 7000000\n',
    );
  });
});
