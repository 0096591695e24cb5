import { eventually } from '@natgw/testing';
import { http, manifests, NatgwSystem } from './support/natgw-system';

jest.setTimeout(180_000);

interface Pool {
  metadata: { name: string; resourceVersion: string };
  spec: { prefixes: string[] };
  status: {
    prefixes: Array<{ prefix: string; family: string; total: string; used: number; free: string }>;
  };
}

describe('IP pools as a cluster-scoped admin resource', () => {
  let system: NatgwSystem;
  let pools: string;
  let api: string;

  beforeAll(async () => {
    system = await NatgwSystem.create('ip_pools', { PUBLIC_PREFIXES: '' });
    await system.start('api-gateway');
    await system.start('allocator');
    const gw = system.services[0];
    pools = `${await gw.url}/apis/natgw.ironcore.dev/v1alpha1/ippools`;
    api = await system.api('default');
  });

  afterAll(async () => {
    await system?.destroy();
  });

  it('creates a pool, lists it, and rejects bad or overlapping prefixes with the field named', async () => {
    const created = await http('POST', pools, {
      apiVersion: 'natgw.ironcore.dev/v1alpha1',
      kind: 'IPPool',
      metadata: { name: 'edge' },
      spec: { prefixes: ['192.0.2.0/32'] },
    });
    expect(created.status).toBe(201);
    expect((created.body as unknown as Pool).status.prefixes).toEqual([
      { prefix: '192.0.2.0/32', family: 'IPv4', total: '1', used: 0, free: '1' },
    ]);
    expect(
      (
        await http('POST', pools, {
          metadata: { name: 'edge' },
          spec: { prefixes: ['192.0.2.8/29'] },
        })
      ).status,
    ).toBe(409);
    const bad = await http('POST', pools, {
      metadata: { name: 'other' },
      spec: { prefixes: ['192.0.2.0/30', 'nonsense', '10.0.0.1/8'] },
    });
    expect(bad.status).toBe(422);
    const causes = (bad.body.details as { causes: Array<{ field: string; reason: string }> })
      .causes;
    expect(causes.map((c) => [c.field, c.reason])).toEqual([
      ['spec.prefixes[1]', 'FieldValueInvalid'],
      ['spec.prefixes[2]', 'FieldValueInvalid'],
    ]);
    const overlap = await http('POST', pools, {
      metadata: { name: 'other' },
      spec: { prefixes: ['192.0.2.0/30'] },
    });
    expect(overlap.status).toBe(422);
    expect(String(overlap.body.message)).toContain('overlaps 192.0.2.0/32 of IPPool "edge"');
    const list = await http('GET', pools);
    expect((list.body.items as Pool[]).map((p) => p.metadata.name)).toEqual(['edge']);
  });

  it('waiting NICs get slots when the pool grows at runtime; a prefix in use cannot be removed', async () => {
    await http('POST', `${api}/networks`, manifests.network('net'));
    // One slot per IP, one address in the pool: the second NIC waits.
    await http('POST', `${api}/natgateways`, manifests.gateway('gw', 'net', 32768));
    await http('POST', `${api}/networkinterfaces`, manifests.nic('vm-1', 'net', ['10.0.0.1']));
    await http('POST', `${api}/networkinterfaces`, manifests.nic('vm-2', 'net', ['10.0.0.2']));
    await eventually(
      async () => {
        const g = (await http('GET', `${api}/natgateways/gw`)).body as {
          status: { usedSlots: number; requestedNICs: number };
        };
        return g.status.usedSlots === 1 && g.status.requestedNICs === 2;
      },
      { what: 'one NIC waiting' },
    );
    const inUse = await http('PUT', `${pools}/edge`, {
      metadata: { name: 'edge' },
      spec: { prefixes: ['198.51.100.0/31'] },
    });
    expect(inUse.status).toBe(409);
    expect(String(inUse.body.message)).toContain('192.0.2.0/32');
    const grown = await http(
      'PATCH',
      `${pools}/edge`,
      { spec: { prefixes: ['192.0.2.0/32', '198.51.100.0/31'] } },
      'application/merge-patch+json',
    );
    expect(grown.status).toBe(200);
    await eventually(
      async () => {
        const g = (await http('GET', `${api}/natgateways/gw`)).body as {
          status: { usedSlots: number; requestedNICs: number };
        };
        return g.status.usedSlots === 2 && g.status.requestedNICs === 2;
      },
      { what: 'the waiting NIC served after the pool grew' },
    );
    const pool = (await http('GET', `${pools}/edge`)).body as unknown as Pool;
    expect(pool.status.prefixes).toEqual([
      { prefix: '192.0.2.0/32', family: 'IPv4', total: '1', used: 1, free: '0' },
      { prefix: '198.51.100.0/31', family: 'IPv4', total: '2', used: 1, free: '1' },
    ]);
    // A stale resourceVersion is a conflict, as for every resource.
    const stale = await http('PUT', `${pools}/edge`, {
      metadata: { name: 'edge', resourceVersion: '1' },
      spec: { prefixes: ['192.0.2.0/32', '198.51.100.0/31', '203.0.113.0/24'] },
    });
    expect(stale.status).toBe(409);
  });
});
