// Real nftables at the edges of the slots: ppni 1 (one-port slots such as 1024-1024), 2 and
// 32768, on the first and the last slot of a public IP. Each VM's packets leave from a source
// port it chooses: from a slot's first or last port, NAT must keep that very port (the range
// includes both edges), and from a port just outside the slot it must land inside. Every packet
// stays inside the namespaces this file creates (buildNatTopology), removed afterwards.
//
// Each case has VMs of its own: conntrack remembers how a private address and port were mapped
// and maps them the same way again while it can (endpoint-independent mapping), so a VM that sent
// from port 1025 through a one-port slot would keep being translated to that slot's port.
import {
  type NatRule,
  diffNatRules,
  FIRST_NAT_PORT,
  isNatRuleDiffEmpty,
  LAST_NAT_PORT,
  natRuleKey,
  slotPortRange,
  slotsPerIp,
} from '@natgw/domain';
import {
  type LabServer,
  type NatTopology,
  assertNetnsPrerequisites,
  buildNatTopology,
} from '@natgw/testing';
import { NftablesBackend } from '../../apps/dataplane-executor/src/backends';

jest.setTimeout(120_000);

type Family = NatRule['family'];
type Proto = 'tcp' | 'udp';

interface EdgeCase {
  ppni: number;
  /** Per VM of the topology (by index): its slot's index on the NAT IP, and which NAT IP. */
  slots: Array<{ vm: number; slot: number; natIp: Record<Family, string> }>;
}

const IP1 = { IPv4: '203.0.113.1', IPv6: '2001:db8:100::1' };
const IP2 = { IPv4: '203.0.113.2', IPv6: '2001:db8:100::2' };

const CASES: EdgeCase[] = [
  // The first (1024-1024) and the last (65535-65535) of 64512 one-port slots on one IP.
  {
    ppni: 1,
    slots: [
      { vm: 0, slot: 0, natIp: IP1 },
      { vm: 1, slot: slotsPerIp(1) - 1, natIp: IP1 },
    ],
  },
  // 1024-1025 and 65534-65535.
  {
    ppni: 2,
    slots: [
      { vm: 2, slot: 0, natIp: IP1 },
      { vm: 3, slot: slotsPerIp(2) - 1, natIp: IP1 },
    ],
  },
  // One slot per IP, 1024-33791: the two VMs on two IPs.
  {
    ppni: 32768,
    slots: [
      { vm: 4, slot: 0, natIp: IP1 },
      { vm: 5, slot: 0, natIp: IP2 },
    ],
  },
];

describe('nftables slot edges with real packets (ppni 1, 2 and 32768)', () => {
  let topo: NatTopology;
  let backend: NftablesBackend;
  let tokens = 0;
  // Every flow goes to a server port of its own: with one-port slots, two flows to one server
  // port would need the same translated 5-tuple while the first one is still in conntrack.
  let nextServerPort = 9100;
  const servers: LabServer[] = [];

  beforeAll(async () => {
    assertNetnsPrerequisites();
    topo = await buildNatTopology(6);
    backend = new NftablesBackend({ netns: topo.gateway.ns, uplinks: [topo.gateway.uplink] });
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await topo?.lab.destroy();
  });

  function rulesOf(edge: EdgeCase): NatRule[] {
    return edge.slots.flatMap(({ vm, slot, natIp }) =>
      (['IPv4', 'IPv6'] as const).map((family) => {
        const { port, endPort } = slotPortRange(edge.ppni, slot);
        const machine = topo.vms[vm] as { ipv4: string; ipv6: string };
        return {
          nicUid: `nic-vm${vm + 1}`,
          gatewayUid: `gw-${family}`,
          family,
          privateIp: family === 'IPv4' ? machine.ipv4 : machine.ipv6,
          natIp: natIp[family],
          port,
          endPort,
        };
      }),
    );
  }

  /** Sends one flow from the rule's VM, leaving from sourcePort; returns what the server saw. */
  async function flow(rule: NatRule, proto: Proto, sourcePort: number) {
    const host = rule.family === 'IPv4' ? topo.internet.ipv4 : topo.internet.ipv6;
    const port = nextServerPort;
    nextServerPort += 1;
    const server = await topo.lab.serve(topo.internet.ns, host, port, port);
    servers.push(server);
    const token = `edge${(tokens += 1)}`;
    const vm = topo.vms.find((v) => v.ipv4 === rule.privateIp || v.ipv6 === rule.privateIp);
    if (vm === undefined) throw new Error(`no VM has ${rule.privateIp}`);
    const result = await topo.lab.probe(vm.ns, proto, host, port, token, 5_000, sourcePort);
    const seen = server.flow(token);
    await server.stop();
    return { ok: result.ok, error: result.error, address: seen?.address, port: seen?.port };
  }

  describe.each(CASES)('ppni $ppni', (edge) => {
    let rules: NatRule[];

    beforeAll(async () => {
      rules = rulesOf(edge);
      await backend.apply(rules);
    });

    it('programs the slots and reads them back unchanged', async () => {
      for (const rule of rules) {
        expect(rule.endPort - rule.port + 1).toBe(edge.ppni);
        expect(rule.port).toBeGreaterThanOrEqual(FIRST_NAT_PORT);
        expect(rule.endPort).toBeLessThanOrEqual(LAST_NAT_PORT);
      }
      expect(isNatRuleDiffEmpty(diffNatRules(rules, await backend.read()))).toBe(true);
    });

    it('keeps a source port on the first or the last port of the slot (TCP and UDP, IPv4 and IPv6)', async () => {
      for (const rule of rules) {
        for (const sourcePort of new Set([rule.port, rule.endPort])) {
          for (const proto of ['tcp', 'udp'] as const) {
            const where = `${natRuleKey(rule)} ${proto} from ${sourcePort}`;
            expect({ where, ...(await flow(rule, proto, sourcePort)) }).toEqual({
              where,
              ok: true,
              error: undefined,
              address: rule.natIp,
              port: sourcePort,
            });
          }
        }
      }
    });

    it('moves a source port just outside the slot into it', async () => {
      for (const rule of rules) {
        const outside = rule.endPort < LAST_NAT_PORT ? rule.endPort + 1 : rule.port - 1;
        for (const proto of ['tcp', 'udp'] as const) {
          const where = `${natRuleKey(rule)} ${proto} from ${outside}`;
          const seen = await flow(rule, proto, outside);
          expect({ where, ok: seen.ok, address: seen.address }).toEqual({
            where,
            ok: true,
            address: rule.natIp,
          });
          const inSlot =
            seen.port !== undefined && seen.port >= rule.port && seen.port <= rule.endPort;
          expect({ where, port: seen.port, inSlot }).toEqual({
            where,
            port: seen.port,
            inSlot: true,
          });
        }
      }
    });
  });

  it('translates ICMP echo identifiers into one-port slots too', async () => {
    const [first, last] = CASES[0]?.slots ?? [];
    expect([first?.slot, last?.slot]).toEqual([0, 64511]);
    const rules = rulesOf(CASES[0] as EdgeCase);
    await backend.apply(rules);
    const echoes4 = await topo.lab.sniffEchoes(topo.internet.ns, 4);
    const echoes6 = await topo.lab.sniffEchoes(topo.internet.ns, 6);
    // VMs 0 and 1 are the ppni 1 case's.
    for (const [vm, id] of [
      [0, 7],
      [1, 8],
    ] as const) {
      const ns = topo.vms[vm]?.ns as string;
      expect(await topo.lab.ping(ns, topo.internet.ipv4, id)).toEqual({ ok: true });
      expect(await topo.lab.ping(ns, topo.internet.ipv6, id)).toEqual({ ok: true });
    }
    const expected = (family: Family) =>
      rules.filter((r) => r.family === family).map((r) => ({ address: r.natIp, id: r.port }));
    expect(echoes4.seen()).toEqual(expected('IPv4'));
    expect(echoes6.seen()).toEqual(expected('IPv6'));
  });
});
