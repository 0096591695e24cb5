// Port usage end to end (issue 17.3): the whole system with the nftables backend, driven through
// the REST API, with real packets. A NIC behind a gateway with 4 ports per NIC opens TCP
// connections that an "internet" namespace holds open: the executor counts them in conntrack
// and reports them (NATPortUsageReported), the NIC's status.nat shows inUse and peak; filling the
// slot drops the next connection, sets PortsExhausted, the gateway's portUsage and the
// natgw_ports_exhausted_total counter; once the connections are gone the condition clears and
// the peak remains.
import { eventually } from '@natgw/testing';
import { http, manifests } from './support/natgw-system';
import { HeldConnectionsLab } from './support/held-connections-lab';

jest.setTimeout(240_000);

const HOLD_PORT = 8090;
const UDP_PORT = 8091;

interface Nat {
  ip: string;
  port: number;
  endPort: number;
  inUse?: number;
  peak?: number;
  exhausted?: boolean;
}
interface Condition {
  type: string;
  status: string;
  reason: string;
}

describe('port usage end to end, with nftables and real packets', () => {
  let lab: HeldConnectionsLab;
  const api = () => lab.api();

  async function nic(): Promise<{ nat: Nat[]; conditions: Condition[] }> {
    const res = await http('GET', `${await api()}/networkinterfaces/vm1`);
    const status = (res.body.status ?? {}) as { nat?: Nat[]; conditions?: Condition[] };
    return { nat: status.nat ?? [], conditions: status.conditions ?? [] };
  }

  async function gatewayStatus(): Promise<Record<string, unknown>> {
    const res = await http('GET', `${await api()}/natgateways/gw4`);
    return (res.body.status ?? {}) as Record<string, unknown>;
  }

  async function metric(name: string): Promise<number> {
    const text = await (await fetch(`${await lab.executor.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(name) && l.includes('gateway="gw4"'));
    return line ? Number(line.split(' ').pop()) : NaN;
  }

  const hold = (count: number) => lab.hold(count);

  beforeAll(async () => {
    lab = await HeldConnectionsLab.start('port_usage', { tcp: HOLD_PORT, udp: UDP_PORT });
    try {
      await http('POST', `${await api()}/natgateways`, manifests.gateway('gw4', 'net', 4, 'IPv4'));
      await eventually(
        async () =>
          (await nic()).conditions.some((c) => c.type === 'NATProgrammed' && c.status === 'True'),
        { what: 'vm1 NATProgrammed', timeoutMs: 60_000 },
      );
    } catch (err) {
      await lab.destroy();
      throw err;
    }
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  it('shows the connections a NIC holds as inUse and peak of its slot', async () => {
    expect(await hold(2)).toEqual({ opened: 2, failed: 0 });
    const seen = await eventually(
      async () => {
        const [slot] = (await nic()).nat;
        return slot?.inUse === 2 && slot;
      },
      { what: 'status.nat inUse 2', timeoutMs: 30_000 },
    );
    expect(seen).toMatchObject({ endPort: seen.port + 3, inUse: 2, peak: 2, exhausted: false });
    expect((await nic()).conditions.find((c) => c.type === 'PortsExhausted')).toMatchObject({
      status: 'False',
      reason: 'PortsAvailable',
    });
    const events = await lab.system.query<{ data: { slots: Array<{ inUse: number }> } }>(
      `SELECT data FROM natgw_events WHERE stream_id LIKE 'dataplane:%' AND type = 'NATPortUsageReported'`,
    );
    expect(events.some((e) => e.data.slots.some((s) => s.inUse === 2))).toBe(true);
  });

  it('records PortsExhausted, the gateway count and the counter when the slot is full', async () => {
    expect(await hold(3)).toEqual({ opened: 2, failed: 1 });
    await eventually(
      async () =>
        (await nic()).conditions.some((c) => c.type === 'PortsExhausted' && c.status === 'True'),
      { what: 'PortsExhausted=True', timeoutMs: 30_000 },
    );
    expect((await nic()).nat[0]).toMatchObject({ inUse: 4, peak: 4, exhausted: true });
    await eventually(async () => (await gatewayStatus()).portUsage, { what: 'gateway portUsage' });
    expect((await gatewayStatus()).portUsage).toMatchObject({ exhausted: 1, nearExhaustion: 0 });
    expect(await metric('natgw_ports_exhausted_total')).toBe(1);
    expect(await metric('natgw_nat_slots_exhausted')).toBe(1);
    const text = await (await fetch(`${await lab.executor.url}/metrics`)).text();
    const insertFailed = text
      .split('\n')
      .find((l) => l.startsWith('natgw_conntrack_insert_failed_total'));
    expect(Number(insertFailed?.split(' ').pop())).toBeGreaterThan(0);
    // The per-NIC series exist for a slot near exhaustion.
    expect(text).toMatch(/natgw_nat_slot_ports_peak\{[^}]*network_interface="vm1"[^}]*\} 4/);
  });

  it('clears PortsExhausted when the connections are gone, and keeps the peak', async () => {
    await lab.release();
    // Closed connections linger in conntrack (TIME_WAIT); delete them as their timeout would.
    await lab.topo.lab.exec(lab.topo.gateway.ns, 'conntrack', [
      '-D',
      '-p',
      'tcp',
      '--orig-src',
      lab.topo.vms[0].ipv4,
    ]);
    await eventually(
      async () =>
        (await nic()).conditions.some((c) => c.type === 'PortsExhausted' && c.status === 'False'),
      { what: 'PortsExhausted=False', timeoutMs: 30_000 },
    );
    expect((await nic()).nat[0]).toMatchObject({ peak: 4, exhausted: false });
    expect((await gatewayStatus()).portUsage).toMatchObject({ exhausted: 0, nearExhaustion: 1 });
  });
});
