import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpAdapterHost } from '@nestjs/core';
import { pino } from 'pino';
import { CORRELATION_HEADER, RequestLogHook } from './request-log.hook';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A real HTTP server with the hook in front of a handler that answers `/fail` with 500, else 200 and `req.id`. */
async function serve(level: string): Promise<{ server: Server; base: string; lines: unknown[] }> {
  const lines: unknown[] = [];
  const logger = pino({ level }, { write: (s: string) => lines.push(JSON.parse(s)) });
  const server = createServer((req, res) => {
    res.statusCode = req.url === '/fail' ? 500 : 200;
    res.end(String((req as { id?: unknown }).id));
  });
  const host = { httpAdapter: { getHttpServer: () => server } } as unknown as HttpAdapterHost;
  new RequestLogHook(logger, host).onApplicationBootstrap();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, lines };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
}

describe('RequestLogHook', () => {
  let info: { server: Server; base: string; lines: unknown[] };
  beforeAll(async () => (info = await serve('info')));
  afterAll(
    () =>
      new Promise<void>((r) => {
        info.server.closeAllConnections();
        info.server.close(() => r());
      }),
  );

  it("keeps the client's correlation id: as req.id, in the answer header and in the line", async () => {
    const res = await fetch(`${info.base}/apis/x?limit=1`, {
      headers: { [CORRELATION_HEADER]: 'trace-1.a:b' },
    });
    expect(await res.text()).toBe('trace-1.a:b');
    expect(res.headers.get(CORRELATION_HEADER)).toBe('trace-1.a:b');
    await until(() => info.lines.length > 0);
    expect(info.lines).toEqual([
      expect.objectContaining({
        level: 30,
        msg: 'request completed',
        correlationId: 'trace-1.a:b',
        req: { method: 'GET', url: '/apis/x?limit=1' },
        res: { statusCode: 200 },
        responseTime: expect.any(Number),
      }),
    ]);
  });

  it('gives a fresh uuid when the header is missing or not a safe id, and says a 5xx errored', async () => {
    info.lines.length = 0;
    const bad = await fetch(`${info.base}/fail`, {
      method: 'POST',
      headers: { [CORRELATION_HEADER]: 'no spaces or {braces}' },
    });
    const id = await bad.text();
    expect(id).toMatch(UUID);
    expect(bad.headers.get(CORRELATION_HEADER)).toBe(id);
    const none = await fetch(`${info.base}/x`);
    expect(await none.text()).toMatch(UUID);
    await until(() => info.lines.length >= 2);
    expect(info.lines[0]).toEqual(
      expect.objectContaining({
        msg: 'request errored',
        correlationId: id,
        res: { statusCode: 500 },
      }),
    );
  });

  it('writes no line for the probes /healthz and /readyz, but still answers the id', async () => {
    info.lines.length = 0;
    for (const path of ['/healthz', '/readyz']) {
      const res = await fetch(`${info.base}${path}`);
      expect(res.headers.get(CORRELATION_HEADER)).toMatch(UUID);
      await res.text();
    }
    await (await fetch(`${info.base}/seen`)).text();
    await until(() => info.lines.length > 0);
    expect(info.lines).toEqual([expect.objectContaining({ req: { method: 'GET', url: '/seen' } })]);
  });

  it('writes no line when the level drops info lines, and still answers the id', async () => {
    const warn = await serve('warn');
    try {
      const res = await fetch(`${warn.base}/x`, { headers: { [CORRELATION_HEADER]: 'c-1' } });
      expect(res.headers.get(CORRELATION_HEADER)).toBe('c-1');
      expect(await res.text()).toBe('c-1');
      await new Promise((r) => setTimeout(r, 50));
      expect(warn.lines).toEqual([]);
    } finally {
      warn.server.closeAllConnections();
      await new Promise<void>((r) => warn.server.close(() => r()));
    }
  });
});
