import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fastify, FastifyInstance } from 'fastify';
import { consoleFileFor, serveConsole } from './console-static';

describe('console files on Fastify', () => {
  let dir: string;
  let app: FastifyInstance;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'natgw-console-static-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html>');
    writeFileSync(join(dir, 'assets', 'app-1.js'), 'console.log(1)');
    writeFileSync(join(dir, '.secret'), 'no');
    app = fastify();
    serveConsole(app, dir, '/ui');
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('names the file a path asks for, index.html for unknown paths, and refuses dot segments', () => {
    expect(consoleFileFor(dir, 'assets/app-1.js')).toEqual({
      status: 200,
      file: join(dir, 'assets', 'app-1.js'),
    });
    expect(consoleFileFor(dir, '')).toEqual({ status: 200, file: join(dir, 'index.html') });
    expect(consoleFileFor(dir, 'networks/x')).toEqual({
      status: 200,
      file: join(dir, 'index.html'),
    });
    for (const bad of [
      '../etc/passwd',
      '%2e%2e/x',
      '.secret',
      'assets/..%2f..%2fx',
      '%zz',
      'a%00b',
    ])
      expect(consoleFileFor(dir, bad)).toEqual({ status: 403 });
  });

  it('serves the files with the console headers, a content type and an ETag (304 when unchanged)', async () => {
    const page = await app.inject({ method: 'GET', url: '/ui/' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toBe('<!doctype html>');
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    const asset = await app.inject({ method: 'GET', url: '/ui/assets/app-1.js' });
    expect(asset.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(asset.headers['cache-control']).toContain('immutable');
    const again = await app.inject({
      method: 'GET',
      url: '/ui/assets/app-1.js',
      headers: { 'if-none-match': String(asset.headers.etag) },
    });
    expect(again.statusCode).toBe(304);
    expect((await app.inject({ method: 'GET', url: '/ui/.secret' })).statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: '/ui' })).body).toBe('<!doctype html>');
  });
});
