// `npm run migrate`, `projections:rebuild` and `replay` on a terminal: a progress bar with
// rate and ETA on stderr (run under a pseudo-terminal with util-linux's `script`).
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { openDatabase, PostgresEventStore } from '@natgw/event-store';
import { NATGW_MIGRATIONS, NATGW_SCHEMA } from '@natgw/schema';
import { createTestDatabase, dropTestDatabase } from '@natgw/testing';

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '..', '..');
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs natgw-cli under a pseudo-terminal; its output as the terminal showed it. */
function cliOnTerminal(url: string, ...args: string[]): { status: number | null; out: string } {
  const command = [process.execPath, 'scripts/run-ts.js', 'apps/cli/src/main.ts', ...args]
    .map(quote)
    .join(' ');
  const r = spawnSync('script', ['-qefc', command, '/dev/null'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'silent' },
    encoding: 'utf8',
  });
  return { status: r.status, out: r.stdout + r.stderr };
}

describe('natgw-cli progress on a terminal', () => {
  let url: string;

  beforeAll(async () => {
    url = await createTestDatabase('cli_progress');
  });

  afterAll(async () => {
    if (url) await dropTestDatabase(url);
  });

  it('migrate shows a bar over the pending migrations', () => {
    const r = cliOnTerminal(url, 'migrate');
    expect(r.status).toBe(0);
    const n = NATGW_MIGRATIONS.length;
    expect(r.out).toContain('migrate [');
    expect(r.out).toMatch(
      new RegExp(`100% \\| ${n}/${n} migrations \\| [\\d,]+ migrations/s \\| ETA done in`),
    );
    expect(r.out).toContain('is migrated');
    // Nothing pending the second time: no bar.
    const again = cliOnTerminal(url, 'migrate');
    expect(again.status).toBe(0);
    expect(again.out).not.toContain('migrate [');
  });

  it('projections:rebuild shows a bar over the events of the log', async () => {
    const ds = await openDatabase({ url, ...NATGW_SCHEMA });
    try {
      const store = new PostgresEventStore(ds);
      for (let i = 0; i < 3; i++) {
        await store.append(
          `probe:${i}`,
          Array.from({ length: 50 }, () => ({ type: 'ProbeRecorded', data: { i } })),
        );
      }
    } finally {
      await ds.destroy();
    }
    const r = cliOnTerminal(url, 'projections:rebuild', 'resources');
    expect(r.status).toBe(0);
    expect(r.out).toContain('projections:rebuild [');
    expect(r.out).toMatch(/100% \| 150\/150 events \| [\d,]+ events\/s \| ETA done in/);
    expect(r.out).toContain('rebuilt resources: 150 events');
  });
});
