// The whole system with the nftables backend, driven only through the REST API,
// checked with real packets between network namespaces this file creates (and
// always removes): private VMs -> the gateway namespace the executor programs ->
// an "internet" namespace.
import { diffNatRules, NatRule } from '@natgw/domain';
import {
  assertNetnsPrerequisites,
  buildNatTopology,
  eventually,
  LabServer,
  NatTopology,
  ServiceProcess,
} from '@natgw/testing';
import { NftablesBackend } from '../../apps/dataplane-executor/src/backends';
import { http, manifests, NatgwSystem } from './support/natgw-system';

jest.setTimeout(240_000);

const TCP = 8080;
const UDP = 8081;

interface Nat {
  ipFamily: 'IPv4' | 'IPv6';
  ip: string;
  port: number;
  endPort: number;
}

describe('natgw end to end with nftables and real packets', () => {
  let topo: NatTopology;
  let system: NatgwSystem;
  let executor: ServiceProcess;
  let server4: LabServer;
  let server6: LabServer;
  let gwTable: NftablesBackend;
  let tokens = 0;
  const api = () => system.api('default');

  async function nats(nic: string): Promise<Nat[]> {
    const res = await http('GET', `${await api()}/networkinterfaces/${nic}`);
    return ((res.body.status as { nat?: Nat[] } | undefined)?.nat ?? []) as Nat[];
  }

  async function flow(vm: number, family: 'IPv4' | 'IPv6', proto: 'tcp' | 'udp') {
    const token = `e2e${(tokens += 1)}`;
    const host = family === 'IPv4' ? topo.internet.ipv4 : topo.internet.ipv6;
    const result = await topo.lab.probe(
      topo.vms[vm].ns,
      proto,
      host,
      proto === 'tcp' ? TCP : UDP,
      token,
      3000,
    );
    return { result, seen: (family === 'IPv4' ? server4 : server6).flow(token) };
  }

  /** Every NIC's NAT, as the API reports it, is what packets really get. */
  async function expectNatted(vm: number, nic: string) {
    const slots = await nats(nic);
    expect(slots.map((s) => s.ipFamily).sort()).toEqual(['IPv4', 'IPv6']);
    for (const slot of slots) {
      for (const proto of ['tcp', 'udp'] as const) {
        const { result, seen } = await flow(vm, slot.ipFamily, proto);
        const where = `${nic} ${slot.ipFamily} ${proto}`;
        expect({ where, ok: result.ok }).toEqual({ where, ok: true });
        expect({ where, address: seen?.address }).toEqual({ where, address: slot.ip });
        expect(seen!.port).toBeGreaterThanOrEqual(slot.port);
        expect(seen!.port).toBeLessThanOrEqual(slot.endPort);
      }
    }
  }

  async function desiredRules(): Promise<NatRule[]> {
    const rows = await system.query<{
      family: 'IPv4' | 'IPv6';
      nic_uid: string;
      gateway_uid: string;
      private_ip: string;
      nat_ip: string;
      port: number;
      end_port: number;
    }>(
      `SELECT family, nic_uid::text, gateway_uid::text, private_ip, nat_ip, port, end_port FROM natgw_nat_slots`,
    );
    return rows.map((r) => ({
      nicUid: r.nic_uid,
      gatewayUid: r.gateway_uid,
      family: r.family,
      privateIp: r.private_ip,
      natIp: r.nat_ip,
      port: r.port,
      endPort: r.end_port,
    }));
  }

  async function dataplaneMatchesLog(
    backend: NftablesBackend,
    filter: (r: NatRule) => boolean = () => true,
  ) {
    const want = (await desiredRules()).filter(filter);
    const diff = diffNatRules(want, await backend.read());
    return (
      diff.missing.length === 0 &&
      diff.extra.length === 0 &&
      diff.changed.length === 0 &&
      want.length > 0
    );
  }

  beforeAll(async () => {
    assertNetnsPrerequisites();
    topo = await buildNatTopology(3);
    try {
      server4 = await topo.lab.serve(topo.internet.ns, topo.internet.ipv4, TCP, UDP);
      server6 = await topo.lab.serve(topo.internet.ns, topo.internet.ipv6, TCP, UDP);
      gwTable = new NftablesBackend({ netns: topo.gateway.ns, uplinks: [topo.gateway.uplink] });
      system = await NatgwSystem.create('dataplane_packets', {
        PUBLIC_PREFIXES: '203.0.113.0/28,2001:db8:100::/124',
        RECONCILE_INTERVAL_SECONDS: '1',
      });
      executor = await system.startOnGateway(topo.gateway);
      const base = await api();
      await http('POST', `${base}/networks`, manifests.network('net'));
      for (const i of [0, 1]) {
        const vm = topo.vms[i];
        await http(
          'POST',
          `${base}/networkinterfaces`,
          manifests.nic(`vm${i + 1}`, 'net', [vm.ipv4, vm.ipv6]),
        );
      }
      await http('POST', `${base}/natgateways`, manifests.gateway('gw4', 'net', 1024, 'IPv4'));
      await http('POST', `${base}/natgateways`, manifests.gateway('gw6', 'net', 1024, 'IPv6'));
    } catch (err) {
      await system?.destroy();
      await topo.lab.destroy();
      throw err;
    }
  });

  afterAll(async () => {
    await system?.destroy();
    await topo?.lab.destroy();
  });

  it('becomes Ready only once the dataplane is programmed, then NATs TCP and UDP into each slot (IPv4 and IPv6)', async () => {
    for (const gw of ['gw4', 'gw6']) {
      await eventually(
        async () => {
          const g = await http('GET', `${await api()}/natgateways/${gw}`);
          const conditions =
            (g.body.status as { conditions?: Array<{ type: string; status: string }> })
              .conditions ?? [];
          return conditions.some((c) => c.type === 'Ready' && c.status === 'True');
        },
        { what: `${gw} Ready`, timeoutMs: 30_000 },
      );
    }
    await expectNatted(0, 'vm1');
    await expectNatted(1, 'vm2');
  });

  it('lets no unsolicited connection in, to a private IP or to a NAT IP and port', async () => {
    const [slot4] = (await nats('vm1')).filter((s) => s.ipFamily === 'IPv4');
    const listener = await topo.lab.serve(
      topo.vms[0].ns,
      '0.0.0.0',
      slot4.port + 1,
      slot4.port + 1,
    );
    try {
      for (const proto of ['tcp', 'udp'] as const) {
        const toPrivate = await topo.lab.probe(
          topo.internet.ns,
          proto,
          topo.vms[0].ipv4,
          slot4.port + 1,
          `in${tokens++}`,
          1000,
        );
        const toNat = await topo.lab.probe(
          topo.internet.ns,
          proto,
          slot4.ip,
          slot4.port + 1,
          `in${tokens++}`,
          1000,
        );
        expect([proto, toPrivate.ok, toNat.ok]).toEqual([proto, false, false]);
      }
    } finally {
      await listener.stop();
    }
  });

  it('repairs a hand-deleted table within the reconcile interval, and records the drift', async () => {
    const r = await topo.lab.exec(topo.gateway.ns, 'nft', ['delete', 'table', 'inet', 'natgw']);
    expect(r.code).toBe(0);
    await eventually(() => dataplaneMatchesLog(gwTable), {
      what: 'table recreated',
      timeoutMs: 20_000,
    });
    await expectNatted(0, 'vm1');
    const events = await system.query<{ type: string }>(
      `SELECT type FROM natgw_events WHERE stream_id LIKE 'dataplane:%' AND type IN ('DriftDetected', 'DriftRepaired')`,
    );
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['DriftDetected', 'DriftRepaired']),
    );
  });

  it('drops NAT for a NIC that gets a virtual IP, and brings it back when the virtual IP goes', async () => {
    const url = `${await api()}/networkinterfaces/vm2`;
    const uid = ((await http('GET', url)).body.metadata as { uid: string }).uid;
    const patch = (body: unknown) => http('PATCH', url, body, 'application/merge-patch+json');
    expect((await patch({ spec: { virtualIP: { ip: '192.0.2.20' } } })).status).toBe(200);
    await eventually(
      async () => {
        const rules = await gwTable.read();
        return (
          !rules.some((r) => r.nicUid === uid && r.family === 'IPv4') &&
          rules.some((r) => r.nicUid === uid)
        );
      },
      { what: 'vm2 IPv4 rule gone (IPv6 stays)', timeoutMs: 20_000 },
    );
    expect((await patch({ spec: { virtualIP: null } })).status).toBe(200);
    await eventually(
      async () => (await gwTable.read()).some((r) => r.nicUid === uid && r.family === 'IPv4'),
      {
        what: 'vm2 IPv4 rule back',
        timeoutMs: 20_000,
      },
    );
    await eventually(() => dataplaneMatchesLog(gwTable), {
      what: 'dataplane equals log',
      timeoutMs: 20_000,
    });
    await expectNatted(1, 'vm2');
  });

  it('converges after the executor is killed with -9 while allocations change', async () => {
    await executor.kill('SIGKILL');
    const base = await api();
    const vm3 = topo.vms[2];
    expect(
      (
        await http(
          'POST',
          `${base}/networkinterfaces`,
          manifests.nic('vm3', 'net', [vm3.ipv4, vm3.ipv6]),
        )
      ).status,
    ).toBe(201);
    expect((await http('DELETE', `${base}/networkinterfaces/vm2`)).status).toBe(200);
    await eventually(async () => (await nats('vm3')).length === 2, { what: 'vm3 allocated' });
    executor = await system.start('dataplane-executor', {
      DATAPLANE_BACKEND: 'nftables',
      DATAPLANE_NETNS: topo.gateway.ns,
      DATAPLANE_UPLINK: topo.gateway.uplink,
    });
    await eventually(
      async () => (await dataplaneMatchesLog(gwTable)) && (await gwTable.read()).length === 4,
      { what: 'dataplane = log (vm1 + vm3, both families)', timeoutMs: 30_000 },
    );
    await expectNatted(2, 'vm3');
    const lost = await flow(1, 'IPv4', 'tcp');
    expect(lost.seen?.address).not.toMatch(/^203\.0\.113\./);
  });

  it('two executors on node-a and node-b each program only their own NICs', async () => {
    const nodeA = await topo.lab.namespace('node-a');
    const nodeB = await topo.lab.namespace('node-b');
    const base = await api();
    for (const [name, node, ip] of [
      ['nic-a', 'node-a', '10.77.0.1'],
      ['nic-b', 'node-b', '10.77.0.2'],
    ] as const) {
      const res = await http(
        'POST',
        `${base}/networkinterfaces`,
        manifests.nic(name, 'net', [ip], { nodeName: node }),
      );
      expect(res.status).toBe(201);
    }
    await system.start('dataplane-executor', {
      NODE_NAME: 'node-a',
      DATAPLANE_BACKEND: 'nftables',
      DATAPLANE_NETNS: nodeA,
      DATAPLANE_UPLINK: 'lo',
    });
    await system.start('dataplane-executor', {
      NODE_NAME: 'node-b',
      DATAPLANE_BACKEND: 'nftables',
      DATAPLANE_NETNS: nodeB,
      DATAPLANE_UPLINK: 'lo',
    });
    const readNode = (ns: string) => new NftablesBackend({ netns: ns, uplinks: ['lo'] }).read();
    const privateIps = async (ns: string) => (await readNode(ns)).map((r) => r.privateIp).sort();
    await eventually(async () => (await privateIps(nodeA)).join() === '10.77.0.1', {
      what: 'node-a has only nic-a',
      timeoutMs: 30_000,
    });
    await eventually(async () => (await privateIps(nodeB)).join() === '10.77.0.2', {
      what: 'node-b has only nic-b',
      timeoutMs: 30_000,
    });
    // The gateway is Ready only with both nodes programmed: both reported NATTableProgrammed.
    await eventually(
      async () => {
        const reports = await system.query<{ node: string }>(
          `SELECT DISTINCT data->>'node' AS node FROM natgw_events WHERE type = 'NATTableProgrammed'`,
        );
        const nodes = reports.map((r) => r.node);
        return nodes.includes('node-a') && nodes.includes('node-b');
      },
      { what: 'both nodes reported NATTableProgrammed', timeoutMs: 30_000 },
    );
    await eventually(
      async () => {
        const gw4 = await http('GET', `${await api()}/natgateways/gw4`);
        const conditions = (
          gw4.body.status as { conditions: Array<{ type: string; status: string }> }
        ).conditions;
        return conditions.some((c) => c.type === 'DataplaneProgrammed' && c.status === 'True');
      },
      { what: 'gw4 DataplaneProgrammed after both nodes', timeoutMs: 30_000 },
    );
  });
});
