// Hostile clients: each shape of issue 13's "stalls" and "smaller" findings, through a
// real api-gateway (in-process, real PostgreSQL and NATS). Every one answers quickly
// with a 4xx where it is refused, and never a 500.
import request from 'supertest';
import { resourceStreamId } from '@natgw/contracts';
import {
  decideAllocation,
  decidePool,
  eligibleNicsForGateway,
  foldPool,
  initialAllocationState,
  initialIpPoolState,
  IpPoolEvent,
  planAllocation,
} from '@natgw/domain';
import { API, startTestApi, TestApi } from './api-test-app';

jest.setTimeout(300_000);

const POOLS = '/apis/natgw.ironcore.dev/v1alpha1/ippools';
const gateway = (name: string) => ({
  metadata: { name },
  spec: {
    type: 'Public',
    ipFamily: 'IPv4',
    portsPerNetworkInterface: 64,
    networkRef: { name: 'net' },
  },
});
const pool = (name: string, prefixes: string[]) => ({
  apiVersion: 'natgw.ironcore.dev/v1alpha1',
  kind: 'IPPool',
  metadata: { name },
  spec: { prefixes },
});

/** Runs a request and returns it with how long it took. */
async function timed(r: request.Test): Promise<{ res: request.Response; ms: number }> {
  const start = Date.now();
  const res = await r;
  return { res, ms: Date.now() - start };
}

describe('api-gateway against hostile clients (no tokens, loopback)', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi('api_hostile');
    const net = await request(api.url)
      .post(`${API}/namespaces/default/networks`)
      .send({ metadata: { name: 'net' } });
    expect(net.status).toBe(201);
    const gw = await request(api.url)
      .post(`${API}/namespaces/default/natgateways`)
      .send(gateway('gw'));
    expect(gw.status).toBe(201);
  });

  afterAll(async () => {
    await api?.close();
  });

  describe('selectors', () => {
    it('answers a field selector of thousands of spaces at once (the old regex took seconds)', async () => {
      const selector = `metadata.name=${' '.repeat(4000)}!`;
      const { res, ms } = await timed(
        request(api.url).get(`${API}/natgateways`).query({ fieldSelector: selector }),
      );
      expect(res.status).toBe(400);
      expect(res.body.message).toContain('invalid field selector');
      expect(ms).toBeLessThan(2000);
    });

    it('refuses selectors longer than 4096 characters, naming the cap', async () => {
      for (const key of ['fieldSelector', 'labelSelector']) {
        const res = await request(api.url)
          .get(`${API}/natgateways`)
          .query({ [key]: `a${' '.repeat(5000)}` });
        expect(res.status).toBe(400);
        expect(res.body.message).toContain('at most 4096 characters');
      }
    });
  });

  describe('JSON patch', () => {
    it('refuses a self-copy doubling patch of ~1 KB with a quick 413, and the object is unchanged', async () => {
      const before = await request(api.url).get(`${API}/namespaces/default/natgateways/gw`);
      // Each operation doubles metadata: 20 of them would build 2^20 copies of it.
      const body = JSON.stringify(
        Array.from({ length: 20 }, (_, i) => ({
          op: 'copy',
          from: '/metadata',
          path: `/metadata/${String.fromCharCode(97 + i)}`,
        })),
      );
      expect(body.length).toBeLessThan(1200);
      const { res, ms } = await timed(
        request(api.url)
          .patch(`${API}/namespaces/default/natgateways/gw`)
          .set('Content-Type', 'application/json-patch+json')
          .send(body),
      );
      expect(res.status).toBe(413);
      expect(res.body.reason).toBe('RequestEntityTooLarge');
      expect(ms).toBeLessThan(3000);
      const after = await request(api.url).get(`${API}/namespaces/default/natgateways/gw`);
      expect(after.body.metadata.resourceVersion).toBe(before.body.metadata.resourceVersion);
    });
  });

  describe('YAML', () => {
    const post = (body: string) =>
      timed(
        request(api.url)
          .post(`${API}/namespaces/default/networks`)
          .set('Content-Type', 'application/yaml')
          .send(body),
      );

    it('refuses 800 KB of mapping keys at once (duplicates were checked in quadratic time)', async () => {
      const keys = Array.from({ length: 60_000 }, (_, i) => `k${i}: v`).join('\n');
      const { res, ms } = await post(
        `metadata:\n  name: yaml-keys\n  annotations:\n    ${keys.replace(/\n/g, '\n    ')}\n`,
      );
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/more than \d+ (mapping keys|nodes)/);
      expect(ms).toBeLessThan(3000);
    });

    it('refuses an alias bomb', async () => {
      const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
      for (let i = 1; i < 9; i++) {
        const prev = String.fromCharCode(96 + i);
        const name = String.fromCharCode(97 + i);
        lines.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
      }
      const { res, ms } = await post(`metadata:\n  name: bomb\nspec:\n  ${lines.join('\n  ')}\n`);
      expect(res.status).toBe(400);
      expect(ms).toBeLessThan(3000);
    });

    it('refuses a duplicate key', async () => {
      const { res } = await post('metadata:\n  name: dup\n  name: dup2\n');
      expect(res.status).toBe(400);
      expect(res.body.message).toContain('"name" is repeated');
    });
  });

  describe('400 instead of 500', () => {
    it('refuses a lone surrogate in an annotation', async () => {
      for (const text of ['"\\ud800"', '"a\\udc00b"', '"\\udbff\\ud800"']) {
        const res = await request(api.url)
          .post(`${API}/namespaces/default/networks`)
          .set('Content-Type', 'application/json')
          .send(`{"metadata":{"name":"sur","annotations":{"x":${text}}}}`);
        expect(res.status).toBe(400);
        expect(res.body.message).toContain('lone UTF-16 surrogate');
      }
      // A whole pair is a character like any other.
      const ok = await request(api.url)
        .post(`${API}/namespaces/default/networks`)
        .set('Content-Type', 'application/json')
        .send('{"metadata":{"name":"pair","annotations":{"x":"\\ud83d\\ude00"}}}');
      expect(ok.status).toBe(201);
    });

    it('refuses a resourceVersion past 2^63-1 on watch, and in a continue token', async () => {
      for (const rv of ['9999999999999999999', '9223372036854775808']) {
        const res = await request(api.url)
          .get(`${API}/natgateways`)
          .query({ resourceVersion: rv, watch: 'true' });
        expect(res.status).toBe(400);
        expect(res.body.message).toContain('resourceVersion');
        const token = Buffer.from(
          JSON.stringify({ v: 1, rv, ns: 'default', n: 'gw' }),
          'utf8',
        ).toString('base64url');
        const page = await request(api.url)
          .get(`${API}/natgateways`)
          .query({ limit: '1', continue: token });
        expect(page.status).toBe(400);
        expect(page.body.message).toContain('continue token');
      }
    });

    it('answers 404 for a pool name with a NUL (or any name no pool can have)', async () => {
      for (const name of ['%00', 'a%00b', 'UPPER', 'x'.repeat(300)]) {
        for (const method of ['get', 'delete'] as const) {
          const res = await request(api.url)[method](`${POOLS}/${name}`);
          expect(res.status).toBe(404);
        }
        const patch = await request(api.url)
          .patch(`${POOLS}/${name}`)
          .set('Content-Type', 'application/merge-patch+json')
          .send({ spec: { prefixes: ['198.51.100.0/31'] } });
        expect(patch.status).toBe(404);
      }
    });

    it('escapes a non-Latin-1 warning after a committed write (201, not 500)', async () => {
      const res = await request(api.url)
        .post(`${API}/namespaces/default/networks?fieldValidation=Warn`)
        .send({ metadata: { name: 'warned' }, spec: {}, ключ: 1, '\u0007bell': 2 });
      expect(res.status).toBe(201);
      expect(res.headers.warning).toContain('\\u043a\\u043b\\u044e\\u0447');
      expect(res.headers.warning).toMatch(/^[\x20-\x7e]*$/);
      const get = await request(api.url).get(`${API}/namespaces/default/networks/warned`);
      expect(get.status).toBe(200);
    });
  });

  describe('error sizes', () => {
    it('answers 1,000 long unknown fields (the most an object may have) with a small error', async () => {
      const body: Record<string, unknown> = { metadata: { name: 'many' }, spec: {} };
      for (let i = 0; i < 998; i++) body[`unknown-${i}-${'z'.repeat(200)}`] = i;
      const sent = JSON.stringify(body);
      const res = await request(api.url)
        .post(`${API}/namespaces/default/networks`)
        .set('Content-Type', 'application/json')
        .send(sent);
      expect(res.status).toBe(400);
      // Uncapped, the message and the causes each repeated every field name: ~2x the body.
      expect(res.text.length).toBeLessThan(32 * 1024);
      expect(res.text.length).toBeLessThan(sent.length / 5);
      expect(res.body.details.causes).toHaveLength(51);
      expect(res.body.details.causes[50].message).toContain('more causes not shown');
    });

    it('refuses an object of more than 1,000 keys before validating it (60,000 took seconds)', async () => {
      const body: Record<string, unknown> = { metadata: { name: 'wide' }, spec: {} };
      for (let i = 0; i < 60_000; i++) body[`u${i}`] = i;
      const { res, ms } = await timed(
        request(api.url).post(`${API}/namespaces/default/networks`).send(body),
      );
      expect(res.status).toBe(400);
      expect(res.body.message).toContain('at most 1000 are allowed');
      expect(ms).toBeLessThan(2000);
    });

    it('answers a 900 KB invalid value with an error of a few KB', async () => {
      const sent = JSON.stringify({
        metadata: { name: 'big', labels: { a: 'v'.repeat(900_000) } },
        spec: {},
      });
      const res = await request(api.url)
        .post(`${API}/namespaces/default/networks`)
        .set('Content-Type', 'application/json')
        .send(sent);
      expect(res.status).toBe(422);
      expect(res.text.length).toBeLessThan(8 * 1024);
    });
  });

  describe('pool prefixes', () => {
    it.each([
      ['0.0.0.0/0', '0.0.0.0/8'],
      ['::/0', '::/8'],
      ['10.0.0.0/8', '10.0.0.0/8'],
      ['192.168.0.0/24', '192.168.0.0/16'],
      ['127.0.0.0/8', '127.0.0.0/8'],
      ['169.254.0.0/16', '169.254.0.0/16'],
      ['224.0.0.0/4', '224.0.0.0/4'],
      ['::ffff:198.51.100.0/120', '::/8'],
      ['fe80::/64', 'fe80::/10'],
      ['fd00::/8', 'fc00::/7'],
    ])('refuses %s (overlaps %s), naming the field', async (prefix, block) => {
      const res = await request(api.url)
        .post(POOLS)
        .send(pool('bad', ['198.51.100.0/31', prefix]));
      expect(res.status).toBe(422);
      expect(res.body.details.causes).toEqual([
        expect.objectContaining({ field: 'spec.prefixes[1]', reason: 'FieldValueInvalid' }),
      ]);
      expect(res.body.details.causes[0].message).toContain(`overlaps ${block}`);
    });

    it('accepts the documentation ranges the defaults use', async () => {
      const res = await request(api.url)
        .post(POOLS)
        .send(pool('docs', ['203.0.113.0/28', '2001:db8::/120']));
      expect(res.status).toBe(201);
    });

    it('never lets two concurrent creates of overlapping prefixes both in', async () => {
      const pairs = 8;
      const results = await Promise.all(
        Array.from({ length: pairs }, (_, i) => [
          request(api.url)
            .post(POOLS)
            .send(pool(`race-${i}-a`, [`8.8.${i}.0/24`])),
          request(api.url)
            .post(POOLS)
            .send(pool(`race-${i}-b`, [`8.8.${i}.128/25`])),
        ]).flat(),
      );
      for (let i = 0; i < pairs; i++) {
        const statuses = [results[2 * i].status, results[2 * i + 1].status].sort();
        expect(statuses).toEqual([201, 422]);
      }
      // The oracle: no two pools hold addresses of the same 8.8.i.0/24.
      const list = await request(api.url).get(POOLS);
      for (let i = 0; i < pairs; i++) {
        const holders = (list.body.items as Array<{ spec: { prefixes: string[] } }>).filter((p) =>
          p.spec.prefixes.some((c) => c.startsWith(`8.8.${i}.`)),
        );
        expect(holders).toHaveLength(1);
      }
    });
  });

  describe('Host header without tokens', () => {
    it.each(['localhost', 'localhost:8080', '127.0.0.1', '[::1]:8080'])(
      'serves Host %s',
      async (host) => {
        const res = await request(api.url).get(`${API}/natgateways`).set('Host', host);
        expect(res.status).toBe(200);
      },
    );

    it.each(['evil.example', 'evil.example:8080', 'localhost.evil.example', '192.0.2.1'])(
      'refuses Host %s (DNS rebinding) with a 403 saying why',
      async (host) => {
        const res = await request(api.url).get(`${API}/natgateways`).set('Host', host);
        expect(res.status).toBe(403);
        expect(res.body.message).toContain('serves only requests addressed to this machine');
        const write = await request(api.url)
          .post(`${API}/namespaces/default/networks`)
          .set('Host', host)
          .send({ metadata: { name: 'rebound' } });
        expect(write.status).toBe(403);
      },
    );
  });
});

describe('force-finalize (admins, allocator down)', () => {
  let api: TestApi;
  const ADMIN = 'Bearer admin-token-0123456789';
  const TENANT = 'Bearer tenant-token-0123456789';
  const GW = `${API}/namespaces/default/natgateways`;

  beforeAll(async () => {
    api = await startTestApi('api_hostile_finalize', {
      tokensYaml: `
tokens:
  - token: admin-token-0123456789
    user: root-admin
    namespaces: "*"
    verbs: [read, write]
  - token: tenant-token-0123456789
    user: tenant
    namespaces: [default]
    verbs: [read, write]
`,
    });
    expect(
      (
        await request(api.url)
          .post(POOLS)
          .set('Authorization', ADMIN)
          .send(pool('fin', ['198.51.100.0/30']))
      ).status,
    ).toBe(201);
    expect(
      (
        await request(api.url)
          .post(`${API}/namespaces/default/networks`)
          .set('Authorization', TENANT)
          .send({ metadata: { name: 'net' } })
      ).status,
    ).toBe(201);
  });

  afterAll(async () => {
    await api?.close();
  });

  /** Does what the allocator would: claims an address for the gateway and assigns it. */
  async function allocateLikeTheAllocator(uid: string): Promise<string> {
    const poolEvents = await api.store.readStream('ippool:fin');
    const poolState = foldPool(initialIpPoolState(), poolEvents as unknown as IpPoolEvent[]);
    const input = {
      uid,
      namespace: 'default',
      name: 'gw-stuck',
      networkName: 'net',
      ipFamily: 'IPv4' as const,
      portsPerNetworkInterface: 64,
      createdAt: '2026-12-07T10:00:00Z',
    };
    const nic = {
      uid: '66666666-6666-4666-8666-000000000001',
      namespace: 'default',
      name: 'nic-1',
      networkName: 'net',
      ips: ['10.0.0.1'],
      nodeName: 'node-1',
      createdAt: '2026-12-07T10:00:00Z',
    };
    const plan = planAllocation({
      gateway: input,
      nics: eligibleNicsForGateway(input, [input], [nic]),
      current: initialAllocationState(),
      bounds: { minPublicIPs: 1, maxPublicIPs: 1 },
      freeIps: ['198.51.100.1'],
      existingNicUids: new Set([nic.uid]),
    });
    const meta = { source: '/natgw/allocator' };
    const claims = decidePool(
      { type: 'ClaimIp', gatewayUid: uid, family: 'IPv4', ip: '198.51.100.1' },
      poolState,
    );
    await api.store.append(
      'ippool:fin',
      claims.map((e) => ({ ...e, metadata: meta })),
      {
        expectedVersion: poolEvents.length,
      },
    );
    const events = decideAllocation(
      { type: 'ApplyAllocationPlan', plan },
      initialAllocationState(),
    );
    await api.store.append(
      `allocation:${uid}`,
      events.map((e) => ({ ...e, metadata: meta })),
    );
    return '198.51.100.1';
  }

  it('lets an admin end a stuck deletion, releases what the gateway held, and records who did it', async () => {
    const created = await request(api.url)
      .post(GW)
      .set('Authorization', TENANT)
      .send(gateway('gw-stuck'));
    expect(created.status).toBe(201);
    const uid = created.body.metadata.uid as string;
    await allocateLikeTheAllocator(uid);
    const usedBefore = await request(api.url).get(`${POOLS}/fin`).set('Authorization', ADMIN);
    expect(usedBefore.body.status.prefixes[0].used).toBe(1);

    // Not being deleted yet: nothing to finalize.
    const early = await request(api.url)
      .post(`${GW}/gw-stuck/finalize`)
      .set('Authorization', ADMIN);
    expect(early.status).toBe(409);

    const del = await request(api.url).delete(`${GW}/gw-stuck`).set('Authorization', TENANT);
    expect(del.status).toBe(200);
    expect(del.body.metadata.deletionTimestamp).toBeDefined();

    // The allocator is not running: the object stays. A tenant may not force it.
    const tenant = await request(api.url)
      .post(`${GW}/gw-stuck/finalize`)
      .set('Authorization', TENANT);
    expect(tenant.status).toBe(403);
    expect(tenant.body.message).toContain('admins only');
    const wrongVerb = await request(api.url)
      .put(`${GW}/gw-stuck/finalize`)
      .set('Authorization', ADMIN)
      .send({});
    expect(wrongVerb.status).toBe(405);
    const badBody = await request(api.url)
      .post(`${GW}/gw-stuck/finalize`)
      .set('Authorization', ADMIN)
      .send({ reason: 5 });
    expect(badBody.status).toBe(400);

    const forced = await request(api.url)
      .post(`${GW}/gw-stuck/finalize`)
      .set('Authorization', ADMIN)
      .send({ reason: 'allocator down since 10:00 (INC-42)' });
    expect(forced.status).toBe(200);
    expect(forced.body).toMatchObject({ status: 'Success', details: { uid } });

    expect((await request(api.url).get(`${GW}/gw-stuck`).set('Authorization', ADMIN)).status).toBe(
      404,
    );
    const usedAfter = await request(api.url).get(`${POOLS}/fin`).set('Authorization', ADMIN);
    expect(usedAfter.body.status.prefixes[0].used).toBe(0);

    const stream = await api.store.readStream(
      resourceStreamId('NATGateway', 'default', 'gw-stuck'),
    );
    const last = stream[stream.length - 1];
    expect(last.type).toBe('NATGatewayDeleted');
    expect(last.data).toEqual({
      uid,
      forced: { by: 'root-admin', reason: 'allocator down since 10:00 (INC-42)' },
    });
    expect(last.metadata).toMatchObject({ actor: 'root-admin' });
    const allocation = await api.store.readStream(`allocation:${uid}`);
    expect(allocation.map((e) => e.type)).toContain('AllocationClosed');

    // Done: a second finalize finds nothing.
    const again = await request(api.url)
      .post(`${GW}/gw-stuck/finalize`)
      .set('Authorization', ADMIN);
    expect(again.status).toBe(404);
  });

  it('refuses kinds without finalizers', async () => {
    const res = await request(api.url)
      .post(`${API}/namespaces/default/networks/net/finalize`)
      .set('Authorization', ADMIN);
    expect(res.status).toBe(405);
  });
});
