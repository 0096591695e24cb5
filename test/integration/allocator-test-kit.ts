// What the allocator's integration specs share: an allocator replica on a test API's database,
// the default pool seeded from prefixes, and a create that tolerates a loaded machine's 503.
import request from 'supertest';
import { PublicIpBounds } from '@natgw/domain';
import { eventually } from '@natgw/testing';
import { ReconcileNetwork } from '../../apps/allocator/src/allocation/reconcile-network';
import { seedDefaultPool } from '../../apps/allocator/src/pools/seed-pools';
import { allocatorCaches } from '../../apps/allocator/src/state/allocator-caches';
import { API, TestApi } from './api-test-app';

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** One allocator replica with its own caches (the clock: the real one unless given). */
export function testAllocator(
  api: TestApi,
  bounds: PublicIpBounds,
  now?: () => number,
): ReconcileNetwork {
  const caches = allocatorCaches(api.store);
  return new ReconcileNetwork(
    api.dataSource,
    api.store,
    caches.pools,
    caches.allocations,
    bounds,
    64,
    ...(now ? [now] : []),
  );
}

/** Adds the prefixes to the default pool, as the allocator does at start. */
export async function seedTestPool(api: TestApi, prefixes: string[]): Promise<void> {
  await seedDefaultPool(api.dataSource, api.store, allocatorCaches(api.store).pools, prefixes);
}

/** The URL of a namespaced collection or object. */
export function objectUrl(namespace: string, plural: string, name = ''): string {
  return `${API}/namespaces/${namespace}/${plural}${name ? `/${name}` : ''}`;
}

/**
 * Creates an object. A loaded machine may answer 503 (the read model behind, the create
 * recorded): the object then shows up in the read model, as a client that re-reads finds.
 */
export async function createObject(
  api: TestApi,
  namespace: string,
  plural: string,
  body: Body,
): Promise<{ status: number; body: Body }> {
  const res = await request(api.url)
    .post(objectUrl(namespace, plural))
    .send({ apiVersion: 'networking.ironcore.dev/v1alpha1', ...body });
  if (res.status !== 503) return res;
  const created = await eventually(
    async () => {
      const again = await request(api.url).get(objectUrl(namespace, plural, body.metadata.name));
      return again.status === 200 ? again.body : undefined;
    },
    { what: `${plural}/${body.metadata.name} after a 503` },
  );
  return { status: 201, body: created };
}
