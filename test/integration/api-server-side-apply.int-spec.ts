import request from 'supertest';
import { ManagedFieldsEntry } from '@natgw/contracts';
import { API, startTestApi, TestApi } from './api-test-app';

jest.setTimeout(180_000);

const APPLY = 'application/apply-patch+yaml';

/** Which managers (manager/operation) own which field, read from FieldsV1 (the oracle's own decoder). */
function owners(entries: ManagedFieldsEntry[] | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const walk = (node: Record<string, unknown>, at: string[], who: string) => {
    const keys = Object.keys(node).filter((k) => k.startsWith('f:'));
    if (keys.length === 0) (out[at.join('.')] ??= []).push(who);
    for (const k of keys) walk(node[k] as Record<string, unknown>, [...at, k.slice(2)], who);
  };
  for (const e of entries ?? []) walk(e.fieldsV1, [], `${e.manager}/${e.operation}`);
  for (const k of Object.keys(out)) out[k].sort();
  return out;
}

const gatewayYaml = (
  name: string,
  extra = '',
  labels = '',
) => `apiVersion: networking.ironcore.dev/v1alpha1
kind: NATGateway
metadata:
  name: ${name}
${labels}spec:
  type: Public
  ipFamily: IPv4
  networkRef:
    name: net
${extra}`;

describe('api-gateway server-side apply', () => {
  let api: TestApi;
  const http = () => request(api.url);
  const url = (name: string) => `${API}/namespaces/ssa/natgateways/${name}`;
  const apply = (name: string, body: string, query = 'fieldManager=alice') =>
    http()
      .patch(`${url(name)}?${query}`)
      .set('Content-Type', APPLY)
      .send(body);

  beforeAll(async () => {
    api = await startTestApi('api_ssa');
    await http()
      .post(`${API}/namespaces/ssa/networks`)
      .send({ metadata: { name: 'net' } })
      .expect(201);
  });

  afterAll(async () => {
    await api?.close();
  });

  it('requires fieldManager, apiVersion and kind', async () => {
    const none = await apply('gw-x', gatewayYaml('gw-x'), '');
    expect([none.status, none.body.reason, none.body.message]).toEqual([
      400,
      'BadRequest',
      'fieldManager is required for apply requests',
    ]);
    const noKind = await apply('gw-x', 'metadata:\n  name: gw-x\n');
    expect([noKind.status, noKind.body.message]).toEqual([
      400,
      'apiVersion must be set in an apply configuration',
    ]);
  });

  it('creates on apply (201), owning exactly the applied fields; a dry run stores nothing', async () => {
    const dry = await apply('gw-a', gatewayYaml('gw-a'), 'fieldManager=alice&dryRun=All');
    expect(dry.status).toBe(201);
    expect((await http().get(url('gw-a'))).status).toBe(404);
    const res = await apply(
      'gw-a',
      gatewayYaml('gw-a', '  portsPerNetworkInterface: 512\n', '  labels:\n    app: web\n'),
    );
    expect(res.status).toBe(201);
    expect(res.body.spec).toEqual({
      type: 'Public',
      ipFamily: 'IPv4',
      portsPerNetworkInterface: 512,
      networkRef: { name: 'net' },
    });
    expect(res.body.metadata.managedFields).toEqual([
      {
        manager: 'alice',
        operation: 'Apply',
        apiVersion: 'networking.ironcore.dev/v1alpha1',
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': {
            'f:ipFamily': {},
            'f:networkRef': { 'f:name': {} },
            'f:portsPerNetworkInterface': {},
            'f:type': {},
          },
        },
      },
    ]);
    // Read back from the log's projection: the same.
    expect((await http().get(url('gw-a'))).body.metadata.managedFields).toEqual(
      res.body.metadata.managedFields,
    );
  });

  it('tracks PUT and merge PATCH as Update; applying another value of their field is a 409 FieldManagerConflict, force takes it', async () => {
    const patched = await http()
      .patch(`${url('gw-a')}?fieldManager=kubectl-edit`)
      .set('Content-Type', 'application/merge-patch+json')
      .send({ spec: { portsPerNetworkInterface: 1024 }, metadata: { labels: { tier: 'edge' } } });
    expect(patched.status).toBe(200);
    expect(owners(patched.body.metadata.managedFields)).toMatchObject({
      'spec.portsPerNetworkInterface': ['kubectl-edit/Update'],
      'metadata.labels.tier': ['kubectl-edit/Update'],
      'metadata.labels.app': ['alice/Apply'],
    });
    const conflict = await apply(
      'gw-a',
      gatewayYaml('gw-a', '  portsPerNetworkInterface: 2048\n', '  labels:\n    app: web\n'),
    );
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({
      kind: 'Status',
      reason: 'Conflict',
      code: 409,
      message:
        'Apply failed with 1 conflict: conflict with "kubectl-edit" using networking.ironcore.dev/v1alpha1: .spec.portsPerNetworkInterface',
      details: {
        causes: [
          {
            reason: 'FieldManagerConflict',
            message: 'conflict with "kubectl-edit" using networking.ironcore.dev/v1alpha1',
            field: '.spec.portsPerNetworkInterface',
          },
        ],
      },
    });
    expect((await http().get(url('gw-a'))).body.spec.portsPerNetworkInterface).toBe(1024);
    const forced = await apply(
      'gw-a',
      gatewayYaml('gw-a', '  portsPerNetworkInterface: 2048\n', '  labels:\n    app: web\n'),
      'fieldManager=alice&force=true',
    );
    expect(forced.status).toBe(200);
    expect(forced.body.spec.portsPerNetworkInterface).toBe(2048);
    expect(owners(forced.body.metadata.managedFields)['spec.portsPerNetworkInterface']).toEqual([
      'alice/Apply',
    ]);
    // PUT by another manager: Update for what it changed.
    const current = forced.body;
    const put = await http()
      .put(`${url('gw-a')}?fieldManager=replacer`)
      .send({ ...current, metadata: { ...current.metadata, annotations: { note: 'x' } } });
    expect(put.status).toBe(200);
    expect(owners(put.body.metadata.managedFields)['metadata.annotations.note']).toEqual([
      'replacer/Update',
    ]);
  });

  it('removes a field the applier stops applying unless another manager owns it', async () => {
    const res = await apply('gw-a', gatewayYaml('gw-a'));
    expect(res.status).toBe(200);
    // portsPerNetworkInterface went back to its default; app was alice's alone: gone; tier is kubectl-edit's: kept.
    expect(res.body.spec.portsPerNetworkInterface).toBe(2048);
    expect(res.body.metadata.labels).toEqual({ tier: 'edge' });
    expect(res.body.metadata.annotations).toEqual({ note: 'x' });
    expect(owners(res.body.metadata.managedFields)).toEqual({
      'metadata.labels.tier': ['kubectl-edit/Update'],
      'metadata.annotations.note': ['replacer/Update'],
      'spec.type': ['alice/Apply'],
      'spec.ipFamily': ['alice/Apply'],
      'spec.networkRef.name': ['alice/Apply'],
    });
  });

  it('is conditional on a resourceVersion in the configuration (409 when stale) and validates the result (422)', async () => {
    const stale = await apply(
      'gw-a',
      gatewayYaml('gw-a').replace('  name: gw-a\n', '  name: gw-a\n  resourceVersion: "1"\n'),
    );
    expect([stale.status, stale.body.reason]).toEqual([409, 'Conflict']);
    const invalid = await apply('gw-a', gatewayYaml('gw-a', '  portsPerNetworkInterface: 3\n'));
    expect([invalid.status, invalid.body.reason]).toEqual([422, 'Invalid']);
    expect(invalid.body.details.causes[0].field).toBe('spec.portsPerNetworkInterface');
    const unknown = await apply('gw-a', gatewayYaml('gw-a', '  portsPerNIC: 64\n'));
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toContain('unknown field "spec.portsPerNIC"');
  });

  it("keeps every applier's fields when many apply disjoint labels at once (create-on-apply included)", async () => {
    const appliers = Array.from({ length: 12 }, (_, i) => `applier-${i}`);
    const results = await Promise.all(
      appliers.map((m, i) =>
        apply(
          'gw-race',
          gatewayYaml('gw-race', '', `  labels:\n    owner-${i}: "${i}"\n`),
          `fieldManager=${m}`,
        ),
      ),
    );
    // One created it; the others applied onto it (shared spec values: no conflict).
    expect(results.map((r) => r.status).sort((a, b) => b - a)).toEqual([
      201,
      ...Array(11).fill(200),
    ]);
    const final = (await http().get(url('gw-race'))).body;
    expect(final.metadata.labels).toEqual(
      Object.fromEntries(appliers.map((_, i) => [`owner-${i}`, `${i}`])),
    );
    const own = owners(final.metadata.managedFields);
    for (let i = 0; i < appliers.length; i++)
      expect(own[`metadata.labels.owner-${i}`]).toEqual([`applier-${i}/Apply`]);
    expect(own['spec.type']).toEqual(appliers.map((m) => `${m}/Apply`).sort());
    // One applier stops applying its label: only that one goes.
    const dropped = await apply('gw-race', gatewayYaml('gw-race'), 'fieldManager=applier-3');
    expect(dropped.status).toBe(200);
    expect(Object.keys(dropped.body.metadata.labels)).toHaveLength(11);
    expect(dropped.body.metadata.labels['owner-3']).toBeUndefined();
  });

  it('answers a creating create with an Update entry for its manager (from the User-Agent when not named)', async () => {
    const res = await http()
      .post(`${API}/namespaces/ssa/networks`)
      .set('User-Agent', 'my-tool/1.2 (linux)')
      .send({ metadata: { name: 'made', labels: { a: 'b' } } });
    expect(res.status).toBe(201);
    expect(res.body.metadata.managedFields).toEqual([
      expect.objectContaining({
        manager: 'my-tool',
        operation: 'Update',
        fieldsV1: { 'f:metadata': { 'f:labels': { 'f:a': {} } } },
      }),
    ]);
  });
});
