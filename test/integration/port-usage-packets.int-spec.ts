// Port usage measured from conntrack with real packets (issue 17.3): a VM namespace opens TCP
// connections through the gateway namespace, which natgw's nftables backend programs with a
// 4-port slot, to an "internet" namespace that holds them open. The meter counts them per slot;
// filling the slot makes the next connection fail, the slot exhausted and the kernel's
// insert_failed grow. In network mode, two networks whose NICs share a private address are
// counted each in its own slot.
import type { NatRule } from '@natgw/domain';
import {
  assertNetnsPrerequisites,
  buildNatTopology,
  buildNetworkTopology,
  holdConnections,
  LabProcess,
  NatTopology,
  NetworkTopology,
  serveHeldConnections,
} from '@natgw/testing';
import { NftablesBackend } from '../../apps/dataplane-executor/src/backends';
import { runConntrack } from '../../apps/dataplane-executor/src/conntrack';
import { PortUsageMeter } from '../../apps/dataplane-executor/src/usage/port-usage-meter';
import { UsageTracker } from '../../apps/dataplane-executor/src/usage/usage-tracker';

jest.setTimeout(120_000);

const HOLD_PORT = 8090;
const UDP_PORT = 8091;

describe('port usage from conntrack, with real packets', () => {
  let topo: NatTopology;
  let backend: NftablesBackend;
  let meter: PortUsageMeter;
  let rule: NatRule;
  const clients: LabProcess[] = [];
  /** Follows the slot across the tests, as the executor's loop does. */
  const tracker = new UsageTracker(60_000);

  async function hold(count: number): Promise<{ opened: number; failed: number }> {
    const held = await holdConnections(
      topo.lab,
      topo.vms[0].ns,
      topo.internet.ipv4,
      HOLD_PORT,
      count,
    );
    clients.push(held.process);
    return { opened: held.opened, failed: held.failed };
  }

  beforeAll(async () => {
    assertNetnsPrerequisites();
    topo = await buildNatTopology(1);
    await serveHeldConnections(topo.lab, topo.internet.ns, topo.internet.ipv4, HOLD_PORT, UDP_PORT);
    backend = new NftablesBackend({ netns: topo.gateway.ns, uplinks: [topo.gateway.uplink] });
    rule = {
      nicUid: 'nic-usage',
      nicName: 'vm-usage',
      gatewayUid: 'gw-usage',
      family: 'IPv4',
      privateIp: topo.vms[0].ipv4,
      natIp: '203.0.113.5',
      port: 2048,
      endPort: 2051,
    };
    expect((await backend.apply([rule])).rejected).toEqual([]);
    meter = new PortUsageMeter({ netns: topo.gateway.ns });
  });

  afterAll(async () => {
    await backend?.close?.();
    await topo?.lab.destroy();
  });

  it('counts held connections in the slot they were translated into', async () => {
    expect(await hold(2)).toEqual({ opened: 2, failed: 0 });
    const sample = await meter.sample([rule]);
    const slot = sample.index.slots[0];
    // The busiest destination (the one the ports are counted against) is the TCP server.
    const server = { ip: topo.internet.ipv4, port: HOLD_PORT, protocolNumber: 6 };
    expect(sample.count.bySlot.get(slot)).toEqual({
      connections: 2,
      inUse: 2,
      exhausted: false,
      destination: server,
    });
    // Another destination (UDP) is another class: connections grow, inUse does not.
    const udp = await topo.lab.probe(
      topo.vms[0].ns,
      'udp',
      topo.internet.ipv4,
      UDP_PORT,
      'u',
      3000,
    );
    expect(udp.ok).toBe(true);
    const after = await meter.sample([rule]);
    expect(after.count.bySlot.get(after.index.slots[0])).toEqual({
      connections: 3,
      inUse: 2,
      exhausted: false,
      destination: server,
    });
  });

  it('sees the slot exhausted when every port toward one destination is taken, and the kernel drop', async () => {
    const before = await meter.sample([rule]);
    tracker.observe(0, before.index, before.count);
    // Two more fill the 4-port slot; the fifth finds no free port and is dropped.
    expect(await hold(3)).toEqual({ opened: 2, failed: 1 });
    const full = await meter.sample([rule]);
    expect(full.count.bySlot.get(full.index.slots[0])).toMatchObject({ inUse: 4, exhausted: true });
    const newly = tracker.observe(1000, full.index, full.count);
    expect(newly.map((u) => [u.rule.nicUid, u.inUse, u.peak, u.exhausted])).toEqual([
      ['nic-usage', 4, 4, true],
    ]);
    expect(full.insertFailed).toBeGreaterThan(before.insertFailed);
    // What conntrack itself says: four entries toward the server, all inside the slot.
    const listed = await runConntrack(['-L', '-p', 'tcp', '--reply-dst', rule.natIp], {
      netns: topo.gateway.ns,
    });
    const ports = [...listed.matchAll(/dst=203\.0\.113\.5 sport=8090 dport=(\d+)/g)].map(
      (m) => +m[1],
    );
    expect(ports.sort()).toEqual([2048, 2049, 2050, 2051]);
  });

  it('is no longer exhausted once the connections close, and the peak remembers', async () => {
    for (const c of clients.splice(0)) await c.stop();
    // Closed connections linger in conntrack (FIN_WAIT, TIME_WAIT); delete them as a timeout would.
    await runConntrack(['-D', '-p', 'tcp', '--reply-dst', rule.natIp], {
      netns: topo.gateway.ns,
    }).catch(() => undefined);
    const idle = await meter.sample([rule]);
    expect(idle.count.bySlot.get(idle.index.slots[0])?.inUse ?? 0).toBeLessThanOrEqual(1);
    tracker.observe(2000, idle.index, idle.count);
    expect(tracker.current()[0]).toMatchObject({ peak: 4, exhausted: false });
  });
});

// Network mode: two networks whose VMs are both 10.77.0.2 hold connections to the same server at
// the same time. Conntrack zones keep their original tuples apart; the reply tuples name each
// NIC's own slot, so each is counted in its slot and nowhere else.
describe('port usage in network mode (overlapping private addresses), with real packets', () => {
  let topo: NetworkTopology;
  let backend: NftablesBackend;
  const rules: NatRule[] = [100, 200].map((vni, i) => ({
    nicUid: `nic-${vni}`,
    nicName: `vm-${vni}`,
    gatewayUid: 'gw-net',
    family: 'IPv4',
    vni,
    privateIp: '10.77.0.2',
    natIp: '203.0.113.9',
    port: 4096 + i * 8,
    endPort: 4096 + i * 8 + 7,
  }));

  beforeAll(async () => {
    assertNetnsPrerequisites();
    topo = await buildNetworkTopology([100, 200]);
    await serveHeldConnections(topo.lab, topo.internet.ns, topo.internet.ipv4, HOLD_PORT, UDP_PORT);
    backend = new NftablesBackend({
      netns: topo.gateway.ns,
      uplinks: [topo.gateway.uplink],
      networkInterface: 'vni{vni}',
    });
    expect((await backend.apply(rules)).rejected).toEqual([]);
  });

  afterAll(async () => {
    await backend?.close?.();
    await topo?.lab.destroy();
  });

  it('counts each network NIC in its own slot', async () => {
    const [first, second] = topo.networks;
    const a = await holdConnections(topo.lab, first.vm.ns, topo.internet.ipv4, HOLD_PORT, 3);
    const b = await holdConnections(topo.lab, second.vm.ns, topo.internet.ipv4, HOLD_PORT, 2);
    expect([a.opened, b.opened]).toEqual([3, 2]);
    const sample = await new PortUsageMeter({ netns: topo.gateway.ns }).sample(rules);
    const byNic = Object.fromEntries(
      sample.index.slots.map((s) => [s.rule.nicUid, sample.count.bySlot.get(s)?.inUse ?? 0]),
    );
    expect(byNic).toEqual({ 'nic-100': 3, 'nic-200': 2 });
    await a.process.stop();
    await b.process.stop();
  });
});
