import { createServer, IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpAdapterHost } from '@nestjs/core';
import { fastify } from 'fastify';
import { HttpMetricsHook, routeLabelOf, UNMATCHED_ROUTE } from './http-metrics.hook';
import { Metrics } from './metrics';

/** The request counts the histogram holds, by "method route status". */
async function counts(metrics: Metrics): Promise<Record<string, number>> {
  const { values } = await metrics.httpRequestDuration.get();
  const out: Record<string, number> = {};
  for (const v of values) {
    if (v.metricName !== 'natgw_http_request_duration_seconds_count') continue;
    out[`${v.labels.method} ${v.labels.route} ${v.labels.status}`] = v.value;
  }
  return out;
}

/**
 * A real HTTP server whose own handler (standing in for Express) answers `/things/<id>`
 * as the route `/things/:id`, 404s anything else, and never answers `/hang`.
 */
async function serverWithHook(metrics: Metrics): Promise<{ server: Server; base: string }> {
  const server = createServer((req, res) => {
    if (req.url === '/hang') return;
    if (req.url?.startsWith('/things/')) {
      Object.assign(req, { route: { path: '/things/:id' }, baseUrl: '' });
      res.end('ok');
      return;
    }
    res.statusCode = 404;
    res.end();
  });
  const host = { httpAdapter: { getHttpServer: () => server } } as unknown as HttpAdapterHost;
  new HttpMetricsHook(metrics, host).onApplicationBootstrap();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function eventually(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200 && !(await check()); i++) await new Promise((r) => setTimeout(r, 10));
}

describe('HttpMetricsHook', () => {
  const metrics = new Metrics({ service: 'test-service', defaultMetrics: false });
  let server: Server;
  let base: string;

  beforeAll(async () => ({ server, base } = await serverWithHook(metrics)));
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('counts each request once, by the route pattern the router matched and the status', async () => {
    await (await fetch(`${base}/things/1`)).text();
    await (await fetch(`${base}/things/2`, { method: 'POST' })).text();
    await (await fetch(`${base}/nowhere`)).text();
    await eventually(async () => Object.keys(await counts(metrics)).length >= 3);
    expect(await counts(metrics)).toEqual({
      'GET /things/:id 200': 1,
      'POST /things/:id 200': 1,
      [`GET ${UNMATCHED_ROUTE} 404`]: 1,
    });
  });

  it('labels a request whose client left before the answer as aborted', async () => {
    const left = new AbortController();
    const pending = fetch(`${base}/hang`, { signal: left.signal }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 50));
    left.abort();
    await pending;
    await eventually(async () => (await counts(metrics))[`GET ${UNMATCHED_ROUTE} aborted`] === 1);
    expect((await counts(metrics))[`GET ${UNMATCHED_ROUTE} aborted`]).toBe(1);
  });

  it('prefixes the pattern with the router mount point', () => {
    const req = { route: { path: '/:id' }, baseUrl: '/v1/things' } as unknown as IncomingMessage;
    expect(routeLabelOf(req)).toBe('/v1/things/:id');
  });

  it('does nothing in an app without an HTTP server', () => {
    const host = { httpAdapter: undefined } as unknown as HttpAdapterHost;
    expect(() => new HttpMetricsHook(metrics, host).onApplicationBootstrap()).not.toThrow();
  });

  it('labels a Fastify request by the route pattern Fastify matched', async () => {
    const own = new Metrics({ service: 'test-service', defaultMetrics: false });
    const app = fastify();
    app.get('/things/:id', async () => 'ok');
    const host = {
      httpAdapter: { getHttpServer: () => app.server, getInstance: () => app },
    } as unknown as HttpAdapterHost;
    new HttpMetricsHook(own, host).onApplicationBootstrap();
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      await (await fetch(`${address}/things/7`)).text();
      await (await fetch(`${address}/nowhere`)).text();
      await eventually(async () => Object.keys(await counts(own)).length >= 2);
      expect(await counts(own)).toEqual({
        'GET /things/:id 200': 1,
        [`GET ${UNMATCHED_ROUTE} 404`]: 1,
      });
    } finally {
      await app.close();
    }
  });
});
