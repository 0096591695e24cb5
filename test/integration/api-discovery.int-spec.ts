// What kubectl reads besides the resources: discovery, the Kubernetes OpenAPI v3
// index and per-group documents, and the Table and PartialObjectMetadata
// representations of reads (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`).
import request from 'supertest';
import { WatchEvent } from '@natgw/contracts';
import { API, openWatch, SEED_YAML, startTestApi, TestApi } from './api-test-app';

jest.setTimeout(120_000);

const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io';
// What kubectl get sends.
const KUBECTL_GET = `${TABLE},application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json`;
const AGGREGATED =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';

type Named = { name: string };
type Column = { name: string; priority: number };
interface TableObject {
  kind: string;
  columnDefinitions?: Column[];
  rows: Array<{ cells: unknown[]; object: { metadata: { labels?: Record<string, string> } } }>;
}

describe('api-gateway discovery, OpenAPI v3 and Table output', () => {
  let api: TestApi;
  const http = () => request(api.url);

  beforeAll(async () => {
    api = await startTestApi('api_discovery');
    await http()
      .post(`${API}/namespaces/default/natgateways`)
      .set('Content-Type', 'application/yaml')
      .send(SEED_YAML)
      .expect(201);
    await http()
      .post(`${API}/namespaces/default/networkinterfaces`)
      .send({
        metadata: { name: 'nic-1', labels: { app: 'web' } },
        spec: { networkRef: { name: 'network-sample' }, ips: ['10.0.0.5'], nodeName: 'node-1' },
      })
      .expect(201);
  });

  afterAll(async () => {
    await api?.close();
  });

  it('serves discovery: APIVersions, APIGroupList, APIGroup and APIResourceList with short names and subresources', async () => {
    expect((await http().get('/api')).body).toEqual({
      kind: 'APIVersions',
      versions: [],
      serverAddressByClientCIDRs: [],
    });
    const groups = (await http().get('/apis')).body;
    expect(groups.kind).toBe('APIGroupList');
    expect(groups.groups.map((g: Named) => g.name)).toEqual([
      'networking.ironcore.dev',
      'natgw.ironcore.dev',
    ]);
    expect(groups.groups[0].preferredVersion).toEqual({
      groupVersion: 'networking.ironcore.dev/v1alpha1',
      version: 'v1alpha1',
    });
    expect((await http().get('/apis/natgw.ironcore.dev')).body).toMatchObject({
      kind: 'APIGroup',
      name: 'natgw.ironcore.dev',
    });
    const list = (await http().get(API)).body;
    expect(list).toMatchObject({
      kind: 'APIResourceList',
      groupVersion: 'networking.ironcore.dev/v1alpha1',
    });
    const byName = Object.fromEntries(list.resources.map((r: Named) => [r.name, r]));
    expect(byName.natgateways).toEqual({
      name: 'natgateways',
      singularName: 'natgateway',
      namespaced: true,
      kind: 'NATGateway',
      verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
      shortNames: ['natgw'],
    });
    expect(byName['natgateways/status']).toMatchObject({ kind: 'NATGateway', verbs: ['get'] });
    expect(byName['natgateways/nattable']).toMatchObject({ kind: 'NATTable', verbs: ['get'] });
    expect(byName['natgateways/finalize']).toMatchObject({ kind: 'NATGateway', verbs: ['create'] });
    expect(byName['networkinterfaces/finalize']).toMatchObject({ verbs: ['create'] });
    expect(byName['networks/finalize']).toBeUndefined();
    expect(byName.networkinterfaces.shortNames).toEqual(['nic']);
    expect(byName.networks.shortNames).toEqual(['nw']);
    expect(byName.natgatewayautoscalers.shortNames).toEqual(['natgwas']);
    const admin = (await http().get('/apis/natgw.ironcore.dev/v1alpha1')).body;
    expect(admin.resources).toEqual([
      {
        name: 'ippools',
        singularName: 'ippool',
        namespaced: false,
        kind: 'IPPool',
        verbs: ['create', 'delete', 'get', 'list', 'patch', 'update'],
        shortNames: ['ipp'],
      },
      {
        name: 'natgatewayquotas',
        singularName: 'natgatewayquota',
        namespaced: true,
        kind: 'NATGatewayQuota',
        verbs: ['create', 'delete', 'get', 'list', 'patch', 'update'],
        shortNames: ['natgwquota'],
      },
    ]);
    expect((await http().get('/apis/example.com/v1')).status).toBe(404);
    expect((await http().get('/apis/example.com')).status).toBe(404);
    expect((await http().post('/apis')).status).toBe(405);
    expect((await http().get('/version')).body).toMatchObject({
      major: '1',
      minor: '31',
      gitVersion: 'v1.31.0+natgw',
    });
  });

  it('serves aggregated discovery (v2, v2beta1) on /api and /apis when asked first, the classic documents otherwise', async () => {
    for (const version of ['v2', 'v2beta1']) {
      const accept = `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList,application/json`;
      const apis = await http().get('/apis').set('Accept', accept);
      expect(apis.status).toBe(200);
      expect(apis.headers['content-type']).toMatch(
        new RegExp(
          `^application/json;g=apidiscovery\\.k8s\\.io;v=${version};as=APIGroupDiscoveryList`,
        ),
      );
      expect(apis.headers.vary).toContain('Accept');
      const doc = JSON.parse(apis.text);
      expect(doc).toMatchObject({
        kind: 'APIGroupDiscoveryList',
        apiVersion: `apidiscovery.k8s.io/${version}`,
      });
      // Everything the classic per-version document lists, in the one aggregated document.
      for (const gv of ['networking.ironcore.dev/v1alpha1', 'natgw.ironcore.dev/v1alpha1']) {
        const [group, v] = gv.split('/');
        const classic = (await http().get(`/apis/${gv}`)).body.resources as Array<{ name: string }>;
        const item = doc.items.find((i: { metadata: Named }) => i.metadata.name === group);
        const resources = item.versions.find((x: { version: string }) => x.version === v)
          .resources as Array<{ resource: string; subresources?: Array<{ subresource: string }> }>;
        expect(
          resources.flatMap((r) => [
            r.resource,
            ...(r.subresources ?? []).map((s) => `${r.resource}/${s.subresource}`),
          ]),
        ).toEqual(classic.map((c) => c.name));
      }
      const gw = doc.items[0].versions[0].resources.find(
        (r: { resource: string }) => r.resource === 'natgateways',
      );
      expect(gw).toMatchObject({
        responseKind: { group: 'networking.ironcore.dev', version: 'v1alpha1', kind: 'NATGateway' },
        scope: 'Namespaced',
        singularResource: 'natgateway',
        shortNames: ['natgw'],
      });
      const legacy = await http().get('/api').set('Accept', accept);
      expect(JSON.parse(legacy.text)).toEqual({
        kind: 'APIGroupDiscoveryList',
        apiVersion: `apidiscovery.k8s.io/${version}`,
        metadata: {},
        items: [],
      });
    }
    const classic = await http().get('/apis').set('Accept', 'application/json');
    expect(classic.headers['content-type']).toMatch(/^application\/json; charset=utf-8$/);
    expect(classic.body.kind).toBe('APIGroupList');
    const plainFirst = await http().get('/api').set('Accept', `application/json,${AGGREGATED}`);
    expect(plainFirst.body.kind).toBe('APIVersions');
    const neither = await http().get('/apis').set('Accept', 'application/yaml');
    expect(neither.status).toBe(406);
    expect(neither.body).toMatchObject({ kind: 'Status', reason: 'NotAcceptable', code: 406 });
  });

  it('serves the Kubernetes OpenAPI v3 index and per-group documents that kubectl apply and explain need', async () => {
    const index = (await http().get('/openapi/v3')).body;
    const keys = Object.keys(index.paths);
    expect(keys).toEqual([
      'apis/networking.ironcore.dev/v1alpha1',
      'apis/natgw.ironcore.dev/v1alpha1',
    ]);
    const url: string = index.paths['apis/networking.ironcore.dev/v1alpha1'].serverRelativeURL;
    expect(url).toMatch(
      /^\/openapi\/v3\/apis\/networking\.ironcore\.dev\/v1alpha1\?hash=[0-9A-F]{128}$/,
    );
    const res = await http().get(url);
    expect(res.headers['cache-control']).toContain('immutable');
    const doc = res.body;
    expect(doc.openapi).toMatch(/^3\./);
    const schemas = doc.components.schemas;
    const gw = schemas['dev.ironcore.networking.v1alpha1.NATGateway'];
    expect(gw['x-kubernetes-group-version-kind']).toEqual([
      { group: 'networking.ironcore.dev', version: 'v1alpha1', kind: 'NATGateway' },
    ]);
    const spec = schemas['dev.ironcore.networking.v1alpha1.NATGatewaySpec'];
    expect(spec.properties.portsPerNetworkInterface.description).toContain(
      'number of ports allocated per network interface',
    );
    // Server-side apply's list types: atomic lists, conditions keyed by type.
    const nicSpec = schemas['dev.ironcore.networking.v1alpha1.NetworkInterfaceSpec'];
    expect(nicSpec.properties.ips['x-kubernetes-list-type']).toBe('atomic');
    const arrays = [...JSON.stringify(doc.components).matchAll(/"type":"array"/g)].length;
    const marked = [...JSON.stringify(doc.components).matchAll(/"x-kubernetes-list-type":/g)]
      .length;
    expect(marked).toBe(arrays);
    const status = schemas['dev.ironcore.networking.v1alpha1.NATGatewayStatus'];
    expect(status.properties.conditions).toMatchObject({
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['type'],
    });
    // Every reference resolves inside the document.
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)];
    for (const [, name] of refs) expect([name, name in schemas]).toEqual([name, true]);
    const item = doc.paths[`${API}/namespaces/{namespace}/natgateways/{name}`];
    const gvk = { group: 'networking.ironcore.dev', version: 'v1alpha1', kind: 'NATGateway' };
    expect(item.patch['x-kubernetes-action']).toBe('patch');
    expect(item.patch['x-kubernetes-group-version-kind']).toEqual(gvk);
    for (const write of [
      item.patch,
      item.put,
      doc.paths[`${API}/namespaces/{namespace}/natgateways`].post,
    ]) {
      expect(write.parameters).toContainEqual(
        expect.objectContaining({ name: 'fieldValidation', in: 'query' }),
      );
    }
    // No strategic merge patch: kubectl then sends JSON merge patches, which natgw applies.
    expect(Object.keys(item.patch.requestBody.content)).toContain('application/apply-patch+yaml');
    expect(Object.keys(item.patch.requestBody.content)).not.toContain(
      'application/strategic-merge-patch+json',
    );
    expect(doc.paths[`${API}/natgateways`].get['x-kubernetes-group-version-kind']).toEqual(gvk);
    // The other group's paths stay in its own document.
    expect(Object.keys(doc.paths).every((p) => p.startsWith(`${API}/`))).toBe(true);
    const admin = (await http().get('/openapi/v3/apis/natgw.ironcore.dev/v1alpha1')).body;
    expect(
      admin.components.schemas['dev.ironcore.natgw.v1alpha1.IPPool'][
        'x-kubernetes-group-version-kind'
      ],
    ).toEqual([{ group: 'natgw.ironcore.dev', version: 'v1alpha1', kind: 'IPPool' }]);
    expect((await http().get('/openapi/v3/apis/example.com/v1')).status).toBe(404);
  });

  it('answers a Table for kubectl get (lists and single objects), and plain JSON without the header', async () => {
    const table = (
      await http().get(`${API}/namespaces/default/natgateways`).set('Accept', KUBECTL_GET)
    ).body;
    expect(table).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1' });
    expect(table.metadata.resourceVersion).toMatch(/^[0-9]+$/);
    expect(table.columnDefinitions.map((c: Column) => [c.name, c.priority])).toEqual([
      ['Name', 0],
      ['Network', 0],
      ['IPs', 0],
      ['Ports/NIC', 0],
      ['NICs', 0],
      ['Ready', 0],
      ['Age', 0],
      ['IP Family', 1],
      ['Slots', 1],
      ['Ports Near/Exhausted', 1],
      ['Extra IPs Needed', 1],
      ['Drain', 0],
    ]);
    expect(table.rows).toHaveLength(1);
    expect(table.rows[0].cells).toEqual([
      'natgateway-sample',
      'network-sample',
      'None',
      '64',
      '0/0',
      'False',
      expect.stringMatching(/^[0-9]+s$/),
      'IPv4',
      '0/0',
      '0/0',
      0,
      'None',
    ]);
    expect(table.rows[0].object).toMatchObject({
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1',
      metadata: { name: 'natgateway-sample', namespace: 'default' },
    });
    const nic = (
      await http()
        .get(`${API}/namespaces/default/networkinterfaces/nic-1?includeObject=Object`)
        .set('Accept', KUBECTL_GET)
    ).body;
    expect(nic.columnDefinitions.map((c: Column) => c.name).slice(0, 6)).toEqual([
      'Name',
      'Network',
      'IPs',
      'Node',
      'NAT',
      'Age',
    ]);
    expect(nic.rows[0].cells.slice(0, 5)).toEqual([
      'nic-1',
      'network-sample',
      '10.0.0.5',
      'node-1',
      'None',
    ]);
    expect(nic.rows[0].object.kind).toBe('NetworkInterface');
    const none = (await http().get(`${API}/networks?includeObject=None`).set('Accept', TABLE)).body;
    expect(none.rows).toEqual([]);
    expect(
      (await http().get(`${API}/natgateways?includeObject=All`).set('Accept', TABLE)).status,
    ).toBe(400);
    const plain = await http().get(`${API}/namespaces/default/natgateways`);
    expect(plain.body.kind).toBe('NATGatewayList');
    const partial = (
      await http()
        .get(`${API}/namespaces/default/natgateways`)
        .set('Accept', 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io')
    ).body;
    expect(partial.kind).toBe('PartialObjectMetadataList');
    expect(partial.items[0]).toEqual({
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1',
      metadata: expect.objectContaining({ name: 'natgateway-sample' }),
    });
    const yamlOnly = await http()
      .get(`${API}/namespaces/default/natgateways`)
      .set('Accept', 'application/yaml');
    expect(yamlOnly.status).toBe(406);
  });

  it('watches in Table form: the column definitions with the first event, one row per event', async () => {
    const watch = await openWatch(api.url, `${API}/namespaces/default/natgateways?watch=true`, {
      Accept: KUBECTL_GET,
    });
    await watch.until((e) => e.length === 1, 'the ADDED of the existing gateway');
    await http()
      .patch(`${API}/namespaces/default/natgateways/natgateway-sample`)
      .set('Content-Type', 'application/merge-patch+json')
      .send({ metadata: { labels: { tier: 'edge' } } })
      .expect(200);
    const events = await watch.until((e) => e.length === 2, 'the MODIFIED');
    watch.close();
    const [added, modified] = events as Array<WatchEvent<TableObject>>;
    expect(added.type).toBe('ADDED');
    expect(added.object.kind).toBe('Table');
    expect(added.object.columnDefinitions).toHaveLength(12);
    expect(added.object.rows[0].cells[0]).toBe('natgateway-sample');
    expect(modified.type).toBe('MODIFIED');
    expect(modified.object.columnDefinitions).toBeUndefined();
    expect(modified.object.rows[0].object.metadata.labels).toEqual({ tier: 'edge' });
  });
});
