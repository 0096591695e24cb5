// Real packets through the nftables backend in network mode (DATAPLANE_NETWORK_INTERFACE): two
// tenant networks whose VMs have the SAME addresses (10.77.0.2, fd77::2), each behind its own
// interface (`vni<vni>`) in the gateway namespace, which carries the same gateway address. Every
// packet stays inside namespaces this file creates; they are removed afterwards even on failure.
import {
  type NatRule,
  diffNatRules,
  isNatRuleDiffEmpty,
  natRuleKey,
  sortNatRules,
} from '@natgw/domain';
import {
  type LabServer,
  type NetworkTopology,
  assertNetnsPrerequisites,
  buildNetworkTopology,
} from '@natgw/testing';
import {
  NftablesBackend,
  UNEXPECTED_CONTENT_NIC_UID,
} from '../../apps/dataplane-executor/src/backends';
import {
  NETWORK_ROUTE_TABLE,
  NETWORK_RULE_PRIORITY,
} from '../../apps/dataplane-executor/src/backends/nftables/network-routing';
import { replyAddress } from '../../apps/dataplane-executor/src/backends/nftables/nat-table-layout';

jest.setTimeout(120_000);

const TCP = 8080;
const UDP = 8081;
const VNI_A = 100;
const VNI_B = 200;
// Short on purpose: a dropped packet never answers, so every negative probe waits this long.
const SILENCE_MS = 1_500;

type Family = 'IPv4' | 'IPv6';

describe('nftables network mode with real packets', () => {
  let topo: NetworkTopology;
  let backend: NftablesBackend;
  let server4: LabServer;
  let server6: LabServer;
  let rules: NatRule[];
  let tokens = 0;
  let localPort = 40_000;
  const token = () => `t${(tokens += 1)}`;

  const vmOf = (vni: number) => topo.networks.find((n) => n.vni === vni)?.vm.ns as string;
  const ruleOf = (vni: number, family: Family) =>
    rules.find((r) => r.vni === vni && r.family === family) as NatRule;
  const nft = (...args: string[]) => topo.lab.exec(topo.gateway.ns, 'nft', args);
  const ipIn = (...args: string[]) => topo.lab.exec(topo.gateway.ns, 'ip', args);
  const serverOf = (family: Family) => (family === 'IPv4' ? server4 : server6);
  const hostOf = (family: Family) => (family === 'IPv4' ? topo.internet.ipv4 : topo.internet.ipv6);

  /** The network id natgw gave a network on this node, read from its netid map. */
  async function networkId(vni: number): Promise<number> {
    const listed = await nft('-j', 'list', 'map', 'inet', 'natgw', 'netid');
    const doc = JSON.parse(listed.stdout) as {
      nftables: { map?: { elem?: [string, number][] } }[];
    };
    const elems = doc.nftables.find((e) => e.map)?.map?.elem ?? [];
    return (elems.find(([name]) => name === `vni${vni}`) as [string, number])[1];
  }

  /**
   * Both networks' VMs send the same flow at the same time: same source address and port, same
   * server. Returns what each got and how the server saw it.
   */
  async function sameFlowFromBoth(family: Family, proto: 'tcp' | 'udp', timeoutMs = 5_000) {
    const port = (localPort += 1);
    const sent = [VNI_A, VNI_B].map((vni) => ({ vni, token: token() }));
    const results = await Promise.all(
      sent.map(({ vni, token: t }) =>
        topo.lab.probe(
          vmOf(vni),
          proto,
          hostOf(family),
          proto === 'tcp' ? TCP : UDP,
          t,
          timeoutMs,
          port,
        ),
      ),
    );
    return sent.map(({ vni, token: t }, i) => ({
      vni,
      result: results[i],
      seen: serverOf(family).flow(t),
    }));
  }

  async function expectEachInItsOwnSlot(family: Family, proto: 'tcp' | 'udp') {
    const flows = await sameFlowFromBoth(family, proto);
    for (const { vni, result, seen } of flows) {
      const r = ruleOf(vni, family);
      const where = `vni ${vni} ${family} ${proto}`;
      expect({ where, ...result }).toEqual({ where, ok: true });
      expect({ where, address: seen?.address }).toEqual({ where, address: r.natIp });
      expect(seen?.port).toBeGreaterThanOrEqual(r.port);
      expect(seen?.port).toBeLessThanOrEqual(r.endPort);
    }
  }

  async function expectAllNat() {
    for (const family of ['IPv4', 'IPv6'] as const) {
      for (const proto of ['tcp', 'udp'] as const) await expectEachInItsOwnSlot(family, proto);
    }
  }

  const inEffect = async () => isNatRuleDiffEmpty(diffNatRules(rules, await backend.read()));

  beforeAll(async () => {
    assertNetnsPrerequisites();
    topo = await buildNetworkTopology([VNI_A, VNI_B]);
    try {
      backend = new NftablesBackend({
        netns: topo.gateway.ns,
        uplinks: [topo.gateway.uplink],
        networkInterface: 'vni{vni}',
      });
      server4 = await topo.lab.serve(topo.internet.ns, topo.internet.ipv4, TCP, UDP);
      server6 = await topo.lab.serve(topo.internet.ns, topo.internet.ipv6, TCP, UDP);
      const nic = (vni: number, family: Family, natIp: string, port: number): NatRule => ({
        nicUid: `nic-${vni}`,
        nicName: `vm-${vni}`,
        gatewayUid: `gw-${vni}`,
        family,
        vni,
        privateIp: family === 'IPv4' ? '10.77.0.2' : 'fd77::2',
        natIp,
        port,
        endPort: port + 1023,
      });
      rules = [
        // IPv4: each network its own NAT IP, the same slot range.
        nic(VNI_A, 'IPv4', '203.0.113.1', 1024),
        nic(VNI_B, 'IPv4', '203.0.113.2', 1024),
        // IPv6: one NAT IP shared by both networks' gateways, neighbouring slots.
        nic(VNI_A, 'IPv6', '2001:db8:100::1', 1024),
        nic(VNI_B, 'IPv6', '2001:db8:100::1', 2048),
      ];
      expect(await backend.apply(rules)).toEqual({ rejected: [] });
    } catch (error) {
      await topo.lab.destroy();
      throw error;
    }
  });

  afterAll(async () => {
    await topo?.lab.destroy();
  });

  it('reads back exactly what it applied, each rule with its network', async () => {
    const inspection = await backend.inspect();
    expect(inspection.problems).toEqual([]);
    expect(inspection.rules).toEqual(sortNatRules(rules));
  });

  it('sends identical TCP and UDP 5-tuples from both networks at once, each as its own NAT IP in its own slot (IPv4 and IPv6)', async () => {
    await expectAllNat();
  });

  it('sends ICMP echo with the same identifier from both networks at once, and both get replies', async () => {
    for (const family of ['IPv4', 'IPv6'] as const) {
      const echoes = await topo.lab.sniffEchoes(topo.internet.ns, family === 'IPv4' ? 4 : 6);
      const replies = await Promise.all(
        [VNI_A, VNI_B].map((vni) => topo.lab.ping(vmOf(vni), hostOf(family), 77)),
      );
      expect(replies).toEqual([{ ok: true }, { ok: true }]);
      const seen = echoes.seen();
      for (const vni of [VNI_A, VNI_B]) {
        const r = ruleOf(vni, family);
        const mine = seen.filter(
          (e) => e.address === r.natIp && e.id >= r.port && e.id <= r.endPort,
        );
        expect({ vni, family, echoes: mine.length }).toEqual({ vni, family, echoes: 1 });
      }
    }
  });

  it('never lets unsolicited traffic from the internet reach a VM', async () => {
    const vm = topo.networks[0]?.vm as { ns: string; ipv4: string; ipv6: string };
    const inSlot = ruleOf(VNI_A, 'IPv4').port + 10;
    const listener4 = await topo.lab.serve(vm.ns, '0.0.0.0', inSlot, inSlot);
    const listener6 = await topo.lab.serve(vm.ns, '::', inSlot + 1, inSlot + 1);
    try {
      const targets = [
        { host: vm.ipv4, port: inSlot },
        { host: ruleOf(VNI_A, 'IPv4').natIp, port: inSlot },
        { host: vm.ipv6, port: inSlot + 1 },
        { host: ruleOf(VNI_A, 'IPv6').natIp, port: inSlot + 1 },
      ];
      const attempts = targets.flatMap((t) =>
        (['tcp', 'udp'] as const).map(async (proto) => {
          const r = await topo.lab.probe(
            topo.internet.ns,
            proto,
            t.host,
            t.port,
            `evil-${proto}`,
            SILENCE_MS,
          );
          return { what: `${proto} to ${t.host}:${t.port}`, ok: r.ok };
        }),
      );
      const pings = [vm.ipv4, '203.0.113.1', vm.ipv6, '2001:db8:100::1'].map(async (host, i) => {
        const r = await topo.lab.ping(topo.internet.ns, host, 900 + i, SILENCE_MS);
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

  it('rejects the rules of a network whose interface is missing, and keeps the others', async () => {
    const ghost: NatRule = {
      ...ruleOf(VNI_A, 'IPv4'),
      nicUid: 'nic-300',
      nicName: 'vm-300',
      vni: 300,
      natIp: '203.0.113.3',
    };
    const result = await backend.apply([...rules, ghost]);
    expect(result.rejected).toEqual([
      {
        rule: ghost,
        reason: 'NetworkInterfaceMissing',
        message:
          'NAT rule IPv4/nic-300 (nic vm-300): the interface of network vni 300 does not exist on this node',
      },
    ]);
    expect(await inEffect()).toBe(true);
    await expectEachInItsOwnSlot('IPv4', 'udp');
  });

  it('repairs a deleted map element', async () => {
    const b4 = ruleOf(VNI_B, 'IPv4');
    const id = await networkId(VNI_B);
    expect(
      (await nft('delete', 'element', 'inet', 'natgw', 'snat4', `{ ${id} . ${b4.privateIp} }`))
        .stderr,
    ).toBe('');
    const diff = diffNatRules(rules, await backend.read());
    expect(diff.missing.map((r) => `${natRuleKey(r)}@${r.vni}`)).toEqual([
      `IPv4/nic-${VNI_B}@${VNI_B}`,
    ]);
    await backend.apply(rules);
    expect(await inEffect()).toBe(true);
    await expectEachInItsOwnSlot('IPv4', 'tcp');
  });

  it('repairs a deleted conntrack zone entry', async () => {
    expect(
      (await nft('delete', 'element', 'inet', 'natgw', 'netzone', `{ "vni${VNI_B}" }`)).stderr,
    ).toBe('');
    const inspection = await backend.inspect();
    const diff = diffNatRules(rules, inspection.rules);
    // Both of the network's rules are out of effect; the marker makes the drift visible too.
    expect(diff.missing.map(natRuleKey)).toEqual([`IPv4/nic-${VNI_B}`, `IPv6/nic-${VNI_B}`]);
    expect(diff.extra.map((r) => r.nicUid)).toEqual([UNEXPECTED_CONTENT_NIC_UID]);
    await backend.apply(rules);
    expect(await inEffect()).toBe(true);
    await expectEachInItsOwnSlot('IPv4', 'udp');
    await expectEachInItsOwnSlot('IPv6', 'udp');
  });

  it('repairs a deleted ip rule; the read-back told the truth about packets', async () => {
    const deleted = await ipIn(
      '-4',
      'rule',
      'del',
      'pref',
      String(NETWORK_RULE_PRIORITY),
      'table',
      String(NETWORK_ROUTE_TABLE),
    );
    expect(deleted.stderr).toBe('');
    // Without the rule no IPv4 reply finds its network: every IPv4 and IPv6 rule counts as out
    // of effect (the rule is the table's), and the packets agree for IPv4.
    const diff = diffNatRules(rules, await backend.read());
    expect(diff.missing).toHaveLength(4);
    const broken = await sameFlowFromBoth('IPv4', 'tcp', SILENCE_MS);
    expect(broken.map((f) => [f.vni, f.result?.ok])).toEqual([
      [VNI_A, false],
      [VNI_B, false],
    ]);
    await backend.apply(rules);
    expect(await inEffect()).toBe(true);
    await expectEachInItsOwnSlot('IPv4', 'tcp');
  });

  it("repairs a network's deleted route, and a flushed table", async () => {
    const id = await networkId(VNI_B);
    const route = await ipIn(
      '-6',
      'route',
      'del',
      replyAddress('IPv6', id),
      'table',
      String(NETWORK_ROUTE_TABLE),
    );
    expect(route.stderr).toBe('');
    const diff = diffNatRules(rules, await backend.read());
    expect(diff.missing.map(natRuleKey)).toEqual([`IPv4/nic-${VNI_B}`, `IPv6/nic-${VNI_B}`]);
    const broken = await sameFlowFromBoth('IPv6', 'udp', SILENCE_MS);
    expect(broken.map((f) => [f.vni, f.result?.ok])).toEqual([
      [VNI_A, true],
      [VNI_B, false],
    ]);
    await backend.apply(rules);
    expect(await inEffect()).toBe(true);
    await expectEachInItsOwnSlot('IPv6', 'tcp');

    expect((await ipIn('-4', 'route', 'flush', 'table', String(NETWORK_ROUTE_TABLE))).code).toBe(0);
    expect(diffNatRules(rules, await backend.read()).missing).toHaveLength(4);
    await backend.apply(rules);
    expect(await inEffect()).toBe(true);
    await expectAllNat();
  });

  it('repairs a deleted table, keeping every network its id', async () => {
    const ids = [await networkId(VNI_A), await networkId(VNI_B)];
    expect((await nft('delete', 'table', 'inet', 'natgw')).code).toBe(0);
    const diff = diffNatRules(rules, await backend.read());
    expect(diff.missing).toHaveLength(4);
    await backend.apply(rules);
    expect(await inEffect()).toBe(true);
    expect([await networkId(VNI_A), await networkId(VNI_B)]).toEqual(ids);
    await expectAllNat();
  });

  it('keeps the ids a new backend (an executor restart) finds in the table, and never reuses a freed one at once', async () => {
    const ids = [await networkId(VNI_A), await networkId(VNI_B)];
    const restarted = new NftablesBackend({
      netns: topo.gateway.ns,
      uplinks: [topo.gateway.uplink],
      networkInterface: 'vni{vni}',
    });
    // Only network B stays: A's id must not move to B.
    const onlyB = rules.filter((r) => r.vni === VNI_B);
    await restarted.apply(onlyB);
    expect(await networkId(VNI_B)).toBe(ids[1]);
    const routesNow = await ipIn('-j', '-4', 'route', 'show', 'table', String(NETWORK_ROUTE_TABLE));
    const routed = (JSON.parse(routesNow.stdout) as { dst: string; dev: string }[]).map(
      (r) => `${r.dst} ${r.dev}`,
    );
    expect(routed).toEqual([`${replyAddress('IPv4', ids[1] as number)} vni${VNI_B}`]);
    // A comes back with a fresh id: its old one may still be on connections in conntrack.
    await restarted.apply(rules);
    expect(await networkId(VNI_B)).toBe(ids[1]);
    expect(ids).not.toContain(await networkId(VNI_A));
    await expectAllNat();
  });

  it('remove() deletes the table and natgw routing, and nothing else', async () => {
    await backend.remove();
    expect(await backend.read()).toEqual([]);
    const rules4 = JSON.parse((await ipIn('-j', '-4', 'rule', 'show')).stdout) as {
      priority: number;
    }[];
    const rules6 = JSON.parse((await ipIn('-j', '-6', 'rule', 'show')).stdout) as {
      priority: number;
    }[];
    expect([...rules4, ...rules6].filter((r) => r.priority === NETWORK_RULE_PRIORITY)).toEqual([]);
    expect(rules4.map((r) => r.priority)).toEqual([0, 32766, 32767]);
    const table = await ipIn('-4', 'route', 'show', 'table', String(NETWORK_ROUTE_TABLE));
    // Emptied (a kernel may keep the empty table, or say it does not exist).
    expect(table.stdout.trim()).toBe('');
  });
});
