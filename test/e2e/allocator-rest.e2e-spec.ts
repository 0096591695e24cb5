import { eventually } from '@natgw/testing';
import { http, manifests, NatgwSystem } from './support/natgw-system';

jest.setTimeout(180_000);

type Obj = Record<string, unknown> & {
  status?: {
    ips?: Array<{ ip: string }>;
    conditions?: Array<Record<string, unknown>>;
    nat?: unknown[];
  } & Record<string, unknown>;
};

function condition(obj: Obj, type: string) {
  return obj.status?.conditions?.find((c) => c.type === type);
}

describe('allocator through the REST API (api-gateway + allocator + executor processes)', () => {
  let system: NatgwSystem;
  let base: (ns: string) => Promise<string>;

  beforeAll(async () => {
    // Two IPv4 addresses only: exhaustion is easy to reach.
    system = await NatgwSystem.create('allocator_rest', {
      PUBLIC_PREFIXES: '198.51.100.0/31,2001:db8:ffff::/120',
    });
    await system.start('api-gateway');
    await system.start('allocator');
    await system.start('dataplane-executor');
    base = (ns) => system.api(ns);
  });

  afterAll(async () => {
    await system?.destroy();
  });

  async function create(ns: string, plural: string, body: unknown) {
    const res = await http('POST', `${await base(ns)}/${plural}`, body);
    if (res.status !== 201)
      throw new Error(`create ${plural}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async function get(ns: string, plural: string, name: string): Promise<Obj> {
    return (await http('GET', `${await base(ns)}/${plural}/${name}`)).body as Obj;
  }

  it('fills status.ips as soon as a gateway exists, and serves every NIC of its network', async () => {
    await create('alpha', 'networks', manifests.network('net'));
    await create('alpha', 'natgateways', manifests.gateway('gw', 'net', 64));
    const gw = await eventually(
      async () => {
        const g = await get('alpha', 'natgateways', 'gw');
        return (g.status?.ips?.length ?? 0) > 0 && g;
      },
      { what: 'status.ips' },
    );
    expect(gw.status!.ips).toEqual([{ name: 'ip1', ip: '198.51.100.0', state: 'Active' }]);
    await create(
      'alpha',
      'networkinterfaces',
      manifests.nic('vm-1', 'net', ['10.0.0.1'], { nodeName: 'node-a' }),
    );
    await create('alpha', 'networkinterfaces', manifests.nic('vm-2', 'net', ['10.0.0.2']));
    const table = await eventually(
      async () => {
        const t = (await http('GET', `${await base('alpha')}/natgateways/gw/nattable`)).body as {
          ips: Array<{
            ip: string;
            sections: Array<{ ip: string; port: number; endPort: number }>;
          }>;
        };
        return t.ips?.[0]?.sections?.length === 2 && t;
      },
      { what: 'two NAT sections' },
    );
    expect(table.ips[0].sections.map((s) => [s.ip, s.port, s.endPort])).toEqual([
      ['10.0.0.1', 1024, 1087],
      ['10.0.0.2', 1088, 1151],
    ]);
    const nic = await get('alpha', 'networkinterfaces', 'vm-2');
    expect(nic.status!.nat).toEqual([
      {
        ipFamily: 'IPv4',
        natGatewayRef: { name: 'gw' },
        ip: '198.51.100.0',
        port: 1088,
        endPort: 1151,
      },
    ]);
    const ready = await eventually(
      async () => {
        const g = await get('alpha', 'natgateways', 'gw');
        return condition(g, 'Ready')?.status === 'True' && g;
      },
      { what: 'Ready=True' },
    );
    expect(ready.status).toMatchObject({ usedSlots: 2, requestedNICs: 2, totalSlots: 1008 });
    // The bus is observable: whichever service holds the relay lock counts what it
    // published, and the allocator counts what its consumer handled.
    const texts = await Promise.all(
      system.services.map(async (s) => (await fetch(`${await s.url}/metrics`)).text()),
    );
    expect(texts.join('\n')).toMatch(
      /natgw_events_published_total\{[^}]*event_type="NATGatewayCreated"[^}]*\} [1-9]/,
    );
    expect(texts.join('\n')).toMatch(
      /natgw_events_consumed_total\{[^}]*consumer="allocator"[^}]*event_type="NetworkInterfaceCreated"[^}]*\} [1-9]/,
    );
  });

  it('a NIC with a virtual IP gets no NAT; removing the virtual IP brings NAT back', async () => {
    const url = `${await base('alpha')}/networkinterfaces/vm-1`;
    const patched = await http(
      'PATCH',
      url,
      { spec: { virtualIP: { ip: '192.0.2.10' } } },
      'application/merge-patch+json',
    );
    expect(patched.status).toBe(200);
    await eventually(
      async () =>
        ((await get('alpha', 'networkinterfaces', 'vm-1')).status?.nat ?? [1]).length === 0,
      {
        what: 'NAT dropped for the virtual IP',
      },
    );
    const removed = await http(
      'PATCH',
      url,
      { spec: { virtualIP: null } },
      'application/merge-patch+json',
    );
    expect(removed.status).toBe(200);
    const nic = await eventually(
      async () => {
        const n = await get('alpha', 'networkinterfaces', 'vm-1');
        return (n.status?.nat ?? []).length === 1 && n;
      },
      { what: 'NAT back' },
    );
    // vm-2 kept its slot; vm-1 took the lowest free one again.
    expect(nic.status!.nat).toEqual([
      {
        ipFamily: 'IPv4',
        natGatewayRef: { name: 'gw' },
        ip: '198.51.100.0',
        port: 1024,
        endPort: 1087,
      },
    ]);
  });

  it('exhaustion: NICs beyond the pool wait with a reason, and get slots when others leave', async () => {
    await create('beta', 'networks', manifests.network('net'));
    // One slot per IP; alpha/gw holds one of the two pool addresses.
    await create('beta', 'natgateways', manifests.gateway('gw', 'net', 32768));
    for (const n of ['a', 'b', 'c']) {
      await create(
        'beta',
        'networkinterfaces',
        manifests.nic(`vm-${n}`, 'net', [`10.1.0.${n.charCodeAt(0)}`]),
      );
    }
    const pending = await eventually(
      async () => {
        const g = await get('beta', 'natgateways', 'gw');
        const c = condition(g, 'Ready');
        return c?.reason === 'PublicIPPoolExhausted' && g.status?.requestedNICs === 3 && g;
      },
      { what: 'PublicIPPoolExhausted' },
    );
    expect(condition(pending, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'PublicIPPoolExhausted',
    });
    // One slot per IP: three NICs want three IPs; the pool gave one, so two NICs wait and
    // two more IPs are needed.
    expect(condition(pending, 'Ready')!.message).toBe(
      '2 network interfaces are waiting for a NAT slot: the IPv4 public IP pool is exhausted; ' +
        '2 more public IPs are needed',
    );
    expect(pending.status).toMatchObject({ usedSlots: 1, requestedNICs: 3 });
    // Port exhaustion is a signal operators can alert on, not only a status field.
    const allocator = system.services.find((s) => s.service === 'allocator')!;
    const metrics = await eventually(
      async () => {
        const text = await (await fetch(`${await allocator.url}/metrics`)).text();
        return /natgw_gateways_short_of_capacity\{[^}]*\} 1\b/.test(text) && text;
      },
      { what: 'short-of-capacity metric' },
    );
    expect(metrics).toMatch(
      /natgw_gateway_slots_requested\{[^}]*namespace="beta"[^}]*gateway="gw"[^}]*\} 3/,
    );
    expect(metrics).toMatch(
      /natgw_pool_addresses_free\{[^}]*prefix="198\.51\.100\.0\/31"[^}]*\} 0/,
    );
    // Free alpha's address: delete alpha's gateway. Beta's waiting NICs get it without any user action.
    expect((await http('DELETE', `${await base('alpha')}/natgateways/gw`)).status).toBe(200);
    const grown = await eventually(
      async () => {
        const g = await get('beta', 'natgateways', 'gw');
        return g.status?.usedSlots === 2 && g;
      },
      { what: 'beta takes the released address' },
    );
    expect(grown.status!.ips!.map((x) => x.ip)).toEqual(['198.51.100.0', '198.51.100.1']);
    // One NIC leaves: the last waiting NIC takes its slot.
    const nics = await Promise.all(
      ['a', 'b', 'c'].map((n) => get('beta', 'networkinterfaces', `vm-${n}`)),
    );
    const served = nics.filter((n) => (n.status?.nat ?? []).length === 1);
    const leaving = (served[0].metadata as { name: string }).name;
    expect(
      (await http('DELETE', `${await base('beta')}/networkinterfaces/${leaving}`)).status,
    ).toBe(200);
    await eventually(
      async () => {
        const g = await get('beta', 'natgateways', 'gw');
        return (
          g.status?.usedSlots === 2 &&
          g.status?.requestedNICs === 2 &&
          condition(g, 'Allocated')?.status === 'True'
        );
      },
      { what: 'every remaining NIC served' },
    );
  });

  it('deleting a gateway releases its IPs and slots before it disappears', async () => {
    const before = await system.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM natgw_events WHERE type = 'PublicIPReleased'`,
    );
    expect((await http('DELETE', `${await base('beta')}/natgateways/gw`)).status).toBe(200);
    await eventually(
      async () => (await http('GET', `${await base('beta')}/natgateways/gw`)).status === 404,
      {
        what: 'gateway gone',
      },
    );
    const after = await system.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM natgw_events WHERE type = 'PublicIPReleased'`,
    );
    expect(after[0].n).toBe(before[0].n + 2);
    const nics = await http('GET', `${await base('beta')}/networkinterfaces`);
    for (const item of (nics.body.items as Obj[]) ?? []) expect(item.status?.nat).toEqual([]);
    // Every decision points at what caused it.
    const orphans = await system.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM natgw_events
        WHERE metadata->>'source' = '/natgw/allocator' AND stream_id NOT LIKE 'ippool:%'
          AND coalesce(metadata->>'causationId', metadata->>'correlationId') IS NULL`,
    );
    expect(orphans[0].n).toBe(0);
  });

  it('any creation order converges to the same NAT table', async () => {
    // delta: gateway first, NICs next, network last. epsilon: the usual order.
    await create('delta', 'natgateways', manifests.gateway('gw', 'net', 1024, 'IPv6'));
    await create('delta', 'networkinterfaces', manifests.nic('vm-1', 'net', ['fd00::1']));
    await create('delta', 'networkinterfaces', manifests.nic('vm-2', 'net', ['fd00::2']));
    await create('delta', 'networks', manifests.network('net'));
    await create('epsilon', 'networks', manifests.network('net'));
    await create('epsilon', 'networkinterfaces', manifests.nic('vm-1', 'net', ['fd00::1']));
    await create('epsilon', 'networkinterfaces', manifests.nic('vm-2', 'net', ['fd00::2']));
    await create('epsilon', 'natgateways', manifests.gateway('gw', 'net', 1024, 'IPv6'));
    const tables = await Promise.all(
      ['delta', 'epsilon'].map((ns) =>
        eventually(
          async () => {
            const t = (await http('GET', `${await base(ns)}/natgateways/gw/nattable`)).body as {
              ips: Array<{
                ip: string;
                sections: Array<{ ip: string; port: number; endPort: number }>;
              }>;
            };
            return t.ips?.reduce((n, x) => n + x.sections.length, 0) === 2 && t;
          },
          { what: `${ns} table` },
        ),
      ),
    );
    const shape = (t: (typeof tables)[number]) =>
      t.ips.flatMap((x) => x.sections.map((s) => [s.ip, s.port, s.endPort]));
    expect(shape(tables[0])).toEqual([
      ['fd00::1', 1024, 2047],
      ['fd00::2', 2048, 3071],
    ]);
    expect(shape(tables[1])).toEqual(shape(tables[0]));
  });
  it('MaxPublicIPsReached when the autoscaler bound is the limit (the pool has room)', async () => {
    await create('gamma', 'networks', manifests.network('net'));
    await create('gamma', 'natgatewayautoscalers', manifests.autoscaler('scale', 'gw', 1, 1));
    await create('gamma', 'natgateways', manifests.gateway('gw', 'net', 32768));
    await create('gamma', 'networkinterfaces', manifests.nic('vm-1', 'net', ['10.2.0.1']));
    await create('gamma', 'networkinterfaces', manifests.nic('vm-2', 'net', ['10.2.0.2']));
    const g = await eventually(
      async () => {
        const gw = await get('gamma', 'natgateways', 'gw');
        return condition(gw, 'Allocated')?.reason === 'MaxPublicIPsReached' && gw;
      },
      { what: 'MaxPublicIPsReached' },
    );
    expect(g.status!.ips).toHaveLength(1);
    expect(g.status).toMatchObject({ usedSlots: 1, requestedNICs: 2, totalSlots: 1 });
  });
});
