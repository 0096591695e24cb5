import http from 'node:http';
import net from 'node:net';
import request from 'supertest';
import { eventually } from '@natgw/testing';
import { API, openWatch, startTestApi, TestApi, WatchStream } from './api-test-app';

jest.setTimeout(120_000);

const TOKENS = `
tokens:
  - token: admin-token-0123456789
    user: admin
    namespaces: "*"
    verbs: [read, write]
  - token: alice-token-0123456789
    user: alice
    namespaces: [team-a]
    verbs: [read, write]
  - token: bob-token-0123456789
    user: bob
    namespaces: [team-b]
    verbs: [read, write]
`;

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/**
 * Sends the head of a request that declares a large body, and only `sent` bytes of it; resolves
 * with the status line and whether the server answered before the body was complete.
 */
function sendHeadOnly(
  url: string,
  head: string[],
  declared: number,
  sent: number,
): Promise<{ statusLine: string; bodyHeaders: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => {
      socket.write(
        [...head, `Host: ${hostname}:${port}`, `Content-Length: ${declared}`, '', ''].join('\r\n'),
      );
      socket.write(Buffer.alloc(sent, 'x'));
    });
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer before the body; got ${JSON.stringify(received)}`));
    }, 15_000);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      received += chunk;
      const end = received.indexOf('\r\n\r\n');
      if (end >= 0) {
        clearTimeout(timer);
        socket.destroy();
        resolve({ statusLine: received.split('\r\n')[0], bodyHeaders: received.slice(0, end) });
      }
    });
    socket.on('error', reject);
  });
}

/** GET from a given loopback source address (each is its own anonymous client). */
function getFrom(url: string, localAddress: string): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { localAddress, agent: false }, (res) => {
      res.resume();
      resolve(res);
    });
    req.on('error', reject);
  });
}

describe('api-gateway per-client limits', () => {
  describe('rate limits (a token bucket per token)', () => {
    let api: TestApi;
    beforeAll(async () => {
      api = await startTestApi('api_limits_rate', {
        tokensYaml: TOKENS,
        env: { RATE_LIMIT_QPS: '1', RATE_LIMIT_BURST: '6', RATE_LIMIT_WRITE_COST: '3' },
      });
    });
    afterAll(async () => {
      await api?.close();
    });

    it('answers 429 with Retry-After and a Status past the burst, and keeps other tokens unaffected', async () => {
      const list = `${API}/namespaces/team-a/networks`;
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) {
        statuses.push(
          (await request(api.url).get(list).set(bearer('alice-token-0123456789'))).status,
        );
      }
      // 6 tokens at 1 per second: the first 6 (perhaps 7 on a slow machine) pass, the 8th does not.
      expect(statuses.slice(0, 6)).toEqual([200, 200, 200, 200, 200, 200]);
      expect(statuses[7]).toBe(429);
      const refused = await request(api.url).get(list).set(bearer('alice-token-0123456789'));
      expect(refused.status).toBe(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(refused.body).toMatchObject({
        kind: 'Status',
        status: 'Failure',
        reason: 'TooManyRequests',
        code: 429,
        details: { retryAfterSeconds: Number(refused.headers['retry-after']) },
      });
      expect(refused.body.message).toMatch(/too many requests from alice/);
      // Bob's bucket is his own.
      const bob = await request(api.url)
        .get(`${API}/namespaces/team-b/networks`)
        .set(bearer('bob-token-0123456789'));
      expect(bob.status).toBe(200);
    });

    it('charges a write RATE_LIMIT_WRITE_COST tokens: two writes empty a bucket of 6', async () => {
      const create = (name: string) =>
        request(api.url)
          .post(`${API}/namespaces/team-b/networks`)
          .set(bearer('bob-token-0123456789'))
          .send({ metadata: { name } });
      // Bob spent 1 above; wait until his bucket is full again (6 s at 1/s at most).
      await new Promise((r) => setTimeout(r, 6_500));
      expect((await create('w1')).status).toBe(201);
      expect((await create('w2')).status).toBe(201);
      const third = await create('w3');
      expect(third.status).toBe(429);
      expect(third.headers['retry-after']).toBeDefined();
      // Nothing was written for the refused request.
      const got = await request(api.url)
        .get(`${API}/namespaces/team-b/networks/w3`)
        .set(bearer('admin-token-0123456789'));
      expect(got.status).toBe(404);
    });

    it('refuses a throttled request before reading its body', async () => {
      // Spend Alice's bucket until she is refused.
      await eventually(
        async () =>
          (
            await request(api.url)
              .get(`${API}/namespaces/team-a/networks`)
              .set(bearer('alice-token-0123456789'))
          ).status === 429 || undefined,
        { what: "Alice's bucket to be empty" },
      );
      const answer = await sendHeadOnly(
        api.url,
        [
          `POST ${API}/namespaces/team-a/networks HTTP/1.1`,
          'Authorization: Bearer alice-token-0123456789',
          'Content-Type: application/json',
        ],
        50 * 1024 * 1024,
        1024,
      );
      expect(answer.statusLine).toMatch(/^HTTP\/1\.1 429 /);
      expect(answer.bodyHeaders).toMatch(/Retry-After: \d+/i);
    });
  });

  describe('anonymous clients (no tokens file) are limited per client IP', () => {
    let api: TestApi;
    beforeAll(async () => {
      api = await startTestApi('api_limits_anon', {
        env: { RATE_LIMIT_QPS: '1', RATE_LIMIT_BURST: '3' },
      });
    });
    afterAll(async () => {
      await api?.close();
    });

    it('gives each source address its own bucket', async () => {
      const url = `${api.url}${API}/namespaces/default/networks`;
      const first: number[] = [];
      for (let i = 0; i < 5; i++) first.push((await getFrom(url, '127.0.0.1')).statusCode ?? 0);
      expect(first.slice(0, 3)).toEqual([200, 200, 200]);
      expect(first[4]).toBe(429);
      expect((await getFrom(url, '127.0.0.2')).statusCode).toBe(200);
    });
  });

  describe('bodies are read only after authentication', () => {
    let api: TestApi;
    beforeAll(async () => {
      api = await startTestApi('api_limits_body', { tokensYaml: TOKENS });
    });
    afterAll(async () => {
      await api?.close();
    });

    it.each([
      ['no token', []],
      ['an unknown token', ['Authorization: Bearer not-a-token']],
    ])('answers 401 to %s while a 50 MiB body is still unsent', async (_who, auth) => {
      const answer = await sendHeadOnly(
        api.url,
        [
          `POST ${API}/namespaces/team-a/networks HTTP/1.1`,
          ...auth,
          'Content-Type: application/json',
        ],
        50 * 1024 * 1024,
        1024,
      );
      expect(answer.statusLine).toMatch(/^HTTP\/1\.1 401 /);
      expect(answer.bodyHeaders).toMatch(/Connection: close/i);
    });

    it('answers 403 to a token outside its namespace without reading the body', async () => {
      const answer = await sendHeadOnly(
        api.url,
        [
          `POST ${API}/namespaces/team-b/networks HTTP/1.1`,
          'Authorization: Bearer alice-token-0123456789',
          'Content-Type: application/json',
        ],
        50 * 1024 * 1024,
        0,
      );
      expect(answer.statusLine).toMatch(/^HTTP\/1\.1 403 /);
    });

    it('still reads and checks the body of an authorized request (413 past 1 MiB)', async () => {
      const big = await request(api.url)
        .post(`${API}/namespaces/team-a/networks`)
        .set(bearer('alice-token-0123456789'))
        .set('Content-Type', 'application/json')
        .send(`{"metadata":{"name":"big"},"x":"${'y'.repeat(1024 * 1024 + 10)}"}`);
      expect(big.status).toBe(413);
      const ok = await request(api.url)
        .post(`${API}/namespaces/team-a/networks`)
        .set(bearer('alice-token-0123456789'))
        .send({ metadata: { name: 'small' } });
      expect(ok.status).toBe(201);
    });
  });

  describe('open watches are capped per client and in total', () => {
    let api: TestApi;
    const watches: WatchStream[] = [];
    beforeAll(async () => {
      api = await startTestApi('api_limits_watch', {
        tokensYaml: TOKENS,
        env: { MAX_WATCHES_PER_CLIENT: '2', MAX_WATCHES_TOTAL: '3' },
      });
    });
    afterAll(async () => {
      for (const w of watches) w.close();
      await api?.close();
    });

    const watch = async (token: string, namespace: string) => {
      const w = await openWatch(
        api.url,
        `${API}/namespaces/${namespace}/networks?watch=true`,
        bearer(token),
      );
      watches.push(w);
      return w;
    };

    it('refuses a client past its share with 429, the server past its total with 503, and frees a slot when a watch ends', async () => {
      const a1 = await watch('alice-token-0123456789', 'team-a');
      const a2 = await watch('alice-token-0123456789', 'team-a');
      expect([a1.status, a2.status]).toEqual([200, 200]);
      const a3 = await request(api.url)
        .get(`${API}/namespaces/team-a/networks?watch=true`)
        .set(bearer('alice-token-0123456789'));
      expect(a3.status).toBe(429);
      expect(a3.headers['retry-after']).toBeDefined();
      expect(a3.body.message).toMatch(/MAX_WATCHES_PER_CLIENT/);
      const b1 = await watch('bob-token-0123456789', 'team-b');
      expect(b1.status).toBe(200);
      const b2 = await request(api.url)
        .get(`${API}/namespaces/team-b/networks?watch=true`)
        .set(bearer('bob-token-0123456789'));
      expect(b2.status).toBe(503);
      expect(b2.headers['retry-after']).toBeDefined();
      expect(b2.body.message).toMatch(/MAX_WATCHES_TOTAL/);
      // Lists are not watches: they still pass.
      expect(
        (
          await request(api.url)
            .get(`${API}/namespaces/team-a/networks`)
            .set(bearer('alice-token-0123456789'))
        ).status,
      ).toBe(200);
      a1.close();
      await eventually(
        async () => {
          const again = await openWatch(
            api.url,
            `${API}/namespaces/team-a/networks?watch=true`,
            bearer('alice-token-0123456789'),
          );
          watches.push(again);
          return again.status === 200 ? again : undefined;
        },
        { what: 'a watch slot freed by the closed watch', timeoutMs: 20_000 },
      );
    });
  });

  describe('list limit and public IP bounds', () => {
    let api: TestApi;
    beforeAll(async () => {
      api = await startTestApi('api_limits_list', {
        env: { MAX_LIST_LIMIT: '3', MAX_PUBLIC_IPS_PER_GATEWAY: '8' },
      });
      for (let i = 0; i < 5; i++) {
        const res = await request(api.url)
          .post(`${API}/namespaces/default/networks`)
          .send({ metadata: { name: `n${i}` } });
        expect(res.status).toBe(201);
      }
    });
    afterAll(async () => {
      await api?.close();
    });

    it('clamps a larger limit to MAX_LIST_LIMIT, with a continue token that reaches every item', async () => {
      const first = await request(api.url).get(`${API}/namespaces/default/networks?limit=1000`);
      expect(first.status).toBe(200);
      expect(first.body.items).toHaveLength(3);
      expect(first.body.metadata.continue).toEqual(expect.any(String));
      const rest = await request(api.url).get(
        `${API}/namespaces/default/networks?limit=1000&continue=${encodeURIComponent(first.body.metadata.continue)}`,
      );
      expect(rest.body.items).toHaveLength(2);
      expect(rest.body.metadata.continue).toBeUndefined();
      const names = [...first.body.items, ...rest.body.items].map(
        (o: { metadata: { name: string } }) => o.metadata.name,
      );
      expect(names.sort()).toEqual(['n0', 'n1', 'n2', 'n3', 'n4']);
      // A smaller limit is the client's.
      const two = await request(api.url).get(`${API}/namespaces/default/networks?limit=2`);
      expect(two.body.items).toHaveLength(2);
      // Without a limit the list is whole, as the apiserver's.
      const all = await request(api.url).get(`${API}/namespaces/default/networks`);
      expect(all.body.items).toHaveLength(5);
    });

    it.each([
      ['minPublicIPs', { minPublicIPs: 9, maxPublicIPs: 9 }, 2],
      ['maxPublicIPs', { maxPublicIPs: 2_147_483_647 }, 1],
    ])(
      'refuses %s above MAX_PUBLIC_IPS_PER_GATEWAY with 422 naming the field',
      async (field, bounds, causes) => {
        const res = await request(api.url)
          .post(`${API}/namespaces/default/natgatewayautoscalers`)
          .send({
            metadata: { name: `too-many-${field.toLowerCase()}` },
            spec: { natGatewayRef: { name: 'gw' }, ...bounds },
          });
        expect(res.status).toBe(422);
        expect(res.body.reason).toBe('Invalid');
        expect(res.body.details.causes).toHaveLength(causes);
        expect(res.body.details.causes).toContainEqual({
          field: `spec.${field}`,
          reason: 'FieldValueInvalid',
          message: expect.stringMatching(/must be less than or equal to 8/),
        });
      },
    );

    it('accepts bounds at the cap', async () => {
      const res = await request(api.url)
        .post(`${API}/namespaces/default/natgatewayautoscalers`)
        .send({
          metadata: { name: 'at-cap' },
          spec: { natGatewayRef: { name: 'gw' }, minPublicIPs: 8, maxPublicIPs: 8 },
        });
      expect(res.status).toBe(201);
      const patched = await request(api.url)
        .patch(`${API}/namespaces/default/natgatewayautoscalers/at-cap`)
        .set('Content-Type', 'application/merge-patch+json')
        .send({ spec: { maxPublicIPs: 9 } });
      expect(patched.status).toBe(422);
      expect(patched.body.details.causes[0].field).toBe('spec.maxPublicIPs');
    });
  });
});
