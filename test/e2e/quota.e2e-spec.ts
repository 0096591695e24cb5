import { randomUUID } from 'node:crypto';
import { eventually } from '@natgw/testing';
import { http, manifests, NatgwSystem } from './support/natgw-system';

jest.setTimeout(240_000);

type Gateway = {
  status?: {
    ips?: Array<{ ip: string }>;
    waitingNICs?: number;
    conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
  };
};

const allocated = (g: Gateway) => g.status?.conditions?.find((c) => c.type === 'Allocated');

describe('the allocator under NATGatewayQuota and the per-gateway cap (real processes)', () => {
  let system: NatgwSystem;
  const api = (ns: string) => system.api(ns);
  const quotas = async (ns: string) =>
    (await api(ns)).replace('networking.ironcore.dev', 'natgw.ironcore.dev') + '/natgatewayquotas';
  const create = async (ns: string, plural: string, body: unknown) => {
    const res = await http('POST', `${await api(ns)}/${plural}`, body);
    if (res.status !== 201) throw new Error(`${plural}: ${res.status} ${JSON.stringify(res.body)}`);
  };
  const gateway = async (ns: string, name: string) =>
    (await http('GET', `${await api(ns)}/natgateways/${name}`)).body as Gateway;

  beforeAll(async () => {
    system = await NatgwSystem.create('quota_e2e', {
      PUBLIC_PREFIXES: '203.0.113.0/28,2001:db8:1::/64',
    });
    await system.start('api-gateway');
    await system.start('allocator');
  });

  afterAll(async () => {
    await system?.destroy();
  });

  it('claims no public IP past the publicIPs quota (gateways wait with QuotaExceeded) and proceeds once it is raised', async () => {
    const ns = 'quota';
    const q = await http('POST', await quotas(ns), {
      metadata: { name: 'ips' },
      spec: { hard: { publicIPs: 2 } },
    });
    expect(q.status).toBe(201);
    await create(ns, 'networks', manifests.network('net-a'));
    await create(ns, 'networks', manifests.network('net-b'));
    // 32768 ports per NIC: one slot per IP, so three NICs want three IPs.
    await create(ns, 'natgateways', manifests.gateway('gw-a', 'net-a', 32768));
    for (let i = 1; i <= 3; i++) {
      await create(ns, 'networkinterfaces', manifests.nic(`vm-${i}`, 'net-a', [`10.0.0.${i}`]));
    }
    await create(ns, 'natgateways', manifests.gateway('gw-b', 'net-b', 32768));
    const [a, b] = await eventually(
      async () => {
        const ga = await gateway(ns, 'gw-a');
        const gb = await gateway(ns, 'gw-b');
        // Never more than the quota, at any moment we look.
        expect((ga.status?.ips?.length ?? 0) + (gb.status?.ips?.length ?? 0)).toBeLessThanOrEqual(
          2,
        );
        return allocated(ga)?.reason === 'QuotaExceeded' &&
          allocated(gb)?.reason === 'QuotaExceeded' &&
          (ga.status?.ips?.length ?? 0) + (gb.status?.ips?.length ?? 0) === 2
          ? [ga, gb]
          : undefined;
      },
      { what: 'both gateways waiting on the quota', timeoutMs: 60_000 },
    );
    expect(allocated(a)).toMatchObject({ status: 'False', reason: 'QuotaExceeded' });
    expect(allocated(a)?.message).toMatch(/NATGatewayQuota on publicIPs is used up/);
    expect(allocated(b)?.message).toMatch(/NATGatewayQuota on publicIPs is used up/);
    expect((a.status?.ips?.length ?? 0) + (b.status?.ips?.length ?? 0)).toBe(2);
    const used = await http('GET', `${await quotas(ns)}/ips`);
    expect((used.body.status as { used: { publicIPs: number } }).used.publicIPs).toBe(2);

    // Raising the quota lets both proceed: gw-a to 3 IPs, gw-b to its minimum of 1.
    const raised = await http(
      'PATCH',
      `${await quotas(ns)}/ips`,
      { spec: { hard: { publicIPs: 4 } } },
      'application/merge-patch+json',
    );
    expect(raised.status).toBe(200);
    await eventually(
      async () => {
        const ga = await gateway(ns, 'gw-a');
        const gb = await gateway(ns, 'gw-b');
        return allocated(ga)?.status === 'True' &&
          allocated(gb)?.status === 'True' &&
          ga.status?.ips?.length === 3 &&
          gb.status?.ips?.length === 1
          ? true
          : undefined;
      },
      { what: 'both gateways allocated after the quota was raised', timeoutMs: 60_000 },
    );
    // The pool agrees: the namespace's gateways claim exactly 4 addresses.
    const claims = await system.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM (
         SELECT data->>'ip' AS ip, (array_agg(type ORDER BY global_position DESC))[1] AS last
           FROM natgw_events WHERE stream_id LIKE 'ippool:%'
            AND type IN ('PublicIPClaimed', 'PublicIPReleased')
          GROUP BY data->>'ip') c WHERE last = 'PublicIPClaimed'`,
    );
    expect(Number(claims[0].n)).toBe(4);
  });

  it('clamps bounds written to the log before the cap to MAX_PUBLIC_IPS_PER_GATEWAY, on a /64 pool', async () => {
    const ns = 'legacy';
    await create(ns, 'networks', manifests.network('net'));
    await create(ns, 'natgateways', manifests.gateway('gw', 'net', 64, 'IPv6'));
    // An autoscaler as an older version accepted it (the API refuses it now): appended directly.
    await system.query(
      `SELECT * FROM natgw_append($1, 'no-stream', ARRAY[$2::uuid], ARRAY['NATGatewayAutoscalerCreated'],
         ARRAY[$3::jsonb], ARRAY['{}'::jsonb], now())`,
      [
        `natgatewayautoscaler:${ns}/greedy`,
        randomUUID(),
        JSON.stringify({
          uid: randomUUID(),
          namespace: ns,
          name: 'greedy',
          labels: {},
          annotations: {},
          finalizers: [],
          spec: {
            natGatewayRef: { name: 'gw' },
            minPublicIPs: 2_147_483_647,
            maxPublicIPs: 2_147_483_647,
          },
          generation: 1,
          creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        }),
      ],
    );
    const gw = await eventually(
      async () => {
        const g = await gateway(ns, 'gw');
        return g.status?.ips?.length === 64 && allocated(g)?.status === 'True' ? g : undefined;
      },
      { what: 'the gateway at the cap of 64 IPs', timeoutMs: 90_000 },
    );
    expect(new Set(gw.status?.ips?.map((i) => i.ip)).size).toBe(64);
    expect(gw.status?.ips?.every((i) => i.ip.startsWith('2001:db8:1:'))).toBe(true);
    // The allocator keeps serving other gateways.
    await create('after', 'networks', manifests.network('net'));
    await create('after', 'natgateways', manifests.gateway('gw', 'net'));
    await eventually(
      async () => ((await gateway('after', 'gw')).status?.ips?.length === 1 ? true : undefined),
      { what: 'a later gateway allocated', timeoutMs: 60_000 },
    );
  });
});
