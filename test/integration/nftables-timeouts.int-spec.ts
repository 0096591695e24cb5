// Issue 17.2: per-gateway conntrack timeouts with real flows. A VM whose NIC's gateway has
// spec.timeouts gets them on its connections (read back from conntrack in the gateway namespace);
// a VM of a gateway without them keeps the kernel's defaults. The table reads back exactly,
// hand edits of the timeout objects are drift, and profile changes apply incrementally.
import { type NatRule, diffNatRules, isNatRuleDiffEmpty, natTimeoutsProfile } from '@natgw/domain';
import {
  type LabProcess,
  type NatTopology,
  NetnsLab,
  assertNetnsPrerequisites,
  buildNatTopology,
} from '@natgw/testing';
import { NftablesBackend } from '../../apps/dataplane-executor/src/backends';
import { type ConntrackEntry, conntrackEntries } from '../../apps/dataplane-executor/src/conntrack';

jest.setTimeout(120_000);

const HOLD_PORT = 9191;
const UDP_PORT = 9192;
// Distinct from every kernel default (TCP established 432000 s, UDP 30 s / 120 s).
const PROFILE = natTimeoutsProfile({
  tcpEstablishedIdleSeconds: 777,
  tcpTransitoryIdleSeconds: 20,
  tcpTimeWaitSeconds: 60,
  udpIdleSeconds: 45,
});
const OTHER_PROFILE = natTimeoutsProfile({
  tcpEstablishedIdleSeconds: 555,
  tcpTransitoryIdleSeconds: 30,
  tcpTimeWaitSeconds: 120,
  udpIdleSeconds: 50,
});

// Holds every TCP connection open; answers each UDP datagram.
const SERVER = `
const net = require('net'); const dgram = require('dgram');
const [host, tcp, udp] = process.argv.slice(1);
const held = [];
net.createServer((s) => held.push(s)).listen(Number(tcp), host, () => {
  const u = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  u.on('message', (m, r) => u.send(m, r.port, r.address));
  u.bind(Number(udp), host, () => console.log('ready'));
});`;
// Opens one TCP connection and keeps it; sends one UDP datagram and waits for the answer.
const CLIENT = `
const net = require('net'); const dgram = require('dgram');
const [host, tcp, udp] = process.argv.slice(1);
const s = net.connect(Number(tcp), host, () => {
  const u = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  u.on('message', () => console.log('connected'));
  u.send('x', Number(udp), host);
});
s.on('error', (e) => console.log('error ' + e.message));`;

describe('nftables backend: per-gateway conntrack timeouts with real flows', () => {
  let topo: NatTopology;
  let backend: NftablesBackend;
  let rules: NatRule[];
  const clients: LabProcess[] = [];

  const rule = (vm: 0 | 1, family: 'IPv4' | 'IPv6', port: number, timeouts?: string): NatRule => ({
    nicUid: `nic-vm${vm + 1}`,
    nicName: `vm${vm + 1}-nic0`,
    gatewayUid: vm === 0 ? 'gw-timeouts' : 'gw-defaults',
    family,
    privateIp: family === 'IPv4' ? (topo.vms[vm]?.ipv4 as string) : (topo.vms[vm]?.ipv6 as string),
    natIp: family === 'IPv4' ? '203.0.113.1' : '2001:db8:100::1',
    port,
    endPort: port + 1023,
    ...(timeouts ? { timeouts } : {}),
  });

  /** Every connection in the gateway namespace (`-o extended` lists both families). */
  async function connections(): Promise<ConntrackEntry[]> {
    const out: ConntrackEntry[] = [];
    for await (const e of conntrackEntries(['-L', '-o', 'extended'], { netns: topo.gateway.ns }))
      out.push(e);
    return out;
  }

  /** The timeout left of vm's connection of a protocol toward the server (the newest one). */
  function timeoutOf(all: ConntrackEntry[], vmIp: string, protocol: 'tcp' | 'udp'): number {
    const port = protocol === 'tcp' ? HOLD_PORT : UDP_PORT;
    const found = all.filter(
      (e) => e.protocol === protocol && e.original.src === vmIp && e.original.dport === port,
    );
    expect({ vmIp, protocol, found: found.length }).toEqual({ vmIp, protocol, found: 1 });
    return found[0]?.timeout as number;
  }

  async function openFlows(vm: 0 | 1, family: 'IPv4' | 'IPv6'): Promise<void> {
    const host = family === 'IPv4' ? topo.internet.ipv4 : topo.internet.ipv6;
    const client = topo.lab.start(topo.vms[vm]?.ns as string, process.execPath, [
      '-e',
      CLIENT,
      host,
      String(HOLD_PORT),
      String(UDP_PORT),
    ]);
    clients.push(client);
    await client.waitForLine((l) => l === 'connected', 15_000);
  }

  beforeAll(async () => {
    assertNetnsPrerequisites();
    topo = await buildNatTopology(2);
    try {
      backend = new NftablesBackend({ netns: topo.gateway.ns, uplinks: [topo.gateway.uplink] });
      for (const host of [topo.internet.ipv4, topo.internet.ipv6]) {
        const server = topo.lab.start(topo.internet.ns, process.execPath, [
          '-e',
          SERVER,
          host,
          String(HOLD_PORT),
          String(UDP_PORT),
        ]);
        await server.waitForLine((l) => l === 'ready', 15_000);
      }
      rules = [
        rule(0, 'IPv4', 1024, PROFILE),
        rule(1, 'IPv4', 2048),
        rule(0, 'IPv6', 1024, PROFILE),
        rule(1, 'IPv6', 2048),
      ];
      await backend.apply(rules);
    } catch (error) {
      await topo.lab.destroy();
      throw error;
    }
  });

  afterAll(async () => {
    for (const c of clients) await c.stop();
    await topo?.lab.destroy();
  });

  it('reads the rules back exactly, timeout profiles included', async () => {
    const inspection = await backend.inspect();
    expect(inspection.problems).toEqual([]);
    expect(isNatRuleDiffEmpty(diffNatRules(rules, inspection.rules))).toBe(true);
    expect(inspection.rules.filter((r) => r.timeouts === PROFILE)).toHaveLength(2);
  });

  it("gives the gateway's NICs its TCP and UDP timeouts, and leaves other NICs the kernel's", async () => {
    for (const family of ['IPv4', 'IPv6'] as const) {
      await openFlows(0, family);
      await openFlows(1, family);
    }
    const all = await connections();
    for (const family of ['IPv4', 'IPv6'] as const) {
      const [vm1, vm2] = [0, 1].map((i) =>
        family === 'IPv4' ? (topo.vms[i]?.ipv4 as string) : (topo.vms[i]?.ipv6 as string),
      ) as [string, string];
      // Established TCP: near 777 s (a few seconds may have passed), far below the kernel's 5 days.
      const tcp1 = timeoutOf(all, vm1, 'tcp');
      expect({ family, tcp1 }).toEqual({ family, tcp1: expect.any(Number) });
      expect(tcp1).toBeLessThanOrEqual(777);
      expect(tcp1).toBeGreaterThan(700);
      expect(timeoutOf(all, vm2, 'tcp')).toBeGreaterThan(400_000);
      // UDP after one answer: 45 s, against the kernel's 30 s.
      const udp1 = timeoutOf(all, vm1, 'udp');
      expect(udp1).toBeLessThanOrEqual(45);
      expect(udp1).toBeGreaterThan(30);
      expect(timeoutOf(all, vm2, 'udp')).toBeLessThanOrEqual(30);
    }
  });

  it('reads a hand-edited timeout object as drift, and the next apply repairs it', async () => {
    const ns = topo.gateway.ns;
    const edited = await topo.lab.exec(ns, 'nft', [
      'delete element inet natgw timeouts4 { 10.200.0.2 }',
    ]);
    expect(edited.code).toBe(0);
    const drift = diffNatRules(rules, await backend.read());
    expect(drift.changed.map((c) => [c.desired.nicUid, c.fields])).toEqual([
      ['nic-vm1', ['timeouts']],
    ]);
    await backend.applyFull(rules);
    expect(isNatRuleDiffEmpty(diffNatRules(rules, await backend.read()))).toBe(true);
  });

  it('changes a profile and takes timeouts away incrementally, leaving no unused objects', async () => {
    const changed = rules.map((r) => (r.timeouts ? { ...r, timeouts: OTHER_PROFILE } : r));
    await backend.apply(changed);
    const inspection = await backend.inspect();
    expect(inspection.problems).toEqual([]);
    expect(isNatRuleDiffEmpty(diffNatRules(changed, inspection.rules))).toBe(true);
    const none = rules.map(({ timeouts: _t, ...r }) => r);
    await backend.apply(none);
    const after = await backend.inspect();
    expect(after.problems).toEqual([]);
    expect(isNatRuleDiffEmpty(diffNatRules(none, after.rules))).toBe(true);
    const listing = await topo.lab.exec(topo.gateway.ns, 'nft', ['list', 'table', 'inet', 'natgw']);
    expect(listing.stdout).not.toContain('ct timeout');
  });
});

describe('nftables backend: timeout profiles in network mode (read back from the real nft)', () => {
  const lab = new NetnsLab();
  let backend: NftablesBackend;
  const rule = (nic: string, vni: number, port: number, timeouts?: string): NatRule => ({
    nicUid: nic,
    gatewayUid: `gw-${vni}`,
    family: 'IPv4',
    vni,
    privateIp: '10.77.0.2', // the same address in both networks
    natIp: '203.0.113.9',
    port,
    endPort: port + 1023,
    ...(timeouts ? { timeouts } : {}),
  });

  beforeAll(async () => {
    assertNetnsPrerequisites();
    const ns = await lab.namespace('gw');
    // No dummy driver everywhere: veth pairs inside the namespace stand in for the interfaces.
    for (const name of ['up0', 'vni100', 'vni200']) {
      await lab.ip(['-n', ns, 'link', 'add', name, 'type', 'veth', 'peer', 'name', `${name}p`]);
      await lab.ip(['-n', ns, 'link', 'set', name, 'up']);
    }
    backend = new NftablesBackend({ netns: ns, uplinks: ['up0'], networkInterface: 'vni{vni}' });
  });

  afterAll(async () => {
    await backend?.close();
    await lab.destroy();
  });

  it('keys the timeout elements by network and address, and reads every profile back', async () => {
    const rules = [rule('nic-a', 100, 1024, PROFILE), rule('nic-b', 200, 2048, OTHER_PROFILE)];
    expect((await backend.apply(rules)).rejected).toEqual([]);
    const inspection = await backend.inspect();
    expect(inspection.problems).toEqual([]);
    expect(isNatRuleDiffEmpty(diffNatRules(rules, inspection.rules))).toBe(true);
    // One network loses its timeouts incrementally; the other keeps its own.
    const next = [rule('nic-a', 100, 1024), rule('nic-b', 200, 2048, OTHER_PROFILE)];
    await backend.apply(next);
    const after = await backend.inspect();
    expect(after.problems).toEqual([]);
    expect(isNatRuleDiffEmpty(diffNatRules(next, after.rules))).toBe(true);
  });
});
