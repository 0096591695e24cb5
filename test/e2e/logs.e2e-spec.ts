import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { eventually, SERVICE_ENTRY } from '@natgw/testing';
import { NatgwSystem } from './support/natgw-system';

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '..', '..');

/** Runs a service from dist/ to its end; resolves with its exit code and output. */
function runToExit(
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, SERVICE_ENTRY.allocator)], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const BAD = {
  NATS_URL: 'http://nats:4222',
  DATABASE_POOL_SIZE: '0',
  PUBLIC_PREFIXES: '203.0.113.0/24',
};

describe('service logs (real processes from dist/)', () => {
  it('prints a fatal configuration error as readable lines naming each variable (LOG_FORMAT=pretty)', async () => {
    const { code, stdout, stderr } = await runToExit({ ...BAD, LOG_FORMAT: 'pretty' });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    const lines = stderr.trimEnd().split('\n');
    expect(lines[0]).toBe('allocator: invalid configuration');
    expect(lines).toContain(
      '  - NATS_URL must be one or more comma-separated nats:// or tls:// URLs',
    );
    expect(lines).toContain('  - DATABASE_POOL_SIZE must be at least 1');
    expect(lines.some((l) => l.trimStart().startsWith('{'))).toBe(false);
  });

  it('prints it as one JSON line with every problem when not on a terminal (LOG_FORMAT unset)', async () => {
    const { code, stderr } = await runToExit({ ...BAD, LOG_FORMAT: '' });
    expect(code).toBe(1);
    const lines = stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]) as { level: string; problems: string[] };
    expect(line.level).toBe('fatal');
    expect(line.problems.map((p) => p.split(' ')[0]).sort()).toEqual([
      'DATABASE_POOL_SIZE',
      'NATS_URL',
    ]);
  });

  describe('a running service', () => {
    let system: NatgwSystem;

    beforeAll(async () => {
      system = await NatgwSystem.create('logs_e2e');
    });

    afterAll(async () => {
      await system?.destroy();
    });

    it('logs pino-pretty lines with LOG_FORMAT=pretty and JSON lines on a pipe by default', async () => {
      const pretty = await system.start('allocator', { LOG_FORMAT: 'pretty', LOG_LEVEL: 'info' });
      const json = await system.start('allocator', { LOG_LEVEL: 'info' });
      const listening = (lines: string[]) => lines.find((l) => l.includes('allocator listening'));
      const prettyLine = await eventually(
        async () => listening(pretty.linesContaining('listening')),
        { what: 'the pretty "listening" line' },
      );
      // e.g. "[16:02:11.482] INFO: allocator listening on 127.0.0.1:41235 {"context":"..."}"
      expect(prettyLine).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO.*allocator listening on /);
      const jsonLine = await eventually(async () => listening(json.linesContaining('listening')), {
        what: 'the JSON "listening" line',
      });
      expect(JSON.parse(jsonLine)).toMatchObject({ level: 30, service: 'allocator' });
    });
  });
});
