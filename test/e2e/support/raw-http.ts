// One HTTP request on a fresh connection (no keep-alive pool), with a hard
// deadline: what a client under faults needs to tell a response, a refused or
// dropped connection and a hang apart. A pooled socket to a killed process could
// otherwise fail a request that was sent after the restart.
import { request } from 'node:http';

/** What came back: a response, or why none did. */
export type RawResult =
  | { kind: 'response'; status: number; headers: Record<string, string>; body: string }
  | { kind: 'connection'; error: string }
  | { kind: 'timeout'; error: string };

/** Sends one request and never throws; `timeoutMs` bounds the whole exchange. */
export function rawRequest(
  url: string,
  options: {
    method: string;
    headers?: Record<string, string>;
    body?: string;
    timeoutMs: number;
  },
): Promise<RawResult> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: RawResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const req = request(url, {
      method: options.method,
      agent: false,
      headers: {
        ...(options.headers ?? {}),
        ...(options.body !== undefined
          ? { 'content-length': String(Buffer.byteLength(options.body)) }
          : {}),
      },
    });
    const timer = setTimeout(() => {
      done({ kind: 'timeout', error: `no complete response within ${options.timeoutMs} ms` });
      req.destroy();
    }, options.timeoutMs);
    req.on('error', (err) => done({ kind: 'connection', error: err.message }));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (err) => done({ kind: 'connection', error: `response: ${err.message}` }));
      res.on('aborted', () => done({ kind: 'connection', error: 'response aborted' }));
      res.on('end', () => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) {
          if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
        }
        done({
          kind: 'response',
          status: res.statusCode ?? 0,
          headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
      });
    });
    req.end(options.body);
  });
}
