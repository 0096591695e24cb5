import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { API, startTestApi, TestApi } from './api-test-app';

jest.setTimeout(120_000);

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

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
  - tokenSha256: ${sha256('viewer-token-0123456789')}
    user: viewer
    namespaces: [team-a]
    verbs: [read]
`;

const network = (name: string) => ({ metadata: { name } });

describe('api-gateway authentication and authorization', () => {
  let api: TestApi;
  const as = (token?: string) => {
    const agent = request(api.url);
    const auth = (r: request.Test) => (token ? r.set('Authorization', `Bearer ${token}`) : r);
    return {
      get: (path: string) => auth(agent.get(path)),
      post: (path: string, body: object) => auth(agent.post(path)).send(body),
      put: (path: string, body: object) => auth(agent.put(path)).send(body),
      patch: (path: string, body: object) =>
        auth(agent.patch(path)).set('Content-Type', 'application/merge-patch+json').send(body),
      delete: (path: string) => auth(agent.delete(path)),
    };
  };

  beforeAll(async () => {
    api = await startTestApi('api_auth', { tokensYaml: TOKENS });
    expect(
      (await as('admin-token-0123456789').post(`${API}/namespaces/team-a/networks`, network('a1')))
        .status,
    ).toBe(201);
    expect(
      (await as('admin-token-0123456789').post(`${API}/namespaces/team-b/networks`, network('b1')))
        .status,
    ).toBe(201);
  });

  afterAll(async () => {
    await api?.close();
  });

  // [who, token, method, path, expected status]
  const MATRIX: Array<
    [string, string | undefined, 'get' | 'post' | 'put' | 'patch' | 'delete', string, number]
  > = [
    ['no token', undefined, 'get', `${API}/namespaces/team-a/networks`, 401],
    ['no token', undefined, 'post', `${API}/namespaces/team-a/networks`, 401],
    ['unknown token', 'nope', 'get', `${API}/namespaces/team-a/networks/a1`, 401],
    ['unknown token', 'alice-token-012345678', 'get', `${API}/namespaces/team-a/networks/a1`, 401],
    [
      'alice, her namespace',
      'alice-token-0123456789',
      'get',
      `${API}/namespaces/team-a/networks/a1`,
      200,
    ],
    [
      'alice, her namespace',
      'alice-token-0123456789',
      'post',
      `${API}/namespaces/team-a/networks`,
      201,
    ],
    [
      'alice, her namespace',
      'alice-token-0123456789',
      'patch',
      `${API}/namespaces/team-a/networks/a1`,
      200,
    ],
    [
      'alice, wrong namespace',
      'alice-token-0123456789',
      'get',
      `${API}/namespaces/team-b/networks/b1`,
      403,
    ],
    [
      'alice, wrong namespace',
      'alice-token-0123456789',
      'get',
      `${API}/namespaces/team-b/networks`,
      403,
    ],
    [
      'alice, wrong namespace',
      'alice-token-0123456789',
      'post',
      `${API}/namespaces/team-b/networks`,
      403,
    ],
    [
      'alice, wrong namespace',
      'alice-token-0123456789',
      'delete',
      `${API}/namespaces/team-b/networks/b1`,
      403,
    ],
    ['alice, all namespaces', 'alice-token-0123456789', 'get', `${API}/networks`, 403],
    ['viewer reads', 'viewer-token-0123456789', 'get', `${API}/namespaces/team-a/networks`, 200],
    [
      'viewer reads',
      'viewer-token-0123456789',
      'get',
      `${API}/namespaces/team-a/networks/a1/status`,
      200,
    ],
    ['viewer writes', 'viewer-token-0123456789', 'post', `${API}/namespaces/team-a/networks`, 403],
    [
      'viewer writes',
      'viewer-token-0123456789',
      'put',
      `${API}/namespaces/team-a/networks/a1`,
      403,
    ],
    [
      'viewer writes',
      'viewer-token-0123456789',
      'patch',
      `${API}/namespaces/team-a/networks/a1`,
      403,
    ],
    [
      'viewer writes',
      'viewer-token-0123456789',
      'delete',
      `${API}/namespaces/team-a/networks/a1`,
      403,
    ],
    [
      'viewer, wrong namespace',
      'viewer-token-0123456789',
      'get',
      `${API}/namespaces/team-b/networks`,
      403,
    ],
    ['admin, all namespaces', 'admin-token-0123456789', 'get', `${API}/networks`, 200],
    // Discovery and the Kubernetes OpenAPI documents: every known token, whatever its grant.
    ['no token', undefined, 'get', '/apis', 401],
    ['no token', undefined, 'get', '/openapi/v3', 401],
    ['unknown token', 'nope', 'get', API, 401],
    ['viewer discovers', 'viewer-token-0123456789', 'get', '/api', 200],
    ['viewer discovers', 'viewer-token-0123456789', 'get', '/apis', 200],
    ['viewer discovers', 'viewer-token-0123456789', 'get', API, 200],
    ['viewer discovers', 'viewer-token-0123456789', 'get', '/openapi/v3', 200],
    [
      'viewer discovers',
      'viewer-token-0123456789',
      'get',
      '/openapi/v3/apis/networking.ironcore.dev/v1alpha1',
      200,
    ],
    [
      'alice, cluster-scoped IPPools',
      'alice-token-0123456789',
      'get',
      '/apis/natgw.ironcore.dev/v1alpha1/ippools',
      403,
    ],
    [
      'admin, any namespace',
      'admin-token-0123456789',
      'get',
      `${API}/namespaces/team-b/networks/b1`,
      200,
    ],
  ];

  it.each(MATRIX)('%s: %s %s %s -> %i', async (_who, token, method, path, status) => {
    const client = as(token);
    const body = network(`n-${Math.random().toString(36).slice(2, 8)}`);
    const res =
      method === 'get' || method === 'delete'
        ? await client[method](path)
        : method === 'patch'
          ? await client.patch(path, { metadata: { labels: { x: 'y' } } })
          : await client[method](
              path,
              method === 'put' ? { ...body, metadata: { name: 'a1' } } : body,
            );
    expect(res.status).toBe(status);
    if (status === 401) {
      expect(res.body).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
      expect(res.headers['www-authenticate']).toBe('Bearer realm="natgw"');
    }
    if (status === 403)
      expect(res.body).toMatchObject({ kind: 'Status', reason: 'Forbidden', code: 403 });
    if (token) expect(JSON.stringify(res.body)).not.toContain(token);
  });

  // NATGatewayQuotas (admin group, namespaced): the namespace's tokens read them, only a
  // "*" token writes them, and a quota binds every token, the admin's too.
  const QUOTAS = '/apis/natgw.ironcore.dev/v1alpha1';
  const quotaBody = (name: string, hard: object = { natgateways: 0 }) => ({
    metadata: { name },
    spec: { hard },
  });
  const gatewayBody = (name: string) => ({
    metadata: { name },
    spec: { type: 'Public', ipFamily: 'IPv4', networkRef: { name: 'a1' } },
  });
  const QUOTA_MATRIX: Array<
    [
      string,
      string | undefined,
      'get' | 'post' | 'put' | 'patch' | 'delete',
      string,
      object,
      number,
    ]
  > = [
    ['no token', undefined, 'get', `${QUOTAS}/namespaces/team-a/natgatewayquotas`, {}, 401],
    [
      'admin creates',
      'admin-token-0123456789',
      'post',
      `${QUOTAS}/namespaces/team-a/natgatewayquotas`,
      quotaBody('extra', { networkinterfaces: 100 }),
      201,
    ],
    [
      'alice reads',
      'alice-token-0123456789',
      'get',
      `${QUOTAS}/namespaces/team-a/natgatewayquotas/gateways`,
      {},
      200,
    ],
    [
      'viewer reads',
      'viewer-token-0123456789',
      'get',
      `${QUOTAS}/namespaces/team-a/natgatewayquotas`,
      {},
      200,
    ],
    [
      'alice creates',
      'alice-token-0123456789',
      'post',
      `${QUOTAS}/namespaces/team-a/natgatewayquotas`,
      quotaBody('mine'),
      403,
    ],
    [
      'alice raises',
      'alice-token-0123456789',
      'put',
      `${QUOTAS}/namespaces/team-a/natgatewayquotas/gateways`,
      quotaBody('gateways', { natgateways: 9 }),
      403,
    ],
    [
      'alice raises',
      'alice-token-0123456789',
      'patch',
      `${QUOTAS}/namespaces/team-a/natgatewayquotas/gateways`,
      { spec: { hard: { natgateways: 9 } } },
      403,
    ],
    [
      'alice deletes',
      'alice-token-0123456789',
      'delete',
      `${QUOTAS}/namespaces/team-a/natgatewayquotas/gateways`,
      {},
      403,
    ],
    [
      'alice, wrong namespace',
      'alice-token-0123456789',
      'get',
      `${QUOTAS}/namespaces/team-b/natgatewayquotas`,
      {},
      403,
    ],
    [
      'alice, all namespaces',
      'alice-token-0123456789',
      'get',
      `${QUOTAS}/natgatewayquotas`,
      {},
      403,
    ],
    [
      'admin, all namespaces',
      'admin-token-0123456789',
      'get',
      `${QUOTAS}/natgatewayquotas`,
      {},
      200,
    ],
    [
      'alice over quota',
      'alice-token-0123456789',
      'post',
      `${API}/namespaces/team-a/natgateways`,
      gatewayBody('gw-alice'),
      403,
    ],
    [
      'admin over quota',
      'admin-token-0123456789',
      'post',
      `${API}/namespaces/team-a/natgateways`,
      gatewayBody('gw-admin'),
      403,
    ],
    [
      'admin, no quota there',
      'admin-token-0123456789',
      'post',
      `${API}/namespaces/team-b/natgateways`,
      gatewayBody('gw-b'),
      201,
    ],
  ];

  describe('NATGatewayQuotas', () => {
    beforeAll(async () => {
      const res = await as('admin-token-0123456789').post(
        `${QUOTAS}/namespaces/team-a/natgatewayquotas`,
        quotaBody('gateways'),
      );
      expect(res.status).toBe(201);
    });

    it.each(QUOTA_MATRIX)(
      '%s: %s %s %s %j -> %i',
      async (_who, token, method, path, body, status) => {
        const client = as(token);
        const res =
          method === 'get' || method === 'delete'
            ? await client[method](path)
            : await client[method](path, body);
        expect(res.status).toBe(status);
        if (status === 403) {
          expect(res.body).toMatchObject({ kind: 'Status', reason: 'Forbidden', code: 403 });
          expect(res.body.message).toMatch(
            path.includes('natgatewayquotas')
              ? /is forbidden: User "\w+"/
              : /exceeded quota: gateways, requested: natgateways=1, used: natgateways=0, limited: natgateways=0/,
          );
        }
      },
    );
  });

  it('records the authenticated user as the actor of the events', async () => {
    await as('alice-token-0123456789').post(
      `${API}/namespaces/team-a/networks`,
      network('by-alice'),
    );
    const [created] = await api.store.readStream('network:team-a/by-alice');
    expect(created.metadata.actor).toBe('alice');
  });

  it("words a 403 like the Kubernetes authorizer, so kubectl shows it as it shows the API server's", async () => {
    const res = await as('viewer-token-0123456789').post(
      `${API}/namespaces/team-a/networks`,
      network('n-viewer'),
    );
    expect(res.body.message).toBe(
      'networks.networking.ironcore.dev is forbidden: User "viewer" cannot create resource "networks" in API group "networking.ironcore.dev" in the namespace "team-a": its token grants read only, not write',
    );
    const other = await as('alice-token-0123456789').get(`${API}/namespaces/team-b/networks/b1`);
    expect(other.body.message).toBe(
      'networks.networking.ironcore.dev "b1" is forbidden: User "alice" cannot get resource "networks" in API group "networking.ironcore.dev" in the namespace "team-b": its token grants the namespaces team-a only',
    );
  });

  it('keeps /healthz, /readyz, /version and the plain OpenAPI document open', async () => {
    for (const path of ['/healthz', '/readyz', '/version', '/openapi.json']) {
      expect([path, (await request(api.url).get(path)).status]).toEqual([path, 200]);
    }
  });
});

describe('api-gateway rate limits per token', () => {
  let api: TestApi;
  const get = (token: string | undefined, path: string) => {
    const r = request(api.url).get(path);
    return token ? r.set('Authorization', `Bearer ${token}`) : r;
  };

  beforeAll(async () => {
    api = await startTestApi('api_auth_rate', {
      tokensYaml: TOKENS,
      env: { RATE_LIMIT_QPS: '1', RATE_LIMIT_BURST: '3' },
    });
  });

  afterAll(async () => {
    await api?.close();
  });

  // [who, token, path, statuses of four requests in a row]
  const RATE_MATRIX: Array<[string, string | undefined, string, number[]]> = [
    // 401s are answered before any bucket: an unknown token cannot spend a real one's.
    [
      'unknown token',
      'alice-token-012345678',
      `${API}/namespaces/team-a/networks`,
      [401, 401, 401, 401],
    ],
    ['alice', 'alice-token-0123456789', `${API}/namespaces/team-a/networks`, [200, 200, 200, 429]],
    // Refused requests cost too: a token cannot probe without limit.
    [
      'viewer, wrong namespace',
      'viewer-token-0123456789',
      `${API}/namespaces/team-b/networks`,
      [403, 403, 403, 429],
    ],
    // Discovery counts as well.
    ['admin', 'admin-token-0123456789', '/apis', [200, 200, 200, 429]],
  ];

  it.each(RATE_MATRIX)('%s: GET %s x4 -> %j', async (_who, token, path, statuses) => {
    const seen: number[] = [];
    for (let i = 0; i < statuses.length; i++) {
      const res = await get(token, path);
      seen.push(res.status);
      if (res.status === 429) {
        expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
        expect(res.body).toMatchObject({ kind: 'Status', reason: 'TooManyRequests', code: 429 });
        if (token) expect(JSON.stringify(res.body)).not.toContain(token);
      }
    }
    expect(seen).toEqual(statuses);
  });
});

describe('api-gateway start-up rules', () => {
  const run = (env: Record<string, string>) =>
    spawnSync(process.execPath, ['scripts/run-ts.js', 'apps/api-gateway/src/main.ts'], {
      cwd: join(__dirname, '..', '..'),
      env: { PATH: process.env.PATH ?? '', ...env },
      encoding: 'utf8',
      timeout: 60_000,
    });

  it('refuses to bind beyond loopback without AUTH_TOKENS_FILE', () => {
    const r = run({ API_HOST: '0.0.0.0', API_PORT: '18471' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('API_HOST=0.0.0.0 is not a loopback address');
    expect(r.stderr).toContain('AUTH_TOKENS_FILE');
  });

  it('refuses a malformed tokens file, naming the entry but never the token', () => {
    const file = join(tmpdir(), `natgw-bad-tokens-${process.pid}.yaml`);
    writeFileSync(
      file,
      'tokens:\n  - token: s3cret-value\n    user: bob\n    namespaces: [Bad_NS]\n    verbs: [read, fly]\n',
    );
    const r = run({ AUTH_TOKENS_FILE: file, API_PORT: '18472' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('AUTH_TOKENS_FILE tokens[0].namespaces');
    expect(r.stderr).toContain('AUTH_TOKENS_FILE tokens[0].verbs');
    expect(r.stderr).not.toContain('s3cret-value');
  });
});
