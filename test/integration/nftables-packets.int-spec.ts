// Real packets through the nftables backend: two private VM namespaces -> a gateway namespace the
// backend programs -> an "internet" namespace (see buildNatTopology). Every packet stays inside
// namespaces this file creates, and they are removed afterwards even when a test fails.
import { type NatRule, diffNatRules, isNatRuleDiffEmpty, natRuleKey } from '@natgw/domain';
import {
  type LabServer,
  type NatTopology,
  assertNetnsPrerequisites,
  buildNatTopology,
} from '@natgw/testing';
import { NftablesBackend } from '../../apps/dataplane-executor/src/backends';

jest.setTimeout(60_000);

const TCP = 8080;
const UDP = 8081;
// Inside vm1's IPv4 and IPv6 slots (1024-2047): an attacker's best guess at a live mapping.
const PORT_IN_VM1_SLOT = 1500;
// Short on purpose: a dropped packet never answers, so every negative probe waits this long.
const UNSOLICITED_TIMEOUT_MS = 1_000;

describe('nftables backend with real packets', () => {
  let topo: NatTopology;
  let backend: NftablesBackend;
  let server4: LabServer;
  let server6: LabServer;
  let rules: NatRule[];
  let tokens = 0;
  const token = () => `t${(tokens += 1)}`;

  const rule = (vm: 0 | 1, family: 'IPv4' | 'IPv6', natIp: string, port: number): NatRule => ({
    nicUid: `nic-vm${vm + 1}`,
    nicName: `vm${vm + 1}-nic0`,
    gatewayUid: family === 'IPv4' ? 'gw-v4' : 'gw-v6',
    family,
    privateIp: family === 'IPv4' ? (topo.vms[vm]?.ipv4 as string) : (topo.vms[vm]?.ipv6 as string),
    natIp,
    port,
    endPort: port + 1023,
  });

  /** Sends one flow from a VM to the internet server; returns what the server saw. */
  async function flowFrom(vm: 0 | 1, family: 'IPv4' | 'IPv6', proto: 'tcp' | 'udp') {
    const t = token();
    const host = family === 'IPv4' ? topo.internet.ipv4 : topo.internet.ipv6;
    const result = await topo.lab.probe(
      topo.vms[vm]?.ns as string,
      proto,
      host,
      proto === 'tcp' ? TCP : UDP,
      t,
    );
    const server = family === 'IPv4' ? server4 : server6;
    return { result, seen: server.flow(t) };
  }

  beforeAll(async () => {
    assertNetnsPrerequisites();
    topo = await buildNatTopology(2);
    try {
      backend = new NftablesBackend({ netns: topo.gateway.ns, uplinks: [topo.gateway.uplink] });
      server4 = await topo.lab.serve(topo.internet.ns, topo.internet.ipv4, TCP, UDP);
      server6 = await topo.lab.serve(topo.internet.ns, topo.internet.ipv6, TCP, UDP);
      rules = [
        // Two NICs on one NAT IP in neighbouring slots...
        rule(0, 'IPv4', '203.0.113.1', 1024),
        rule(1, 'IPv4', '203.0.113.1', 2048),
        // ...and for IPv6, one slot range on two NAT IPs (one range chain, two addresses).
        rule(0, 'IPv6', '2001:db8:100::1', 1024),
        rule(1, 'IPv6', '2001:db8:100::2', 1024),
      ];
      await backend.apply(rules);
    } catch (error) {
      await topo.lab.destroy();
      throw error;
    }
  });

  afterAll(async () => {
    await topo?.lab.destroy();
  });

  it('sends TCP and UDP from each VM as its NAT IP, from a port inside its slot (IPv4 and IPv6)', async () => {
    for (const r of rules) {
      const vm = r.nicUid === 'nic-vm1' ? 0 : 1;
      for (const proto of ['tcp', 'udp'] as const) {
        const { result, seen } = await flowFrom(vm, r.family, proto);
        const where = `${natRuleKey(r)} ${proto}`;
        expect({ where, ...result }).toEqual({ where, ok: true });
        expect({ where, address: seen?.address }).toEqual({ where, address: r.natIp });
        expect(seen?.port).toBeGreaterThanOrEqual(r.port);
        expect(seen?.port).toBeLessThanOrEqual(r.endPort);
      }
    }
  });

  it('sends ICMP echo as the NAT IP with an identifier inside the slot, and gets the reply', async () => {
    const echoes4 = await topo.lab.sniffEchoes(topo.internet.ns, 4);
    const echoes6 = await topo.lab.sniffEchoes(topo.internet.ns, 6);
    // Identifiers outside every slot, so the translation is visible.
    expect(await topo.lab.ping(topo.vms[0]?.ns as string, topo.internet.ipv4, 7)).toEqual({
      ok: true,
    });
    expect(await topo.lab.ping(topo.vms[1]?.ns as string, topo.internet.ipv6, 8)).toEqual({
      ok: true,
    });
    const [vm1v4, vm2v6] = [rules[0] as NatRule, rules[3] as NatRule];
    const seen4 = echoes4.seen();
    const seen6 = echoes6.seen();
    expect(seen4.map((e) => e.address)).toEqual([vm1v4.natIp]);
    expect(seen4[0]?.id).toBeGreaterThanOrEqual(vm1v4.port);
    expect(seen4[0]?.id).toBeLessThanOrEqual(vm1v4.endPort);
    expect(seen6.map((e) => e.address)).toEqual([vm2v6.natIp]);
    expect(seen6[0]?.id).toBeGreaterThanOrEqual(vm2v6.port);
    expect(seen6[0]?.id).toBeLessThanOrEqual(vm2v6.endPort);
  });

  it('never lets unsolicited traffic from the internet reach a VM', async () => {
    const vm1 = topo.vms[0] as { ns: string; ipv4: string; ipv6: string };
    const listener4 = await topo.lab.serve(vm1.ns, '0.0.0.0', PORT_IN_VM1_SLOT, PORT_IN_VM1_SLOT);
    const listener6 = await topo.lab.serve(
      vm1.ns,
      '::',
      PORT_IN_VM1_SLOT + 1,
      PORT_IN_VM1_SLOT + 1,
    );
    try {
      // The listeners are reachable where natgw does not filter (from the gateway itself), so
      // failures below come from the filter, not from a dead listener.
      const control = await topo.lab.probe(
        topo.gateway.ns,
        'tcp',
        vm1.ipv4,
        PORT_IN_VM1_SLOT,
        'control',
      );
      expect(control).toEqual({ ok: true });

      const targets = [
        { host: vm1.ipv4, port: PORT_IN_VM1_SLOT, what: 'private IPv4' },
        { host: '203.0.113.1', port: PORT_IN_VM1_SLOT, what: 'NAT IPv4 inside the slot' },
        { host: vm1.ipv6, port: PORT_IN_VM1_SLOT + 1, what: 'private IPv6' },
        { host: '2001:db8:100::1', port: PORT_IN_VM1_SLOT + 1, what: 'NAT IPv6 inside the slot' },
      ];
      const attempts = targets.flatMap((t) =>
        (['tcp', 'udp'] as const).map(async (proto) => {
          const r = await topo.lab.probe(
            topo.internet.ns,
            proto,
            t.host,
            t.port,
            `evil-${proto}`,
            UNSOLICITED_TIMEOUT_MS,
          );
          return { what: `${proto} to ${t.what}`, ok: r.ok };
        }),
      );
      const pings = [vm1.ipv4, '203.0.113.1', vm1.ipv6, '2001:db8:100::1'].map(async (host, i) => {
        const r = await topo.lab.ping(topo.internet.ns, host, 900 + i, UNSOLICITED_TIMEOUT_MS);
        return { what: `ping ${host}`, ok: r.ok };
      });
      const results = await Promise.all([...attempts, ...pings]);
      expect(results.filter((r) => r.ok)).toEqual([]);
      const evil = [...listener4.seen, ...listener6.seen].filter((f) => f.token.startsWith('evil'));
      expect(evil).toEqual([]);
    } finally {
      await listener4.stop();
      await listener6.stop();
    }
  });

  it('reads a table deleted by hand as empty; apply restores NAT', async () => {
    const deleted = await topo.lab.exec(topo.gateway.ns, 'nft', [
      'delete',
      'table',
      'inet',
      'natgw',
    ]);
    expect(deleted.code).toBe(0);
    const diff = diffNatRules(rules, await backend.read());
    expect(diff.missing.map(natRuleKey)).toEqual(rules.map(natRuleKey));

    // Without natgw, vm1's traffic leaves with its private source.
    const bare = await flowFrom(0, 'IPv4', 'udp');
    expect(bare.seen?.address).toBe(topo.vms[0]?.ipv4);

    await backend.apply(rules);
    expect(isNatRuleDiffEmpty(diffNatRules(rules, await backend.read()))).toBe(true);
    const restored = await flowFrom(0, 'IPv4', 'udp');
    expect(restored.seen?.address).toBe('203.0.113.1');
  });

  it('reads a hand-edited element back as changed, and apply puts the slot back', async () => {
    const vm1v4 = rules[0] as NatRule;
    const edit = await topo.lab.exec(topo.gateway.ns, 'nft', ['-f', '-'], {
      input:
        `delete element inet natgw snat4 { ${vm1v4.privateIp} }\n` +
        `add element inet natgw snat4 { ${vm1v4.privateIp} comment "nic=nic-vm1 gw=gw-v4" : 203.0.113.1 . 40000-40099 }\n`,
    });
    expect(edit.stderr).toBe('');
    const diff = diffNatRules(rules, await backend.read());
    expect(
      diff.changed.map((c) => [natRuleKey(c.desired), c.fields, c.actual.port, c.actual.endPort]),
    ).toEqual([['IPv4/nic-vm1', ['port', 'endPort'], 40000, 40099]]);
    // The read-back told the truth: packets used the edited range.
    const edited = await flowFrom(0, 'IPv4', 'tcp');
    expect(edited.seen?.port).toBeGreaterThanOrEqual(40000);
    expect(edited.seen?.port).toBeLessThanOrEqual(40099);

    await backend.apply(rules);
    expect(isNatRuleDiffEmpty(diffNatRules(rules, await backend.read()))).toBe(true);
    const repaired = await flowFrom(0, 'IPv4', 'tcp');
    expect(repaired.seen?.port).toBeGreaterThanOrEqual(vm1v4.port);
    expect(repaired.seen?.port).toBeLessThanOrEqual(vm1v4.endPort);
  });

  it('stops NATing a NIC removed from the table, and keeps the others', async () => {
    const withoutVm2 = rules.filter((r) => r.nicUid !== 'nic-vm2');
    await backend.apply(withoutVm2);
    expect(isNatRuleDiffEmpty(diffNatRules(withoutVm2, await backend.read()))).toBe(true);

    const vm2v4 = await flowFrom(1, 'IPv4', 'udp');
    expect(vm2v4.seen?.address).toBe(topo.vms[1]?.ipv4);
    const vm2v6 = await flowFrom(1, 'IPv6', 'udp');
    expect(vm2v6.seen?.address).toBe(topo.vms[1]?.ipv6);
    const vm1 = await flowFrom(0, 'IPv6', 'udp');
    expect(vm1.seen?.address).toBe('2001:db8:100::1');

    await backend.apply(rules);
    expect((await flowFrom(1, 'IPv4', 'udp')).seen?.address).toBe('203.0.113.1');
  });

  it('programs every other NIC when one clashes or is malformed, and its packets still NAT', async () => {
    const vm1v4 = rules[0] as NatRule;
    // A newcomer with vm1's private address (the node is one address space), one whose slot
    // overlaps vm2's, and one that is malformed.
    const sameAddress = { ...vm1v4, nicUid: 'nic-clash', natIp: '203.0.113.9' };
    const sameSlot = { ...(rules[1] as NatRule), nicUid: 'nic-slot', privateIp: '10.200.0.77' };
    const malformed = { ...vm1v4, nicUid: 'nic-bad', privateIp: '10.200.0.300' };
    // Start from a table nobody believes in, so the clash meets the rules read back.
    await backend.read();
    const { rejected } = await backend.apply([...rules, sameAddress, sameSlot, malformed]);
    expect(rejected.map((r) => [r.rule.nicUid, r.reason])).toEqual([
      ['nic-bad', 'InvalidRule'],
      ['nic-slot', 'SlotConflict'],
      ['nic-clash', 'AddressConflict'],
    ]);
    expect(rejected.find((r) => r.rule.nicUid === 'nic-clash')?.message).toBe(
      "NAT rule IPv4/nic-clash (nic vm1-nic0): private IP 10.200.0.2 on this node is already NIC vm1-nic0 (nic-vm1)'s",
    );
    expect(isNatRuleDiffEmpty(diffNatRules(rules, await backend.read()))).toBe(true);
    for (const r of rules) {
      const vm = r.nicUid === 'nic-vm1' ? 0 : 1;
      const { seen } = await flowFrom(vm, r.family, 'udp');
      expect({ key: natRuleKey(r), address: seen?.address }).toEqual({
        key: natRuleKey(r),
        address: r.natIp,
      });
    }
  });

  it('remove() takes natgw out of the path entirely', async () => {
    await backend.remove();
    expect(await backend.read()).toEqual([]);
    const listed = await topo.lab.exec(topo.gateway.ns, 'nft', ['list', 'tables']);
    expect(listed.stdout).not.toContain('natgw');
    expect((await flowFrom(0, 'IPv4', 'udp')).seen?.address).toBe(topo.vms[0]?.ipv4);
  });
});
