// Tenants share a node: two Networks whose VMs have the same private addresses
// (10.77.0.2, fd77::2), each with its own gateways, on one node in network mode
// (DATAPLANE_NETWORK_INTERFACE). Real processes from dist/, the nftables backend in a
// scratch namespace, everything created through the REST API, checked with real
// packets: identical 5-tuples from both networks at the same time over TCP, UDP and
// ICMP echo, on IPv4 and IPv6; each leaves inside its own slot (as the gateway's
// `nattable` says) and gets its replies; unsolicited inbound traffic stays blocked;
// drift in nft and in policy routing is repaired by the running executor.
import {
  assertNetnsPrerequisites,
  buildNetworkTopology,
  eventually,
  LabServer,
  NetworkTopology,
  TopologyNetwork,
} from '@natgw/testing';
import { http, manifests, NatgwSystem } from './support/natgw-system';

jest.setTimeout(300_000);

const TCP = 8080;
const UDP = 8081;
/** The one source port both VMs use, so that the two flows are identical 5-tuples. */
const SOURCE_PORT = 40_000;
const TEMPLATE = 'vni{vni}';
const TENANTS = ['blue', 'red'] as const;
type Tenant = (typeof TENANTS)[number];
type Family = 'IPv4' | 'IPv6';

interface Section {
  ip: string;
  port: number;
  endPort: number;
  targetRef: { name: string };
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

describe('two tenants with the same private addresses on one node (network mode, real packets)', () => {
  let topo: NetworkTopology;
  let system: NatgwSystem;
  let server4: LabServer;
  let server6: LabServer;
  let tokens = 0;
  /** Each round of identical flows uses fresh source ports (no TIME_WAIT from the last round). */
  let rounds = 0;
  const vnis = new Map<Tenant, number>();
  const api = () => system.api('default');
  const gatewayOf = (tenant: Tenant, family: Family) =>
    `gw${family === 'IPv4' ? '4' : '6'}-${tenant}`;
  const network = (tenant: Tenant): TopologyNetwork =>
    topo.networks.find((n) => n.vni === vnis.get(tenant))!;

  async function conditions(plural: string, name: string): Promise<Condition[]> {
    const res = await http('GET', `${await api()}/${plural}/${name}`);
    return ((res.body.status as { conditions?: Condition[] } | undefined)?.conditions ??
      []) as Condition[];
  }

  /** The tenant VM's slot, from its gateway's nattable (what the API promises). */
  async function slot(tenant: Tenant, family: Family): Promise<Section & { natIp: string }> {
    const res = await http(
      'GET',
      `${await api()}/natgateways/${gatewayOf(tenant, family)}/nattable`,
    );
    const ips = (res.body.ips ?? []) as Array<{ ip: string; sections: Section[] }>;
    for (const entry of ips)
      for (const section of entry.sections)
        if (section.targetRef.name === `vm-${tenant}`) return { ...section, natIp: entry.ip };
    throw new Error(`no slot of vm-${tenant} in ${gatewayOf(tenant, family)}'s nattable`);
  }

  /** Both VMs send at the same time, from the same source port, to the same server. */
  async function sameFlowFromBoth(family: Family, proto: 'tcp' | 'udp') {
    const host = family === 'IPv4' ? topo.internet.ipv4 : topo.internet.ipv6;
    const sent = TENANTS.map((tenant) => ({ tenant, token: `nw${(tokens += 1)}` }));
    // The same source port in both networks: identical 5-tuples.
    const sourcePort = SOURCE_PORT + (rounds += 1);
    const results = await Promise.all(
      sent.map(({ tenant, token }) =>
        topo.lab.probe(
          network(tenant).vm.ns,
          proto,
          host,
          proto === 'tcp' ? TCP : UDP,
          token,
          5000,
          sourcePort,
        ),
      ),
    );
    const server = family === 'IPv4' ? server4 : server6;
    return sent.map(({ tenant, token }, i) => ({
      tenant,
      result: results[i],
      seen: server.flow(token),
    }));
  }

  /** Each tenant's flows leave inside its own slot and get replies, for every family and protocol. */
  async function expectEachInItsOwnSlot() {
    for (const family of ['IPv4', 'IPv6'] as const) {
      for (const proto of ['tcp', 'udp'] as const) {
        const flows = await sameFlowFromBoth(family, proto);
        for (const { tenant, result, seen } of flows) {
          const where = `${tenant} ${family} ${proto}`;
          const mine = await slot(tenant, family);
          expect({ where, ok: result.ok, error: result.error }).toEqual({
            where,
            ok: true,
            error: undefined,
          });
          expect({ where, address: seen?.address }).toEqual({ where, address: mine.natIp });
          expect(seen!.port).toBeGreaterThanOrEqual(mine.port);
          expect(seen!.port).toBeLessThanOrEqual(mine.endPort);
        }
        // Two flows, two distinct public endpoints.
        expect(new Set(flows.map((f) => `${f.seen?.address}:${f.seen?.port}`)).size).toBe(2);
      }
    }
  }

  /**
   * The node's policy routing (rules, without their preference numbers, and the routes of the
   * tables they name), as `ip` prints it, sorted.
   */
  async function policyRouting(): Promise<string> {
    const out: string[] = [];
    for (const family of ['-4', '-6']) {
      const rules = (await topo.lab.exec(topo.gateway.ns, 'ip', [family, 'rule', 'show'])).stdout;
      out.push(...rules.split('\n').map((l) => `${family} ${l.replace(/^\d+:\s*/, '').trim()}`));
      for (const table of new Set([...rules.matchAll(/lookup (\d+)/g)].map((m) => m[1]))) {
        const routes = await topo.lab.exec(topo.gateway.ns, 'ip', [
          family,
          'route',
          'show',
          'table',
          table,
        ]);
        out.push(...routes.stdout.split('\n').map((l) => `${family} table ${table}: ${l.trim()}`));
      }
    }
    return out
      .filter((l) => !/^-[46] (table \d+: )?$/.test(l))
      .sort()
      .join('\n');
  }

  beforeAll(async () => {
    assertNetnsPrerequisites();
    system = await NatgwSystem.create('dataplane_networks', {
      PUBLIC_PREFIXES: '203.0.113.0/28,2001:db8:100::/124',
      RECONCILE_INTERVAL_SECONDS: '1',
    });
    try {
      await system.start('api-gateway');
      await system.start('allocator');
      const base = await api();
      for (const tenant of TENANTS) {
        expect((await http('POST', `${base}/networks`, manifests.network(tenant))).status).toBe(
          201,
        );
      }
      // natgw assigns each Network its VNI; the operator then creates the network's interface.
      for (const tenant of TENANTS) {
        const vni = await eventually(
          async () => {
            const res = await http('GET', `${base}/networks/${tenant}`);
            return (res.body.status as { vni?: number } | undefined)?.vni;
          },
          { what: `network ${tenant} status.vni`, timeoutMs: 60_000 },
        );
        vnis.set(tenant, vni);
      }
      expect(vnis.get('blue')).not.toBe(vnis.get('red'));
      topo = await buildNetworkTopology(
        TENANTS.map((t) => vnis.get(t)!),
        TEMPLATE,
      );
      server4 = await topo.lab.serve(topo.internet.ns, topo.internet.ipv4, TCP, UDP);
      server6 = await topo.lab.serve(topo.internet.ns, topo.internet.ipv6, TCP, UDP);
      await system.start('dataplane-executor', {
        DATAPLANE_BACKEND: 'nftables',
        DATAPLANE_NETNS: topo.gateway.ns,
        DATAPLANE_UPLINK: topo.gateway.uplink,
        DATAPLANE_NETWORK_INTERFACE: TEMPLATE,
      });
      for (const tenant of TENANTS) {
        const { vm } = network(tenant);
        const nic = await http(
          'POST',
          `${base}/networkinterfaces`,
          manifests.nic(`vm-${tenant}`, tenant, [vm.ipv4, vm.ipv6]),
        );
        expect(nic.status).toBe(201);
        for (const family of ['IPv4', 'IPv6'] as const) {
          const gw = await http(
            'POST',
            `${base}/natgateways`,
            manifests.gateway(gatewayOf(tenant, family), tenant, 1024, family),
          );
          expect(gw.status).toBe(201);
        }
      }
    } catch (err) {
      await system?.destroy();
      await topo?.lab.destroy();
      throw err;
    }
  });

  afterAll(async () => {
    await system?.destroy();
    await topo?.lab.destroy();
  });

  it('programs both tenants: every gateway Ready, both NICs NATProgrammed', async () => {
    for (const tenant of TENANTS) {
      for (const family of ['IPv4', 'IPv6'] as const) {
        await eventually(
          async () =>
            (await conditions('natgateways', gatewayOf(tenant, family))).some(
              (c) => c.type === 'Ready' && c.status === 'True',
            ),
          { what: `${gatewayOf(tenant, family)} Ready`, timeoutMs: 60_000 },
        );
      }
      await eventually(
        async () =>
          (await conditions('networkinterfaces', `vm-${tenant}`)).some(
            (c) => c.type === 'NATProgrammed' && c.status === 'True',
          ),
        { what: `vm-${tenant} NATProgrammed`, timeoutMs: 60_000 },
      );
    }
    // Same private address, different slots.
    for (const family of ['IPv4', 'IPv6'] as const) {
      const [blue, red] = await Promise.all(TENANTS.map((t) => slot(t, family)));
      expect(blue.ip).toBe(red.ip);
      expect(`${blue.natIp}:${blue.port}`).not.toBe(`${red.natIp}:${red.port}`);
    }
  });

  it('sends identical 5-tuples from both networks at the same time, each inside its own slot, over TCP and UDP (IPv4 and IPv6)', async () => {
    await expectEachInItsOwnSlot();
  });

  it('sends ICMP echo from both networks at once with one identifier, each as its own NAT IP inside its slot, and gets both replies', async () => {
    for (const family of ['IPv4', 'IPv6'] as const) {
      const sniffer = await topo.lab.sniffEchoes(topo.internet.ns, family === 'IPv4' ? 4 : 6);
      const host = family === 'IPv4' ? topo.internet.ipv4 : topo.internet.ipv6;
      const id = family === 'IPv4' ? 7 : 8;
      const replies = await Promise.all(
        TENANTS.map((tenant) => topo.lab.ping(network(tenant).vm.ns, host, id, 5000)),
      );
      expect(replies).toEqual([{ ok: true }, { ok: true }]);
      const seen = sniffer.seen();
      for (const tenant of TENANTS) {
        const mine = await slot(tenant, family);
        const echo = seen.find(
          (e) => e.address === mine.natIp && e.id >= mine.port && e.id <= mine.endPort,
        );
        expect({ tenant, family, echo: echo !== undefined }).toEqual({
          tenant,
          family,
          echo: true,
        });
      }
    }
  });

  it('lets no unsolicited connection in, to a private IP or to a NAT IP and port', async () => {
    const blue = network('blue').vm;
    for (const family of ['IPv4', 'IPv6'] as const) {
      const mine = await slot('blue', family);
      const listenPort = mine.port + 1;
      const listener = await topo.lab.serve(
        blue.ns,
        family === 'IPv4' ? '0.0.0.0' : '::',
        listenPort,
        listenPort,
      );
      try {
        for (const proto of ['tcp', 'udp'] as const) {
          const toPrivate = await topo.lab.probe(
            topo.internet.ns,
            proto,
            family === 'IPv4' ? blue.ipv4 : blue.ipv6,
            listenPort,
            `in${(tokens += 1)}`,
            1000,
          );
          const toNat = await topo.lab.probe(
            topo.internet.ns,
            proto,
            mine.natIp,
            listenPort,
            `in${(tokens += 1)}`,
            1000,
          );
          expect([family, proto, toPrivate.ok, toNat.ok]).toEqual([family, proto, false, false]);
        }
      } finally {
        await listener.stop();
      }
    }
  });

  it('repairs a hand-deleted nft table and hand-deleted policy routing, while running', async () => {
    // natgw's policy routing: one rule per family to its table of one route per network
    // (docs/dataplane.md, "Network mode").
    const natgwRouting = /lookup 7000000/;
    const routing = await policyRouting();
    expect(routing).toMatch(natgwRouting);
    const drifts = async () =>
      (
        await system.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM natgw_events WHERE type = 'DriftDetected'`,
        )
      )[0].n;

    // nft: the whole table.
    const before = await drifts();
    expect(
      (await topo.lab.exec(topo.gateway.ns, 'nft', ['delete', 'table', 'inet', 'natgw'])).code,
    ).toBe(0);
    await eventually(
      async () =>
        (await topo.lab.exec(topo.gateway.ns, 'nft', ['list', 'table', 'inet', 'natgw'])).code ===
        0,
      { what: 'nft table recreated', timeoutMs: 30_000 },
    );
    await eventually(async () => (await drifts()) > before, { what: 'DriftDetected recorded' });
    await expectEachInItsOwnSlot();

    // Routing: every rule natgw added (anything but the kernel's defaults), and its tables' routes.
    const afterNft = await drifts();
    for (const family of ['-4', '-6']) {
      const rules = (await topo.lab.exec(topo.gateway.ns, 'ip', [family, 'rule', 'show'])).stdout;
      for (const line of rules.split('\n')) {
        const m = /^(\d+):.*lookup (\d+)/.exec(line.trim());
        if (!m) continue;
        await topo.lab.exec(topo.gateway.ns, 'ip', [family, 'rule', 'del', 'pref', m[1]]);
        await topo.lab.exec(topo.gateway.ns, 'ip', [family, 'route', 'flush', 'table', m[2]]);
      }
    }
    expect(await policyRouting()).not.toMatch(natgwRouting);
    await eventually(async () => (await policyRouting()) === routing, {
      what: 'policy routing restored',
      timeoutMs: 30_000,
    });
    await eventually(async () => (await drifts()) > afterNft, {
      what: 'routing drift recorded',
    });
    await expectEachInItsOwnSlot();
  });
});
