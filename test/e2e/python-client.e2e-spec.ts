// The official Python client (Debian's python3-kubernetes, kubernetes.dynamic.DynamicClient)
// against a whole natgw: real api-gateway and allocator processes, bearer tokens, and a
// NATGateway that becomes Ready because the allocator really allocated it.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '@natgw/testing';
import { NatgwSystem } from './support/natgw-system';

jest.setTimeout(300_000);

const PYTHON = '/usr/bin/python3';
const SCRIPT = join(__dirname, 'clients', 'python_dynamic_client.py');
const TOKEN = 'python-client-token';

/** The version of the python3-kubernetes the test runs (the docs' compatibility table). */
function pythonClientVersion(): string {
  return execFileSync(PYTHON, ['-c', 'import kubernetes; print(kubernetes.__version__)'])
    .toString()
    .trim();
}

/** Runs the script to its end; its JSON lines by step. */
function runScript(env: Record<string, string>): Promise<{
  code: number | null;
  steps: Record<string, Record<string, unknown>>;
  stderr: string;
}> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [SCRIPT], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => {
      const steps: Record<string, Record<string, unknown>> = {};
      for (const line of stdout.split('\n').filter((l) => l.trim())) {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        steps[parsed.step as string] = parsed;
      }
      resolve({ code, steps, stderr });
    });
  });
}

describe('the official Python client (DynamicClient) against natgw (real processes)', () => {
  let system: NatgwSystem;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'natgw-python-'));
    const tokensFile = join(dir, 'tokens.yaml');
    writeFileSync(
      tokensFile,
      `tokens:\n  - token: ${TOKEN}\n    user: python\n    namespaces: "*"\n    verbs: [read, write]\n`,
    );
    system = await NatgwSystem.create('python_client_e2e', {
      PUBLIC_PREFIXES: '203.0.113.0/28',
    });
    await system.start('api-gateway', { AUTH_TOKENS_FILE: tokensFile });
    await system.start('allocator');
  });

  afterAll(async () => {
    await system?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('discovers, creates, lists by label and field, watches until Ready, merge-patches, gets 409 on a stale resourceVersion, deletes', async () => {
    expect(pythonClientVersion()).toMatch(/^[0-9]+\.[0-9]+\.[0-9]+/);
    const server = (await system.api()).replace(/\/apis\/.*$/, '');
    const { code, steps, stderr } = await runScript({
      NATGW_SERVER: server,
      NATGW_TOKEN: TOKEN,
      NATGW_NAMESPACE: 'python',
      NATGW_CACHE_FILE: join(dir, 'discovery-cache.json'),
    });
    if (code !== 0)
      throw new Error(`the Python client failed (${code}):\n${stderr}\n${system.logs()}`);

    expect(steps.discovery).toMatchObject({
      name: 'natgateways',
      namespaced: true,
      networkName: 'networks',
    });
    expect(steps.discovery.verbs).toEqual(
      expect.arrayContaining(['create', 'delete', 'get', 'list', 'patch', 'update', 'watch']),
    );

    const created = steps.create.objects as Array<{ name: string; uid: string; rv: string }>;
    expect(created.map((o) => o.name)).toEqual(['py-gw', 'py-other']);
    for (const o of created) {
      expect(o.uid).toMatch(/^[0-9a-f-]{36}$/);
      expect(o.rv).toMatch(/^[0-9]+$/);
    }

    expect(steps.list).toMatchObject({
      kind: 'NATGatewayList',
      byLabel: ['py-gw'],
      byField: ['py-other'],
      bySet: ['py-other'],
    });

    // The watch (sent as watch=True) starts with the object as ADDED and ends when the
    // allocator made it Ready: the last event says so, none before it did.
    const events = steps.watch.events as Array<{ type: string; name: string; ready: string }>;
    expect(events[0]).toMatchObject({ type: 'ADDED', name: 'py-gw' });
    expect(events[events.length - 1]).toMatchObject({ name: 'py-gw', ready: 'True' });
    expect(events.slice(0, -1).every((e) => e.ready !== 'True')).toBe(true);
    const ips = steps.watch.ips as string[];
    expect(ips.length).toBeGreaterThanOrEqual(1);
    for (const ip of ips) expect(ip).toMatch(/^203\.0\.113\.([0-9]|1[0-5])$/);

    expect(steps.patch).toMatchObject({
      labels: { app: 'py', patched: 'yes' },
      portsPerNetworkInterface: 2048,
    });
    expect(BigInt(steps.patch.rv as string)).toBeGreaterThan(BigInt(created[0].rv));

    expect(steps.conflict).toMatchObject({ status: 409, reason: 'Conflict', kind: 'Status' });
    expect(steps['after-conflict'].labels).toEqual({ app: 'other' });

    expect(steps.delete.deletedKind).toEqual(expect.any(String));
    const gone = `${await system.api('python')}/natgateways/py-gw`;
    const headers = { authorization: `Bearer ${TOKEN}` };
    await eventually(
      async () => {
        const res = await fetch(gone, { headers });
        return res.status === 404 ? true : undefined;
      },
      { what: 'py-gw to be gone after the allocator released it', timeoutMs: 60_000 },
    );
    // The other gateway is untouched by all of this.
    const other = await fetch(`${await system.api('python')}/natgateways/py-other`, { headers });
    expect(other.status).toBe(200);
  });
});
