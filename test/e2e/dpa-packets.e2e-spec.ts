// Dynamic port allocation end to end (issue 17.4): the whole system with the nftables backend,
// driven through the REST API, with real packets. A NIC behind a gateway with
// spec.dynamicPortAllocation {min 4, max 16, growAtPercent 75} starts with 4 ports; it holds 3
// TCP connections open, the executor reports them (NATPortUsageReported), the allocator grants 8
// ports in place (NATSlotReleased PortsGrown + NATSlotAssigned), the executor widens the rule,
// and 4 more connections — beyond the minimum — succeed, every one leaving as the gateway's IP
// within the NIC's current range (seen by the server). natlookup is exact across the grow.
import { eventually } from '@natgw/testing';
import { http, manifests } from './support/natgw-system';
import { HeldConnectionsLab } from './support/held-connections-lab';

jest.setTimeout(300_000);

const HOLD_PORT = 8092;
const UDP_PORT = 8093;
const LOOKUP = '/apis/natgw.ironcore.dev/v1alpha1/natlookup';

interface Nat {
  ip: string;
  port: number;
  endPort: number;
  inUse?: number;
}

describe('dynamic port allocation end to end, with nftables and real packets', () => {
  let lab: HeldConnectionsLab;
  const api = () => lab.api();
  const hold = (count: number) => lab.hold(count);

  async function slot(): Promise<Nat | undefined> {
    const res = await http('GET', `${await api()}/networkinterfaces/vm1`);
    return ((res.body.status ?? {}) as { nat?: Nat[] }).nat?.[0];
  }

  /** The source address:port of every connection the server holds, as the internet sees it. */
  async function peers(): Promise<Array<{ ip: string; port: number }>> {
    const out = await lab.topo.lab.exec(lab.topo.internet.ns, 'ss', [
      '-Htn',
      'state',
      'established',
      `( sport = :${HOLD_PORT} )`,
    ]);
    return out.stdout
      .split('\n')
      .map((line) => line.trim().split(/\s+/).pop() ?? '')
      .filter((peer) => peer.includes(':'))
      .map((peer) => {
        const at = peer.lastIndexOf(':');
        return { ip: peer.slice(0, at), port: Number(peer.slice(at + 1)) };
      });
  }

  beforeAll(async () => {
    lab = await HeldConnectionsLab.start('dpa_packets', { tcp: HOLD_PORT, udp: UDP_PORT });
    try {
      const gateway = manifests.gateway('gw4', 'net', 4, 'IPv4');
      const { portsPerNetworkInterface: _fixed, ...spec } = gateway.spec;
      const created = await http('POST', `${await api()}/natgateways`, {
        ...gateway,
        spec: {
          ...spec,
          dynamicPortAllocation: {
            enabled: true,
            minPortsPerNetworkInterface: 4,
            maxPortsPerNetworkInterface: 16,
            growAtPercent: 75,
          },
        },
      });
      // 503: recorded, the read model behind (a loaded machine); the object shows up anyway.
      expect([201, 503]).toContain(created.status);
      await eventually(async () => (await slot())?.endPort !== undefined, {
        what: 'vm1 slot',
        timeoutMs: 60_000,
      });
    } catch (err) {
      await lab.destroy();
      throw err;
    }
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  it('grants more ports when usage crosses the threshold; connections beyond the minimum leave within the new range', async () => {
    const first = (await slot()) as Nat;
    expect(first.endPort - first.port + 1).toBe(4);
    const beforeGrow = new Date().toISOString();

    // 3 of 4 in use (75%): the executor reports it, the allocator doubles the slot in place.
    expect(await hold(3)).toEqual({ opened: 3, failed: 0 });
    const grown = await eventually(
      async () => {
        const s = await slot();
        return s && s.endPort - s.port + 1 === 8 ? s : undefined;
      },
      { what: 'an 8-port slot in status.nat', timeoutMs: 60_000 },
    );
    expect(grown.ip).toBe(first.ip);
    expect(grown.port <= first.port && first.endPort <= grown.endPort).toBe(true);
    const reasons = await lab.system.query<{ reason: string }>(
      `SELECT data->>'reason' AS reason FROM natgw_events
        WHERE type = 'NATSlotReleased' AND stream_id LIKE 'allocation:%'`,
    );
    expect(reasons.map((r) => r.reason)).toContain('PortsGrown');

    // The executor widens the NIC's entry of the snat map to the new range.
    await eventually(
      async () => {
        const nft = await lab.topo.lab.exec(lab.topo.gateway.ns, 'nft', ['list', 'ruleset']);
        return nft.stdout.includes(`${grown.ip} . ${grown.port}-${grown.endPort}`)
          ? true
          : undefined;
      },
      { what: 'the widened snat map entry', timeoutMs: 60_000 },
    );
    // 4 more: 7 connections in all, more than the minimum of 4.
    expect(await hold(4)).toEqual({ opened: 4, failed: 0 });
    const seen = await peers();
    expect(seen.length).toBeGreaterThan(4);
    for (const peer of seen) {
      expect(peer.ip).toBe(grown.ip);
      expect(peer.port).toBeGreaterThanOrEqual(grown.port);
    }
    // The latest slot may have grown again (7 of 8 is above 75%): every port is within it.
    const current = (await slot()) as Nat;
    for (const peer of seen) expect(peer.port).toBeLessThanOrEqual(current.endPort);
    const beyond = seen.find((p) => p.port < first.port || p.port > first.endPort);
    expect(beyond).toBeDefined();

    // natlookup: the port outside the first range was nobody's before the grow, vm1's now.
    const lookup = async (port: number, at: string) =>
      (
        await http(
          'GET',
          `${(await api()).split('/apis/')[0]}${LOOKUP}?ip=${grown.ip}&port=${port}&at=${at}`,
        )
      ).body as { found: boolean; holder?: { networkInterface?: { name?: string } } };
    const port = (beyond as { port: number }).port;
    expect((await lookup(port, beforeGrow)).found).toBe(false);
    expect((await lookup(port, new Date().toISOString())).holder?.networkInterface?.name).toBe(
      'vm1',
    );
  });
});
