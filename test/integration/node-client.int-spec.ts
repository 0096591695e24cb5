// The official JavaScript client (@kubernetes/client-node, a devDependency) against the
// api-gateway: KubernetesObjectApi (which discovers the resource first; server-side apply
// through PatchStrategy.ServerSideApply), Watch, and an
// informer's list and watch. The client is an ES module, so it runs in its own Node process.
import { spawn } from 'node:child_process';
import https from 'node:https';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfSignedCertificate } from './kubectl-support';
import { API, startTestApi, TestApi } from './api-test-app';

jest.setTimeout(180_000);

const SCRIPT = join(__dirname, 'clients', 'node-client.mjs');
const TOKEN = 'node-client-token';
const TOKENS = `tokens:
  - token: ${TOKEN}
    user: node-client
    namespaces: "*"
    verbs: [read, write]
`;

type Steps = Record<string, Record<string, unknown>>;

/** Runs the script to its end; its JSON lines by step. */
function runNodeClient(
  env: Record<string, string>,
): Promise<{ code: number | null; steps: Steps; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SCRIPT], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => {
      const steps: Steps = {};
      for (const line of stdout.split('\n').filter((l) => l.trim().startsWith('{'))) {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        steps[parsed.step as string] = parsed;
      }
      resolve({ code, steps, stderr });
    });
  });
}

describe('the official JavaScript client (@kubernetes/client-node) against natgw', () => {
  let api: TestApi;
  let certDir: string;
  let caFile: string;

  /** GET on the API itself, over TLS as the client's user. */
  const get = (path: string) =>
    new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
      https
        .get(
          `${api.url}${path}`,
          { ca: readFileSync(caFile), headers: { Authorization: `Bearer ${TOKEN}` } },
          (res) => {
            let text = '';
            res.setEncoding('utf8').on('data', (c: string) => (text += c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
          },
        )
        .on('error', reject);
    });

  beforeAll(async () => {
    certDir = mkdtempSync(join(tmpdir(), 'natgw-node-client-'));
    const { certFile, keyFile } = selfSignedCertificate(certDir);
    caFile = certFile;
    api = await startTestApi('node_client', {
      tokensYaml: TOKENS,
      env: { API_TLS_CERT_FILE: certFile, API_TLS_KEY_FILE: keyFile },
    });
  });

  afterAll(async () => {
    await api?.close();
    if (certDir) rmSync(certDir, { recursive: true, force: true });
  });

  it('creates, reads, lists and server-side applies with KubernetesObjectApi, watches with Watch, and runs an informer', async () => {
    const { code, steps, stderr } = await runNodeClient({
      NATGW_SERVER: api.url,
      NATGW_CA_FILE: caFile,
      NATGW_TOKEN: TOKEN,
      NATGW_NAMESPACE: 'js',
    });
    if (code !== 0) throw new Error(`the JavaScript client failed (${code}): ${stderr}`);

    const objectApi = steps['object-api'] as {
      created: { name: string; uid: string; ports: number };
      readUid: string;
      listed: string[];
    };
    // Defaulted by natgw (portsPerNetworkInterface: 2048), read back by the same uid.
    expect(objectApi.created).toMatchObject({ name: 'js-gw', ports: 2048 });
    expect(objectApi.readUid).toBe(objectApi.created.uid);
    expect(objectApi.listed).toEqual(['js-gw']);
    const stored = await get(`${API}/namespaces/js/natgateways/js-gw`);
    expect((stored.body.metadata as { uid: string }).uid).toBe(objectApi.created.uid);

    const watch = steps.watch as {
      from: string;
      events: Array<{ type: string; name: string; rv: string }>;
    };
    expect(watch.events.map((e) => [e.type, e.name])).toEqual([
      ['ADDED', 'js-watched'],
      ['MODIFIED', 'js-watched'],
      ['DELETED', 'js-watched'],
    ]);
    const rvs = watch.events.map((e) => BigInt(e.rv));
    expect(rvs[0]).toBeGreaterThan(BigInt(watch.from));
    expect(rvs[1]).toBeGreaterThan(rvs[0]);

    const informer = steps.informer as {
      events: Array<{ type: string; name: string }>;
      cached: string[];
      errors: string[];
    };
    expect(informer.errors).toEqual([]);
    // The list (js-net), then the watch: add, update, delete of js-informed.
    expect(informer.events).toEqual([
      { type: 'add', name: 'js-net' },
      { type: 'add', name: 'js-informed' },
      { type: 'update', name: 'js-informed' },
      { type: 'delete', name: 'js-informed' },
    ]);
    expect(informer.cached).toEqual(['js-net']);

    // Watch-list (sendInitialEvents) through Watch: js-net (the only Network left), then the
    // bookmark ending the initial events, at a version not older than the object's.
    const watchList = steps['watch-list'] as {
      events: Array<{ type: string; name?: string; rv: string; end?: string }>;
    };
    expect(watchList.events.map((e) => [e.type, e.name, e.end])).toEqual([
      ['ADDED', 'js-net', undefined],
      ['BOOKMARK', undefined, 'true'],
    ]);
    expect(BigInt(watchList.events[1].rv)).toBeGreaterThanOrEqual(BigInt(watchList.events[0].rv));

    // PatchStrategy.ServerSideApply: create-on-apply, a label no longer applied is removed,
    // another manager's different value is a 409 FieldManagerConflict until it forces.
    const ssa = steps['server-side-apply'] as Record<string, Record<string, unknown>>;
    expect(ssa.created).toEqual({
      labels: { app: 'js', tier: 'web' },
      ports: 512,
      managers: [['js-client', 'Apply']],
    });
    expect(ssa.reapplied).toMatchObject({ labels: { app: 'js' }, ports: 512 });
    expect(ssa.conflict).toMatchObject({
      code: 409,
      body: {
        reason: 'Conflict',
        details: {
          causes: [
            {
              reason: 'FieldManagerConflict',
              field: '.spec.portsPerNetworkInterface',
              message: 'conflict with "js-client" using networking.ironcore.dev/v1alpha1',
            },
          ],
        },
      },
    });
    expect(ssa.forced).toEqual({
      labels: { app: 'js' },
      ports: 1024,
      managers: [
        ['js-client', 'Apply'],
        ['other-client', 'Apply'],
      ],
    });
    const applied = await get(`${API}/namespaces/js/natgateways/js-applied`);
    expect(
      (applied.body.spec as { portsPerNetworkInterface: number }).portsPerNetworkInterface,
    ).toBe(1024);
  });
});
