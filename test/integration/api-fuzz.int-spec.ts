import http from 'node:http';
import fc from 'fast-check';
import request from 'supertest';
import { API, startTestApi, TestApi } from './api-test-app';

jest.setTimeout(600_000);

interface FuzzRequest {
  method: string;
  path: string;
  contentType?: string;
  body?: Buffer;
  host?: string;
}

interface FuzzResponse {
  status: number;
  contentType: string;
  body: string;
}

const WEIRD = [
  '%ZZ',
  '%00',
  '..',
  '%2F',
  '%',
  '*',
  'a'.repeat(300),
  '%E0%A4%A',
  'Ä',
  'natgateways',
  'default',
  'status',
  'nattable',
  '',
];
const PLURALS = ['natgateways', 'networks', 'networkinterfaces', 'natgatewayautoscalers'];
const POOLS = '/apis/natgw.ironcore.dev/v1alpha1/ippools';

// Issue 13's shapes: inputs that once stalled the event loop or answered 500.
// Spaces are sent percent-encoded (3 bytes each) and Node answers 431 past 16 KiB of
// request line and headers, so each stays under ~4 KB on the wire.
const HOSTILE_SELECTORS = [
  `metadata.name=${' '.repeat(1200)}!`, // cubic backtracking in the old field-selector regex
  `metadata.name${' '.repeat(600)}=${' '.repeat(600)}x=`,
  `a in ${'('.repeat(3000)}`,
  'a,'.repeat(2050), // past the 4096-character cap
  '!='.repeat(1500),
];
/** A JSON patch that copies metadata into itself 20 times: 2^20 copies without a budget. */
const DOUBLING_PATCH = JSON.stringify(
  Array.from({ length: 20 }, (_, i) => ({
    op: 'copy',
    from: '/metadata',
    path: `/metadata/${String.fromCharCode(97 + i)}`,
  })),
);
const ALIAS_BOMB = [
  'a: &a ["x","x","x","x","x","x","x","x","x"]',
  ...Array.from({ length: 8 }, (_, i) => {
    const [prev, name] = [String.fromCharCode(97 + i), String.fromCharCode(98 + i)];
    return `${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`;
  }),
].join('\n');
const wideObject = (keys: number, nameLength: number) =>
  JSON.stringify(
    Object.fromEntries(
      Array.from({ length: keys }, (_, i) => [`k${i}-`.padEnd(nameLength, 'z'), i]),
    ),
  );
const QUERY_KEYS = [
  'limit',
  'continue',
  'resourceVersion',
  'labelSelector',
  'fieldSelector',
  'dryRun',
  'fieldValidation',
  'watch',
  'timeoutSeconds',
  'allowWatchBookmarks',
  'x',
];
const CONTENT_TYPES = [
  'application/json',
  'application/yaml',
  'application/merge-patch+json',
  'application/json-patch+json',
  'application/apply-patch+yaml',
  'application/strategic-merge-patch+json',
  'text/plain',
  'application/json; charset=latin1',
  'multipart/form-data; boundary=x',
  ';;;',
];

/** Percent-encodes whatever may not appear raw in a request target. */
const target = (s: string) =>
  Array.from(Buffer.from(s, 'utf8'))
    .map((b) =>
      b > 0x20 && b < 0x7f && b !== 0x23
        ? String.fromCharCode(b)
        : `%${b.toString(16).padStart(2, '0')}`,
    )
    .join('');

const segment = fc.oneof(
  fc.constantFrom(...WEIRD),
  fc.string({ maxLength: 20 }),
  fc.constantFrom('default', 'gw', 'net-1'),
);

const path = fc.oneof(
  fc
    .tuple(
      segment,
      fc.constantFrom(...PLURALS),
      fc.option(segment, { nil: undefined }),
      fc.option(segment, { nil: undefined }),
    )
    .map(
      ([ns, plural, name, sub]) =>
        `${API}/namespaces/${target(ns)}/${plural}${name !== undefined ? `/${target(name)}` : ''}${name !== undefined && sub !== undefined ? `/${target(sub)}` : ''}`,
    ),
  fc
    .tuple(fc.constantFrom(...PLURALS, 'widgets'), segment)
    .map(([p, s]) => `${API}/${p}/${target(s)}`),
  fc.array(segment, { maxLength: 6 }).map((segs) => `/${segs.map(target).join('/')}`),
  fc.constantFrom(
    '/apis',
    '/api',
    '/apis/networking.ironcore.dev',
    `${API}`,
    '/healthz/x',
    '/openapi/v3/x',
    POOLS,
    `${API}/namespaces/default/natgateways/gw/finalize`,
  ),
  segment.map((s) => `${POOLS}/${target(s)}`),
  fc.constantFrom(`${POOLS}/%00`, `${POOLS}/a%00b`, `${POOLS}/x/y`),
);

const query = fc
  .array(
    fc.tuple(
      fc.constantFrom(...QUERY_KEYS),
      fc.oneof(
        segment,
        fc.constantFrom(
          'true',
          '0',
          '-1',
          'All',
          'Strict',
          '99999999999999999999',
          '9999999999999999999',
          '9223372036854775808',
          'app in (a',
          'a=b',
          ...HOSTILE_SELECTORS,
        ),
      ),
    ),
    { maxLength: 4 },
  )
  .map((pairs) => {
    // A watch that starts streams until it times out: bound it.
    const bounded = pairs.some(([k, v]) => k === 'watch' && v === 'true')
      ? [...pairs, ['timeoutSeconds', '1']]
      : pairs;
    return bounded.length === 0 ? '' : `?${bounded.map(([k, v]) => `${k}=${target(v)}`).join('&')}`;
  });

const validGateway = {
  apiVersion: 'networking.ironcore.dev/v1alpha1',
  kind: 'NATGateway',
  metadata: { name: 'gw', labels: { a: 'b' } },
  spec: {
    type: 'Public',
    ipFamily: 'IPv4',
    portsPerNetworkInterface: 64,
    networkRef: { name: 'net' },
  },
};

/** A valid object with one value replaced by anything JSON can hold. */
const mutated = fc
  .tuple(
    fc.constantFrom(
      'metadata',
      'metadata.name',
      'metadata.labels',
      'spec',
      'spec.type',
      'spec.portsPerNetworkInterface',
      'spec.networkRef',
      'spec.networkRef.name',
      'kind',
      'apiVersion',
      'status',
      'spec.ips',
      '__proto__',
      'metadata.constructor',
    ),
    fc.jsonValue({ maxDepth: 3 }),
  )
  .map(([at, value]) => {
    const copy = JSON.parse(JSON.stringify(validGateway));
    const keys = at.split('.');
    let o = copy;
    for (const k of keys.slice(0, -1)) o = o[k] ?? (o[k] = {});
    o[keys[keys.length - 1]] = value;
    return JSON.stringify(copy).replace('"__proto__"', '"__proto__"');
  });

const garbled = fc
  .tuple(fc.constant(JSON.stringify(validGateway)), fc.nat(300), fc.nat(255), fc.boolean())
  .map(([s, at, byte, truncate]) => {
    const b = Buffer.from(s);
    if (truncate) return b.subarray(0, at % b.length).toString('latin1');
    b[at % b.length] = byte;
    return b.toString('latin1');
  });

const body = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? ''),
  mutated,
  garbled,
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')),
  fc.constantFrom(
    'a: &a [*a, *a]\nb: &b [*a, *a]\nc: [*b, *b, *b, *b]',
    '!!binary aGVsbG8=',
    '---\na: 1\n---\nb: 2',
    '{"metadata": {"name": "x"}, "spec": {"type": "Public"}, "metadata": 5}',
    '[{"op": "add", "path": "/__proto__/x", "value": 1}]',
    '[{"op": "replace", "path": "", "value": 5}]',
    '{"__proto__": {"polluted": true}}',
    '{"metadata": {"name": "gw", "annotations": {"a": "\\u0000"}}, "spec": {}}',
    '[{"op": "add", "path": "/metadata/labels/x", "value": "\\u0000"}]',
    `${'['.repeat(5000)}${']'.repeat(5000)}`,
    `${'a:\n '.repeat(2000)}b`,
    '',
    DOUBLING_PATCH,
    ALIAS_BOMB,
    `[${'0,'.repeat(100_000)}0]`, // 100,001 YAML nodes
    `${Array.from({ length: 3000 }, (_, i) => `k${i}: v`).join('\n')}\nk0: dup`,
    '{"metadata":{"name":"gw","annotations":{"a":"\\ud800"}},"spec":{}}',
    '{"metadata":{"name":"gw","annotations":{"\\udc00":"x"}},"spec":{}}',
    '{"metadata":{"name":"gw","resourceVersion":"9999999999999999999"},"spec":{}}',
    '{"metadata":{"name":"gw"},"spec":{},"ключ":1,"\\u0007":2}',
    wideObject(1500, 8), // more keys than an object may have
    wideObject(999, 300), // the most keys, long names: the error must stay small
    '{"metadata":{"name":"p"},"spec":{"prefixes":["0.0.0.0/0","::ffff:10.0.0.0/104","fe80::/10"]}}',
  ),
);

const anyRequest = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'),
  path: fc.tuple(path, query).map(([p, q]) => p + q),
  contentType: fc.option(fc.constantFrom(...CONTENT_TYPES), { nil: undefined }),
  body: fc.option(body, { nil: undefined }),
});

/** Writes to real objects, so bodies reach decoding, patching and validation. */
const bodyRequest = fc
  .tuple(
    fc.constantFrom(...PLURALS),
    fc.constantFrom('POST', 'PUT', 'PATCH', 'DELETE'),
    query,
    body,
  )
  .chain(([plural, method, q, b]) =>
    fc.record({
      method: fc.constant(method),
      path: fc.constant(`${API}/namespaces/default/${plural}${method === 'POST' ? '' : '/gw'}${q}`),
      contentType: fc.option(
        fc.constantFrom(
          ...CONTENT_TYPES.slice(0, 4),
          ...CONTENT_TYPES.slice(0, 4),
          ...CONTENT_TYPES,
        ),
        { nil: undefined, freq: 8 },
      ),
      body: fc.constant(b),
    }),
  );

/** Reads with random query strings. */
const queryRequest = fc.record({
  method: fc.constant('GET'),
  path: fc
    .tuple(
      fc.constantFrom(
        ...PLURALS.map((p) => `${API}/namespaces/default/${p}`),
        `${API}/natgateways`,
      ),
      query,
    )
    .map(([p, q]) => p + q),
  contentType: fc.constant(undefined),
  body: fc.constant(undefined),
});

const fuzzRequest = fc.oneof(
  { arbitrary: bodyRequest, weight: 5 },
  { arbitrary: queryRequest, weight: 2 },
  { arbitrary: anyRequest, weight: 3 },
);

function send(base: string, r: FuzzRequest): Promise<FuzzResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = {};
    if (r.contentType) headers['Content-Type'] = r.contentType;
    if (r.host) headers.Host = r.host;
    if (r.body) headers['Content-Length'] = r.body.length;
    const req = http.request(`${base}${r.path}`, { method: r.method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: String(res.headers['content-type'] ?? ''),
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(r.body);
  });
}

describe('api-gateway fuzz', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi('api_fuzz');
    await request(api.url).post(`${API}/namespaces/default/natgateways`).send(validGateway);
    await request(api.url)
      .post(`${API}/namespaces/default/networks`)
      .send({ metadata: { name: 'net-1' } });
  });

  afterAll(async () => {
    await api?.close();
  });

  it('answers 2,000 random and garbled requests without a 5xx, every error a Status, and stays ready', async () => {
    const samples = fc.sample(fuzzRequest, {
      numRuns: 2000,
      seed: Number(process.env.FUZZ_SEED ?? 20261126),
    });
    const cases: FuzzRequest[] = samples.map((s) => ({
      method: s.method,
      path: s.path,
      contentType: s.contentType,
      body:
        s.body !== undefined && !['GET', 'HEAD'].includes(s.method)
          ? Buffer.from(s.body, 'latin1')
          : undefined,
    }));
    // A name that exists (409), and a few bodies beyond the 1 MiB limit.
    cases.push({
      method: 'POST',
      path: `${API}/namespaces/default/natgateways`,
      contentType: 'application/json',
      body: Buffer.from(JSON.stringify(validGateway)),
    });
    for (let i = 0; i < 5; i++) {
      cases.push({
        method: 'POST',
        path: `${API}/namespaces/default/natgateways`,
        contentType: 'application/json',
        body: Buffer.alloc(1024 * 1024 + 1 + i * 1000, 'x'),
      });
    }
    // Pools with hostile prefixes, and requests a DNS-rebinding page would send.
    for (const prefixes of [['0.0.0.0/0'], ['10.0.0.0/8'], ['::ffff:0:0/96'], ['203.0.113.0/30']]) {
      cases.push({
        method: 'POST',
        path: POOLS,
        contentType: 'application/json',
        body: Buffer.from(JSON.stringify({ metadata: { name: 'fuzz-pool' }, spec: { prefixes } })),
      });
    }
    for (const host of ['evil.example', 'localhost.evil.example:80', '0.0.0.0']) {
      cases.push({ method: 'GET', path: `${API}/natgateways`, host });
      cases.push({
        method: 'DELETE',
        path: `${API}/namespaces/default/natgateways/gw`,
        host,
      });
    }
    const byStatus = new Map<number, number>();
    const failures: string[] = [];
    let slowest = { ms: 0, what: '' };
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < cases.length) {
          const c = cases[next++];
          const started = Date.now();
          const res = await send(api.url, c);
          const ms = Date.now() - started;
          byStatus.set(res.status, (byStatus.get(res.status) ?? 0) + 1);
          const what = `${c.method} ${c.path.slice(0, 200)} [${c.contentType}] ${c.body?.subarray(0, 80).toString('latin1')}`;
          if (ms > slowest.ms) slowest = { ms, what };
          // An error answer is never much larger than what was asked.
          if (res.status >= 400 && res.body.length > 64 * 1024)
            failures.push(`a ${res.body.length}-byte error for ${what}`);
          if (res.status >= 500)
            failures.push(`${res.status} for ${what}: ${res.body.slice(0, 300)}`);
          // 431: Node's HTTP parser refuses more than 16 KiB of request line and headers
          // itself, before the app sees the request.
          if (res.status >= 400 && res.status !== 431 && c.method !== 'HEAD') {
            let status: { kind?: string; code?: number } | undefined;
            try {
              status = JSON.parse(res.body);
            } catch {
              status = undefined;
            }
            if (status?.kind !== 'Status' || status.code !== res.status) {
              failures.push(`not a Status (${res.status}) for ${what}: ${res.body.slice(0, 200)}`);
            }
          }
        }
      }),
    );
    expect(failures).toEqual([]);
    // Nothing stalls the event loop: the hostile shapes are answered as fast as the rest.
    expect(slowest).toEqual({ ms: expect.any(Number), what: expect.any(String) });
    expect(slowest.ms).toBeLessThan(5000);
    const clientErrors = [...byStatus].filter(([s]) => s >= 400).reduce((n, [, k]) => n + k, 0);
    expect(clientErrors).toBeGreaterThan(cases.length * 0.8);
    // The bodies reached every stage: decoding (400, 413, 415), validation (422) and writes
    // (409), and the Host check (403).
    for (const code of [400, 403, 404, 405, 409, 413, 415, 422])
      expect([code, byStatus.get(code) ?? 0]).not.toEqual([code, 0]);
    expect((await request(api.url).get('/readyz')).status).toBe(200);
    const after = await request(api.url).get(`${API}/namespaces/default/natgateways/gw`);
    expect(after.status).toBe(200);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    process.stdout.write(
      `fuzz status counts: ${JSON.stringify(Object.fromEntries([...byStatus].sort()))}; slowest ${slowest.ms} ms: ${slowest.what.slice(0, 120)}\n`,
    );
  });
});
