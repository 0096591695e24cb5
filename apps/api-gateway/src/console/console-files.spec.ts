import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { consoleFilesDir, consoleHeaders } from './console-files';

describe('consoleFilesDir', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'natgw-console-files-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('finds dist/console-ui of the checkout (or image) the code runs from', () => {
    writeFileSync(join(root, 'package.json'), '{}');
    mkdirSync(join(root, 'dist/console-ui'), { recursive: true });
    writeFileSync(join(root, 'dist/console-ui/index.html'), '<!doctype html>');
    const from = join(root, 'dist/apps/api-gateway/src/console');
    mkdirSync(from, { recursive: true });
    expect(consoleFilesDir(from)).toBe(join(root, 'dist/console-ui'));
  });

  it('is undefined when the console is not built', () => {
    writeFileSync(join(root, 'package.json'), '{}');
    const from = join(root, 'apps/api-gateway/src/console');
    mkdirSync(from, { recursive: true });
    expect(consoleFilesDir(from)).toBeUndefined();
  });
});

describe('consoleHeaders', () => {
  it('allows only the page’s own origin, forbids framing, and caches only hashed assets', () => {
    const page = consoleHeaders('/srv/dist/console-ui/index.html');
    expect(page['Content-Security-Policy']).toContain("default-src 'self'");
    expect(page['Content-Security-Policy']).toContain("connect-src 'self'");
    expect(page['Content-Security-Policy']).toContain("frame-ancestors 'none'");
    expect(page['Content-Security-Policy']).not.toContain('unsafe-inline');
    expect(page['X-Frame-Options']).toBe('DENY');
    expect(page['Cache-Control']).toBe('no-cache');
    expect(consoleHeaders('/srv/dist/console-ui/assets/index-Do9Q5c4B.js')['Cache-Control']).toBe(
      'public, max-age=31536000, immutable',
    );
  });
});
