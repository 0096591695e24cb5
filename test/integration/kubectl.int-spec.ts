// The real kubectl (v1.31) against a running api-gateway: discovery, the
// Kubernetes OpenAPI v3 documents, client-side apply with strict field
// validation, Table output (also while watching), explain, edit, label, annotate,
// delete, and bearer tokens (over TLS: kubectl sends tokens over HTTPS only).
import https from 'node:https';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordedEvent } from '@natgw/contracts';
import { NETWORK_VNI_STATUS_APPLIER, StatusApplierRegistration } from '@natgw/projections';
import { eventually } from '@natgw/testing';
import { Kubectl, KubectlResult, selfSignedCertificate } from './kubectl-support';
import { API, SEED_YAML, startTestApi, TestApi } from './api-test-app';

jest.setTimeout(180_000);

const ADMIN = '--token=kubectl-admin-token';
const VIEWER = '--token=kubectl-viewer-token';
const TOKENS = `tokens:
  - token: kubectl-admin-token
    user: admin
    namespaces: "*"
    verbs: [read, write]
  - token: kubectl-viewer-token
    user: viewer
    namespaces: [default]
    verbs: [read]
`;

/** What the allocator would record: public IPs and one slot per NIC (see api-resources). */
const FAKE_ALLOCATION: StatusApplierRegistration = {
  name: 'fake-allocation',
  eventTypes: ['FakeAllocationRecorded'],
  apply: async (event: RecordedEvent, ctx) => {
    const data = event.data as {
      gatewayUid: string;
      ips: string[];
      slot: { nicUid: string; ip: string; port: number; endPort: number };
    };
    const gateway = await ctx.findByUid(data.gatewayUid);
    const nic = await ctx.findByUid(data.slot.nicUid);
    if (!gateway || !nic) return;
    await ctx.updateStatus(gateway, (status, object) => ({
      ...status,
      ips: data.ips.map((ip, i) => ({ name: `ip-${i}`, ip })),
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'Allocated',
          message: 'every eligible NIC has a slot',
          observedGeneration: object.metadata.generation,
          lastTransitionTime: '2026-01-01T00:00:00Z',
        },
      ],
      observedGeneration: object.metadata.generation,
      requestedNICs: 1,
      usedSlots: 1,
      totalSlots: data.ips.length * 1008,
    }));
    await ctx.updateStatus(nic, () => ({
      nat: [
        {
          ipFamily: 'IPv4',
          natGatewayRef: { name: gateway.name },
          ip: data.slot.ip,
          port: data.slot.port,
          endPort: data.slot.endPort,
        },
      ],
    }));
  },
};

const manifest = (name: string, spec: string) => `apiVersion: networking.ironcore.dev/v1alpha1
kind: NATGateway
metadata:
  namespace: default
  name: ${name}
spec:
${spec}`;

const expectOk = (r: KubectlResult) => {
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
  return r.stdout;
};

describe('kubectl against natgw', () => {
  let api: TestApi;
  let kubectl: Kubectl;
  let ca: Buffer;
  let certDir: string | undefined;

  /** GET on the API itself (over TLS, as admin), with optional headers. */
  const get = (path: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
      const req = https.get(
        `${api.url}${path}`,
        { ca, headers: { Authorization: 'Bearer kubectl-admin-token', ...headers } },
        (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (c: string) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
        },
      );
      req.on('error', reject);
    });

  /** Plays the allocator's part of a deletion: once deletion was requested, the object is released. */
  async function finishDeletion(name: string): Promise<void> {
    const path = `${API}/namespaces/default/natgateways/${name}`;
    const deleting = await eventually(
      async () => {
        const res = await get(path);
        const meta = res.body.metadata as { deletionTimestamp?: string; uid: string } | undefined;
        return meta?.deletionTimestamp ? meta : undefined;
      },
      { what: `${name} to show a deletionTimestamp` },
    );
    const stream = `natgateway:default/${name}`;
    await api.store.append(stream, [{ type: 'NATGatewayDeleted', data: { uid: deleting.uid } }], {
      expectedVersion: await api.store.streamVersion(stream),
    });
  }

  beforeAll(async () => {
    certDir = mkdtempSync(join(tmpdir(), 'natgw-kubectl-tls-'));
    const { certFile, keyFile } = selfSignedCertificate(certDir);
    ca = readFileSync(certFile);
    api = await startTestApi('kubectl', {
      tokensYaml: TOKENS,
      statusAppliers: [FAKE_ALLOCATION, NETWORK_VNI_STATUS_APPLIER],
      env: { API_TLS_CERT_FILE: certFile, API_TLS_KEY_FILE: keyFile },
    });
    kubectl = new Kubectl(api.url, certFile);
  });

  afterAll(async () => {
    await api?.close();
    kubectl?.remove();
    if (certDir) rmSync(certDir, { recursive: true, force: true });
  });

  it('discovers the groups, kinds and short names, and the server version', async () => {
    const resources = expectOk(await kubectl.run([ADMIN, 'api-resources']));
    expect(resources).toMatch(
      /natgateways\s+natgw\s+networking\.ironcore\.dev\/v1alpha1\s+true\s+NATGateway/,
    );
    expect(resources).toMatch(
      /networkinterfaces\s+nic\s+networking\.ironcore\.dev\/v1alpha1\s+true\s+NetworkInterface/,
    );
    expect(resources).toMatch(/ippools\s+ipp\s+natgw\.ironcore\.dev\/v1alpha1\s+false\s+IPPool/);
    const version = expectOk(await kubectl.run([ADMIN, 'version']));
    expect(version).toContain('Server Version: v1.31.0+natgw');
  });

  it('discovers in one round trip with an empty cache: aggregated /api and /apis, no per-version documents', async () => {
    const fresh = `--cache-dir=${kubectl.file('empty-cache-marker', '')}-dir`;
    const run = await kubectl.run([ADMIN, fresh, '-v=6', 'get', 'natgw']);
    expect(run.code).toBe(0);
    // kubectl -v=6 logs each request: "GET https://127.0.0.1:port/apis?timeout=32s 200 OK in 2 milliseconds".
    const paths = [
      ...run.stderr.matchAll(/\b(GET|POST|PUT|PATCH|DELETE) https:\/\/[^/\s]+(\/[^?\s]*)/g),
    ].map((m) => `${m[1]} ${m[2]}`);
    const discovery = paths.filter((p) => /^GET \/(api|apis)(\/[^/]+\/[^/]+)?$/.test(p));
    expect(discovery.sort()).toEqual(['GET /api', 'GET /apis']);
    expect(paths).toContain(
      'GET /apis/networking.ironcore.dev/v1alpha1/namespaces/default/natgateways',
    );
    // A second run reads the cache kubectl wrote: no discovery request at all.
    const cached = await kubectl.run([ADMIN, fresh, '-v=6', 'get', 'natgw']);
    expect(cached.code).toBe(0);
    expect(cached.stderr).not.toMatch(/GET https:\/\/[^/\s]+\/apis?\?/);
  });

  it('applies the seed manifest, then re-applies it changed; get -o jsonpath shows the change', async () => {
    const seed = kubectl.file('natgateway.yaml', SEED_YAML);
    expect(expectOk(await kubectl.run([ADMIN, 'apply', '-f', seed]))).toBe(
      'natgateway.networking.ironcore.dev/natgateway-sample created\n',
    );
    const created = await get(`${API}/namespaces/default/natgateways/natgateway-sample`);
    const annotations = (created.body.metadata as { annotations: Record<string, string> })
      .annotations;
    expect(
      JSON.parse(annotations['kubectl.kubernetes.io/last-applied-configuration']),
    ).toMatchObject({ kind: 'NATGateway', spec: { portsPerNetworkInterface: 64 } });
    expect(expectOk(await kubectl.run([ADMIN, 'apply', '-f', seed]))).toBe(
      'natgateway.networking.ironcore.dev/natgateway-sample unchanged\n',
    );
    const changed = kubectl.file(
      'natgateway.yaml',
      SEED_YAML.replace('portsPerNetworkInterface: 64', 'portsPerNetworkInterface: 128'),
    );
    expect(expectOk(await kubectl.run([ADMIN, 'apply', '-f', changed]))).toBe(
      'natgateway.networking.ironcore.dev/natgateway-sample configured\n',
    );
    const jsonpath = await kubectl.run([
      ADMIN,
      'get',
      'natgw',
      'natgateway-sample',
      '-o',
      'jsonpath={.spec.portsPerNetworkInterface} {.metadata.generation}',
    ]);
    expect(expectOk(jsonpath)).toBe('128 2');
    const yaml = expectOk(
      await kubectl.run([ADMIN, 'get', 'natgateway', 'natgateway-sample', '-o', 'yaml']),
    );
    expect(yaml).toContain('kind: NATGateway');
    expect(yaml).toContain('portsPerNetworkInterface: 128');
    const json = JSON.parse(
      expectOk(
        await kubectl.run([ADMIN, 'get', 'natgateways.networking.ironcore.dev', '-o', 'json']),
      ),
    );
    expect(json.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual([
      'natgateway-sample',
    ]);
  });

  it('rejects a misspelled field by name (fieldValidation=Strict); warns with --validate=warn and ignores with --validate=false', async () => {
    const misspelled = kubectl.file(
      'misspelled.yaml',
      manifest(
        'gw-typo',
        '  type: Public\n  ipFamly: IPv4\n  networkRef:\n    name: network-sample\n',
      ),
    );
    const strict = await kubectl.run([ADMIN, 'apply', '-f', misspelled]);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toBe(
      'Error from server (BadRequest): error when creating "' +
        misspelled +
        '": NATGateway in version "v1alpha1" cannot be handled as a NATGateway: strict decoding error: unknown field "spec.ipFamly"\n',
    );
    expect((await get(`${API}/namespaces/default/natgateways/gw-typo`)).status).toBe(404);
    // Under Warn the misspelling is named beside what it left missing.
    const warnedTypo = await kubectl.run([ADMIN, 'apply', '--validate=warn', '-f', misspelled]);
    expect(warnedTypo.code).toBe(1);
    expect(warnedTypo.stderr).toBe(
      'Warning: unknown field "spec.ipFamly"\nThe NATGateway "gw-typo" is invalid: spec.ipFamily: Required value: must specify ipFamily\n',
    );
    const extra = (name: string) =>
      kubectl.file(
        `${name}.yaml`,
        manifest(
          name,
          '  type: Public\n  ipFamily: IPv6\n  colour: blue\n  networkRef:\n    name: network-sample\n',
        ),
      );
    const warned = await kubectl.run([ADMIN, 'apply', '--validate=warn', '-f', extra('gw-warn')]);
    expect(warned.code).toBe(0);
    expect(warned.stderr).toBe('Warning: unknown field "spec.colour"\n');
    const ignored = await kubectl.run([
      ADMIN,
      'apply',
      '--validate=false',
      '-f',
      extra('gw-ignore'),
    ]);
    expect(expectOk(ignored)).toBe('natgateway.networking.ironcore.dev/gw-ignore created\n');
    const stored = await get(`${API}/namespaces/default/natgateways/gw-ignore`);
    expect(stored.body.spec).toEqual({
      type: 'Public',
      ipFamily: 'IPv6',
      portsPerNetworkInterface: 2048,
      networkRef: { name: 'network-sample' },
    });
  });

  it('prints the Table columns for get (-o wide, -A, --show-labels), for each kind', async () => {
    const nic = kubectl.file(
      'nic.yaml',
      `apiVersion: networking.ironcore.dev/v1alpha1
kind: NetworkInterface
metadata:
  name: nic-1
spec:
  networkRef:
    name: network-sample
  ips: [10.0.0.5]
  nodeName: node-1
---
apiVersion: networking.ironcore.dev/v1alpha1
kind: Network
metadata:
  name: network-sample
`,
    );
    expectOk(await kubectl.run([ADMIN, 'apply', '-f', nic]));
    const gw = await get(`${API}/namespaces/default/natgateways/natgateway-sample`);
    const n1 = await get(`${API}/namespaces/default/networkinterfaces/nic-1`);
    await api.store.append(`allocation:${(gw.body.metadata as { uid: string }).uid}`, [
      {
        type: 'FakeAllocationRecorded',
        data: {
          gatewayUid: (gw.body.metadata as { uid: string }).uid,
          ips: ['203.0.113.9', '203.0.113.10'],
          slot: {
            nicUid: (n1.body.metadata as { uid: string }).uid,
            ip: '203.0.113.9',
            port: 1024,
            endPort: 1151,
          },
        },
      },
    ]);
    const table = await eventually(
      async () => {
        const out = expectOk(await kubectl.run([ADMIN, 'get', 'natgw', 'natgateway-sample']));
        return out.includes('203.0.113') ? out : undefined;
      },
      { what: 'the allocation in the table' },
    );
    const [header, row] = table.trimEnd().split('\n');
    expect(header.split(/\s{2,}/)).toEqual([
      'NAME',
      'NETWORK',
      'IPS',
      'PORTS/NIC',
      'NICS',
      'READY',
      'AGE',
      'DRAIN',
    ]);
    expect(row.split(/\s{2,}/)).toEqual([
      'natgateway-sample',
      'network-sample',
      '203.0.113.9,203.0.113.10',
      '128',
      '1/1',
      'True',
      expect.stringMatching(/^[0-9]+s$/),
      'None',
    ]);
    const wide = expectOk(await kubectl.run([ADMIN, 'get', 'natgateways', '-o', 'wide']));
    expect(wide.split('\n')[0].split(/\s{2,}/)).toEqual([
      'NAME',
      'NETWORK',
      'IPS',
      'PORTS/NIC',
      'NICS',
      'READY',
      'AGE',
      'IP FAMILY',
      'SLOTS',
      'PORTS NEAR/EXHAUSTED',
      'EXTRA IPS NEEDED',
      'DRAIN',
    ]);
    expect(wide).toMatch(
      /gw-ignore\s+network-sample\s+None\s+2048\s+0\/0\s+False\s+\S+\s+IPv6\s+0\/0\s+0\/0\s+0\s+None/,
    );
    expect(wide).toMatch(/natgateway-sample\s+.*\s+IPv4\s+1\/2016\s+0\/0\s+0\s+None\n/);
    const nics = expectOk(await kubectl.run([ADMIN, 'get', 'nic', '-A', '--show-labels']));
    expect(nics.split('\n')[0].split(/\s{2,}/)).toEqual([
      'NAMESPACE',
      'NAME',
      'NETWORK',
      'IPS',
      'NODE',
      'NAT',
      'AGE',
      'LABELS',
    ]);
    expect(nics).toMatch(
      /default\s+nic-1\s+network-sample\s+10\.0\.0\.5\s+node-1\s+203\.0\.113\.9:1024-1151\s+\S+\s+<none>/,
    );
    const vni = (await get(`${API}/namespaces/default/networks/network-sample`)).body.status as {
      vni: number;
    };
    expect(expectOk(await kubectl.run([ADMIN, 'get', 'nw']))).toMatch(
      new RegExp(`^NAME\\s+VNI\\s+AGE\\nnetwork-sample\\s+${vni.vni}\\s+\\S+\\n$`),
    );
    const none = await kubectl.run([ADMIN, 'get', 'natgwas']);
    expect(none).toEqual({
      code: 0,
      stdout: '',
      stderr: 'No resources found in default namespace.\n',
    });
  });

  it('labels, annotates and edits (KUBE_EDITOR) with merge patches', async () => {
    expect(
      expectOk(await kubectl.run([ADMIN, 'label', 'natgw', 'natgateway-sample', 'tier=edge'])),
    ).toBe('natgateway.networking.ironcore.dev/natgateway-sample labeled\n');
    expect(
      expectOk(
        await kubectl.run([ADMIN, 'annotate', 'natgw', 'natgateway-sample', 'owner=team-a']),
      ),
    ).toBe('natgateway.networking.ironcore.dev/natgateway-sample annotated\n');
    const labelled = expectOk(
      await kubectl.run([ADMIN, 'get', 'natgw', '-l', 'tier=edge', '-o', 'name']),
    );
    expect(labelled).toBe('natgateway.networking.ironcore.dev/natgateway-sample\n');
    const editor = kubectl.file(
      'editor.sh',
      '#!/bin/sh\nsed -i "s/portsPerNetworkInterface: 128/portsPerNetworkInterface: 256/" "$1"\n',
      0o755,
    );
    const edited = await kubectl.run([ADMIN, 'edit', 'natgw', 'natgateway-sample'], {
      KUBE_EDITOR: editor,
    });
    expect(expectOk(edited)).toBe('natgateway.networking.ironcore.dev/natgateway-sample edited\n');
    const after = await kubectl.run([
      ADMIN,
      'get',
      'natgw',
      'natgateway-sample',
      '-o',
      'jsonpath={.spec.portsPerNetworkInterface} {.metadata.labels.tier} {.metadata.annotations.owner}',
    ]);
    expect(expectOk(after)).toBe('256 edge team-a');
    // An edit that breaks a rule comes back with the server's reason.
    const breaking = kubectl.file(
      'breaking-editor.sh',
      '#!/bin/sh\nsed -i "s/ipFamily: IPv4/ipFamily: IPv6/" "$1"\n',
      0o755,
    );
    const refused = await kubectl.run([ADMIN, 'edit', 'natgw', 'natgateway-sample'], {
      KUBE_EDITOR: breaking,
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'error: natgateways.networking.ironcore.dev "natgateway-sample" is invalid',
    );
    // kubectl keeps the edit, headed by the causes natgw named.
    const copy = /stored to "([^"]+)"/.exec(refused.stderr)?.[1] ?? '';
    expect(copy.startsWith(kubectl.dir)).toBe(true);
    expect(readFileSync(copy, 'utf8')).toContain('spec.ipFamily: Forbidden: field is immutable');
  });

  it('patches with kubectl patch: strategic (its default) and JSON patch; strategic directives are a 415', async () => {
    const patch = (...args: string[]) =>
      kubectl.run([ADMIN, 'patch', 'natgw', 'natgateway-sample', ...args]);
    expect(expectOk(await patch('-p', '{"spec":{"portsPerNetworkInterface":512}}'))).toBe(
      'natgateway.networking.ironcore.dev/natgateway-sample patched\n',
    );
    const json = await patch(
      '--type=json',
      '-p',
      '[{"op":"test","path":"/spec/portsPerNetworkInterface","value":512},{"op":"replace","path":"/spec/portsPerNetworkInterface","value":256}]',
    );
    expect(expectOk(json)).toBe('natgateway.networking.ironcore.dev/natgateway-sample patched\n');
    const directive = await patch('-p', '{"metadata":{"labels":{"$patch":"replace"}}}');
    expect(directive.code).toBe(1);
    expect(directive.stderr).toContain(
      'the strategic merge patch directive "$patch" is not supported',
    );
    const after = await kubectl.run([
      ADMIN,
      'get',
      'natgw',
      'natgateway-sample',
      '-o',
      'jsonpath={.spec.portsPerNetworkInterface} {.metadata.labels.tier}',
    ]);
    expect(expectOk(after)).toBe('256 edge');
  });

  it("applies server-side: conflicts with kubectl patch's field, diff shows the change, --force-conflicts takes it, --show-managed-fields shows owners", async () => {
    const seed = kubectl.file('natgateway.yaml', SEED_YAML);
    // kubectl patch set portsPerNetworkInterface to 256 above; the seed says 64.
    const conflict = await kubectl.run([ADMIN, 'apply', '--server-side', '-f', seed]);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toContain(
      'Apply failed with 1 conflict: conflict with "kubectl-patch" using networking.ironcore.dev/v1alpha1: .spec.portsPerNetworkInterface',
    );
    expect(conflict.stderr).toContain('--force-conflicts');
    const diff = await kubectl.run([
      ADMIN,
      'diff',
      '--server-side',
      '--force-conflicts',
      '-f',
      seed,
    ]);
    expect(diff.code).toBe(1); // kubectl diff: 1 means "differences found"
    expect(diff.stdout).toMatch(/^-\s+portsPerNetworkInterface: 256$/m);
    expect(diff.stdout).toMatch(/^\+\s+portsPerNetworkInterface: 64$/m);
    // The dry run stored nothing.
    expect(
      (await get(`${API}/namespaces/default/natgateways/natgateway-sample`)).body.spec,
    ).toMatchObject({
      portsPerNetworkInterface: 256,
    });
    expect(
      expectOk(
        await kubectl.run([ADMIN, 'apply', '--server-side', '--force-conflicts', '-f', seed]),
      ),
    ).toBe('natgateway.networking.ironcore.dev/natgateway-sample serverside-applied\n');
    // Create-on-apply, as a server-side dry run: answered, nothing stored.
    const fresh = kubectl.file(
      'ssa-new.yaml',
      manifest(
        'gw-ssa',
        '  type: Public\n  ipFamily: IPv4\n  networkRef:\n    name: network-sample\n',
      ),
    );
    expect(
      expectOk(
        await kubectl.run([ADMIN, 'apply', '--server-side', '--dry-run=server', '-f', fresh]),
      ),
    ).toBe('natgateway.networking.ironcore.dev/gw-ssa serverside-applied (server dry run)\n');
    expect((await get(`${API}/namespaces/default/natgateways/gw-ssa`)).status).toBe(404);
    const same = await kubectl.run([ADMIN, 'diff', '--server-side', '-f', seed]);
    expect({ code: same.code, stdout: same.stdout }).toEqual({ code: 0, stdout: '' });
    const yaml = expectOk(
      await kubectl.run([
        ADMIN,
        'get',
        'natgw',
        'natgateway-sample',
        '-o',
        'yaml',
        '--show-managed-fields',
      ]),
    );
    expect(yaml).toMatch(/^\s+manager: kubectl\n\s+operation: Apply$/m);
    expect(yaml).toContain('f:portsPerNetworkInterface: {}');
    // kubectl-patch owned only that field: forced away, its entry is gone; the others stay.
    expect(yaml).not.toContain('manager: kubectl-patch');
    expect(yaml).toMatch(/manager: kubectl-label\n\s+operation: Update/);
    const hidden = expectOk(
      await kubectl.run([ADMIN, 'get', 'natgw', 'natgateway-sample', '-o', 'yaml']),
    );
    expect(hidden).not.toContain('managedFields');
    const stored = await get(`${API}/namespaces/default/natgateways/natgateway-sample`);
    expect(
      (stored.body.spec as { portsPerNetworkInterface: number }).portsPerNetworkInterface,
    ).toBe(64);
    const managers = (
      stored.body.metadata as {
        managedFields: Array<{ manager: string; operation: string; fieldsV1: object }>;
      }
    ).managedFields;
    const kubectlApply = managers.find((m) => m.manager === 'kubectl' && m.operation === 'Apply');
    expect(JSON.stringify(kubectlApply?.fieldsV1)).toContain('f:portsPerNetworkInterface');
    for (const m of managers.filter((x) => x !== kubectlApply))
      expect(JSON.stringify(m.fieldsV1)).not.toContain('f:portsPerNetworkInterface');
  });

  it('explains the fields with the descriptions of the API docs', async () => {
    const field = expectOk(
      await kubectl.run([ADMIN, 'explain', 'natgateway.spec.portsPerNetworkInterface']),
    );
    expect(field).toContain('KIND:       NATGateway');
    expect(field).toContain('FIELD: portsPerNetworkInterface <integer>');
    expect(field.replace(/\s+/g, ' ')).toContain(
      'The number of ports allocated per network interface: it controls how many simultaneous connections each interface can have',
    );
    expect(field.replace(/\s+/g, ' ')).toContain(
      'If empty, 2048 (DefaultPortsPerNetworkInterface) is the default.',
    );
    const spec = expectOk(await kubectl.run([ADMIN, 'explain', 'natgw.spec']));
    expect(spec).toMatch(/ipFamily\s+<string> -required-/);
    expect(spec).toMatch(/networkRef\s+<NetworkReference> -required-/);
    const nic = expectOk(await kubectl.run([ADMIN, 'explain', 'networkinterface.spec.virtualIP']));
    expect(nic.replace(/\s+/g, ' ')).toContain('gets no NAT for that family');
  });

  it('watches with get -w: ADDED for the objects and new ones, DELETED once deletion is done', async () => {
    const watch = kubectl.start([ADMIN, 'get', 'natgw', '-w', '--output-watch-events']);
    try {
      await watch.until(/ADDED\s+natgateway-sample\s+network-sample/, 'the existing gateway');
      expect(
        watch
          .stdout()
          .split('\n')[0]
          .split(/\s{2,}/),
      ).toEqual(['EVENT', 'NAME', 'NETWORK', 'IPS', 'PORTS/NIC', 'NICS', 'READY', 'AGE', 'DRAIN']);
      const fresh = kubectl.file(
        'watched.yaml',
        manifest(
          'gw-watched',
          '  type: Public\n  ipFamily: IPv4\n  networkRef:\n    name: network-sample\n',
        ),
      );
      expectOk(await kubectl.run([ADMIN, 'create', '-f', fresh]));
      await watch.until(
        /ADDED\s+gw-watched\s+network-sample\s+None\s+2048\s+0\/0\s+False/,
        'ADDED gw-watched',
      );
      const deleting = kubectl.run([ADMIN, 'delete', '-f', fresh]);
      await finishDeletion('gw-watched');
      expect(expectOk(await deleting)).toBe(
        'natgateway.networking.ironcore.dev "gw-watched" deleted\n',
      );
      await watch.until(/DELETED\s+gw-watched/, 'DELETED gw-watched');
      // The header is printed once, and nothing but Table rows follow it.
      const lines = watch.stdout().trimEnd().split('\n');
      expect(lines.filter((l) => l.startsWith('EVENT'))).toHaveLength(1);
      expect(lines.slice(1).every((l) => /^(ADDED|MODIFIED|DELETED)\s/.test(l))).toBe(true);
    } finally {
      await watch.stop();
    }
  });

  it('waits with kubectl wait --for=condition=Ready until the allocation makes the gateway Ready', async () => {
    const objects = kubectl.file(
      'wait.yaml',
      `${manifest('gw-wait', '  type: Public\n  ipFamily: IPv4\n  networkRef:\n    name: network-sample\n')}
---
apiVersion: networking.ironcore.dev/v1alpha1
kind: NetworkInterface
metadata:
  name: nic-wait
spec:
  networkRef:
    name: network-sample
  ips: [10.0.0.77]
`,
    );
    expectOk(await kubectl.run([ADMIN, 'apply', '-f', objects]));
    let finished = false;
    const waiting = kubectl
      .run([ADMIN, 'wait', '--for=condition=Ready', 'natgateway/gw-wait', '--timeout=90s'])
      .finally(() => (finished = true));
    // Not Ready yet: kubectl keeps waiting (its watch is open) until the status changes.
    const early = await kubectl.run([
      ADMIN,
      'wait',
      '--for=condition=Ready',
      'natgateway/gw-wait',
      '--timeout=2s',
    ]);
    expect(early.code).not.toBe(0);
    expect(early.stderr).toContain('timed out waiting for the condition');
    expect(finished).toBe(false);
    const gw = await get(`${API}/namespaces/default/natgateways/gw-wait`);
    const nic = await get(`${API}/namespaces/default/networkinterfaces/nic-wait`);
    const gatewayUid = (gw.body.metadata as { uid: string }).uid;
    await api.store.append(`allocation:${gatewayUid}`, [
      {
        type: 'FakeAllocationRecorded',
        data: {
          gatewayUid,
          ips: ['203.0.113.77'],
          slot: {
            nicUid: (nic.body.metadata as { uid: string }).uid,
            ip: '203.0.113.77',
            port: 2048,
            endPort: 4095,
          },
        },
      },
    ]);
    expect(expectOk(await waiting)).toBe(
      'natgateway.networking.ironcore.dev/gw-wait condition met\n',
    );
  });

  it('gives a read-only token Forbidden on apply, and an unknown token Unauthorized', async () => {
    const seed = kubectl.file('natgateway.yaml', SEED_YAML);
    const viewer = await kubectl.run([VIEWER, 'apply', '-f', seed]);
    expect(viewer.code).toBe(1);
    expect(viewer.stderr).toContain('Error from server (Forbidden): error when applying patch:');
    expect(viewer.stderr).toContain(
      'natgateways.networking.ironcore.dev "natgateway-sample" is forbidden: User "viewer" cannot patch resource "natgateways" in API group "networking.ironcore.dev" in the namespace "default"',
    );
    const create = kubectl.file(
      'viewer.yaml',
      manifest(
        'gw-viewer',
        '  type: Public\n  ipFamily: IPv4\n  networkRef:\n    name: network-sample\n',
      ),
    );
    const creating = await kubectl.run([VIEWER, 'apply', '-f', create]);
    expect(creating.stderr).toBe(
      `Error from server (Forbidden): error when creating "${create}": natgateways.networking.ironcore.dev is forbidden: User "viewer" cannot create resource "natgateways" in API group "networking.ironcore.dev" in the namespace "default": its token grants read only, not write\n`,
    );
    // Reading is what the viewer may do.
    expect(
      expectOk(await kubectl.run([VIEWER, 'get', 'natgw', 'natgateway-sample', '-o', 'name'])),
    ).toBe('natgateway.networking.ironcore.dev/natgateway-sample\n');
    const across = await kubectl.run([VIEWER, 'get', 'natgw', '-A']);
    expect(across.stderr).toContain(
      'Error from server (Forbidden): natgateways.networking.ironcore.dev is forbidden: User "viewer" cannot list resource "natgateways"',
    );
    const unknown = await kubectl.run(['--token=not-a-token', 'get', 'natgw']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/error: You must be logged in to the server \(.*\)\n$/);
  });

  it('applies a NATGatewayQuota, shows its usage in get, and shows kubectl the exceeded-quota 403', async () => {
    const quota = kubectl.file(
      'quota.yaml',
      `apiVersion: natgw.ironcore.dev/v1alpha1
kind: NATGatewayQuota
metadata:
  name: one-gateway
  namespace: kq
spec:
  hard:
    natgateways: 1
`,
    );
    expect(expectOk(await kubectl.run([ADMIN, 'apply', '-f', quota]))).toBe(
      'natgatewayquota.natgw.ironcore.dev/one-gateway created\n',
    );
    const gw = (name: string) =>
      kubectl.file(
        `${name}.yaml`,
        manifest(name, '  type: Public\n  ipFamily: IPv4\n  networkRef:\n    name: net\n').replace(
          'namespace: default',
          'namespace: kq',
        ),
      );
    expect(expectOk(await kubectl.run([ADMIN, 'create', '-f', gw('gw-1')]))).toContain('created');
    const second = await kubectl.run([ADMIN, 'create', '-f', gw('gw-2')]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('Error from server (Forbidden): error when creating');
    expect(second.stderr).toContain(
      'natgateways.networking.ironcore.dev "gw-2" is forbidden: exceeded quota: one-gateway, requested: natgateways=1, used: natgateways=1, limited: natgateways=1',
    );
    const table = expectOk(await kubectl.run([ADMIN, 'get', 'natgwquota', '-n', 'kq']));
    const [header, row] = table.trimEnd().split('\n');
    expect(header.split(/\s{2,}/)).toEqual(['NAME', 'USED', 'AGE']);
    expect(row.split(/\s{2,}/).slice(0, 2)).toEqual(['one-gateway', 'natgateways: 1/1']);
  });

  it('deletes: kubectl waits while natgw releases the gateway, then it is gone', async () => {
    const seed = kubectl.file('natgateway.yaml', SEED_YAML);
    const deleting = kubectl.run([ADMIN, 'delete', '-f', seed]);
    await finishDeletion('natgateway-sample');
    expect(expectOk(await deleting)).toBe(
      'natgateway.networking.ironcore.dev "natgateway-sample" deleted\n',
    );
    const gone = await kubectl.run([ADMIN, 'get', 'natgw', 'natgateway-sample']);
    expect(gone).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'Error from server (NotFound): natgateways.networking.ironcore.dev "natgateway-sample" not found\n',
    });
    // Without a finalizer a Network goes at once.
    const spare = kubectl.file(
      'network.yaml',
      'apiVersion: networking.ironcore.dev/v1alpha1\nkind: Network\nmetadata:\n  name: network-spare\n',
    );
    expectOk(await kubectl.run([ADMIN, 'apply', '-f', spare]));
    expect(expectOk(await kubectl.run([ADMIN, 'delete', 'nw', 'network-spare']))).toBe(
      'network.networking.ironcore.dev "network-spare" deleted\n',
    );
    expect((await get(`${API}/namespaces/default/networks/network-spare`)).status).toBe(404);
  });
});
