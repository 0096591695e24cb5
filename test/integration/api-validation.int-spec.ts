import request from 'supertest';
import { API, startTestApi, TestApi } from './api-test-app';

jest.setTimeout(120_000);

type Body = Record<string, unknown>;

const bases: Record<string, Body> = {
  natgateways: {
    apiVersion: 'networking.ironcore.dev/v1alpha1',
    kind: 'NATGateway',
    metadata: { name: 'gw' },
    spec: {
      type: 'Public',
      ipFamily: 'IPv4',
      portsPerNetworkInterface: 64,
      networkRef: { name: 'net' },
    },
  },
  networkinterfaces: {
    apiVersion: 'networking.ironcore.dev/v1alpha1',
    kind: 'NetworkInterface',
    metadata: { name: 'nic' },
    spec: { networkRef: { name: 'net' }, ips: ['10.0.0.1', 'fd00::1'], nodeName: 'node-1' },
  },
  natgatewayautoscalers: {
    apiVersion: 'networking.ironcore.dev/v1alpha1',
    kind: 'NATGatewayAutoscaler',
    metadata: { name: 'as' },
    spec: { natGatewayRef: { name: 'gw' }, minPublicIPs: 1, maxPublicIPs: 3 },
  },
  networks: {
    apiVersion: 'networking.ironcore.dev/v1alpha1',
    kind: 'Network',
    metadata: { name: 'net' },
    spec: {},
  },
};

/** A copy of `body` with the value at a dotted path replaced (undefined deletes it). */
function set(body: Body, path: string, value: unknown): Body {
  const copy = structuredClone(body);
  const keys = path.split('.');
  let at = copy as Record<string, unknown>;
  for (const k of keys.slice(0, -1)) {
    if (typeof at[k] !== 'object' || at[k] === null) at[k] = {};
    at = at[k] as Record<string, unknown>;
  }
  const last = keys[keys.length - 1];
  if (value === undefined) delete at[last];
  else at[last] = value;
  return copy;
}

// [plural, what, path in the body, value, expected cause field, expected cause reason]
const CASES: Array<[string, string, string, unknown, string, string]> = [
  // metadata: names, labels and annotations the Kubernetes way
  [
    'natgateways',
    'name missing',
    'metadata.name',
    undefined,
    'metadata.name',
    'FieldValueRequired',
  ],
  ['natgateways', 'name empty', 'metadata.name', '', 'metadata.name', 'FieldValueRequired'],
  [
    'natgateways',
    'name not a string',
    'metadata.name',
    5,
    'metadata.name',
    'FieldValueTypeInvalid',
  ],
  [
    'natgateways',
    'name with "_"',
    'metadata.name',
    'bad_name',
    'metadata.name',
    'FieldValueInvalid',
  ],
  [
    'natgateways',
    'name with a dot (a label, not a subdomain)',
    'metadata.name',
    'a.b',
    'metadata.name',
    'FieldValueInvalid',
  ],
  [
    'natgateways',
    'name of 64 characters',
    'metadata.name',
    'a'.repeat(64),
    'metadata.name',
    'FieldValueTooLong',
  ],
  [
    'networks',
    'subdomain name with upper case',
    'metadata.name',
    'Net',
    'metadata.name',
    'FieldValueInvalid',
  ],
  [
    'networks',
    'subdomain name of 254 characters',
    'metadata.name',
    'a'.repeat(254),
    'metadata.name',
    'FieldValueTooLong',
  ],
  [
    'natgateways',
    'label key with a space',
    'metadata.labels',
    { 'a b': 'x' },
    'metadata.labels',
    'FieldValueInvalid',
  ],
  [
    'natgateways',
    'label key with a bad prefix',
    'metadata.labels',
    { 'Bad_/x': 'y' },
    'metadata.labels',
    'FieldValueInvalid',
  ],
  [
    'natgateways',
    'label key name of 64 characters',
    'metadata.labels',
    { ['k'.repeat(64)]: 'y' },
    'metadata.labels',
    'FieldValueInvalid',
  ],
  [
    'natgateways',
    'label value with a space',
    'metadata.labels',
    { app: 'a b' },
    'metadata.labels',
    'FieldValueInvalid',
  ],
  [
    'natgateways',
    'label value of 64 characters',
    'metadata.labels',
    { app: 'v'.repeat(64) },
    'metadata.labels',
    'FieldValueInvalid',
  ],
  [
    'natgateways',
    'label value not a string',
    'metadata.labels',
    { app: 5 },
    'metadata.labels.app',
    'FieldValueTypeInvalid',
  ],
  [
    'natgateways',
    'labels not a map',
    'metadata.labels',
    ['a'],
    'metadata.labels',
    'FieldValueTypeInvalid',
  ],
  [
    'natgateways',
    'annotation key with a space',
    'metadata.annotations',
    { 'a b': 'x' },
    'metadata.annotations',
    'FieldValueInvalid',
  ],
  [
    'natgateways',
    'annotation value not a string',
    'metadata.annotations',
    { a: true },
    'metadata.annotations.a',
    'FieldValueTypeInvalid',
  ],
  [
    'natgateways',
    'annotations over 256 KiB',
    'metadata.annotations',
    { a: 'x'.repeat(262_144) },
    'metadata.annotations',
    'FieldValueTooLong',
  ],
  // NATGateway spec
  ['natgateways', 'spec not an object', 'spec', 'x', 'spec', 'FieldValueTypeInvalid'],
  ['natgateways', 'type missing', 'spec.type', undefined, 'spec.type', 'FieldValueRequired'],
  [
    'natgateways',
    'type spelled "public"',
    'spec.type',
    'public',
    'spec.type',
    'FieldValueNotSupported',
  ],
  ['natgateways', 'type "Private"', 'spec.type', 'Private', 'spec.type', 'FieldValueNotSupported'],
  ['natgateways', 'type a number', 'spec.type', 1, 'spec.type', 'FieldValueTypeInvalid'],
  [
    'natgateways',
    'ipFamily missing',
    'spec.ipFamily',
    undefined,
    'spec.ipFamily',
    'FieldValueRequired',
  ],
  [
    'natgateways',
    'ipFamily "ipv4"',
    'spec.ipFamily',
    'ipv4',
    'spec.ipFamily',
    'FieldValueNotSupported',
  ],
  [
    'natgateways',
    'ppni not a power of 2',
    'spec.portsPerNetworkInterface',
    100,
    'spec.portsPerNetworkInterface',
    'FieldValueInvalid',
  ],
  [
    'natgateways',
    'ppni 0',
    'spec.portsPerNetworkInterface',
    0,
    'spec.portsPerNetworkInterface',
    'FieldValueInvalid',
  ],
  [
    'natgateways',
    'ppni negative',
    'spec.portsPerNetworkInterface',
    -64,
    'spec.portsPerNetworkInterface',
    'FieldValueInvalid',
  ],
  [
    'natgateways',
    'ppni 65536 leaves no slot',
    'spec.portsPerNetworkInterface',
    65536,
    'spec.portsPerNetworkInterface',
    'FieldValueInvalid',
  ],
  [
    'natgateways',
    'ppni a string',
    'spec.portsPerNetworkInterface',
    '64',
    'spec.portsPerNetworkInterface',
    'FieldValueTypeInvalid',
  ],
  [
    'natgateways',
    'ppni a fraction',
    'spec.portsPerNetworkInterface',
    2.5,
    'spec.portsPerNetworkInterface',
    'FieldValueTypeInvalid',
  ],
  [
    'natgateways',
    'ppni beyond int32',
    'spec.portsPerNetworkInterface',
    4294967296,
    'spec.portsPerNetworkInterface',
    'FieldValueTypeInvalid',
  ],
  [
    'natgateways',
    // As Ironcore reports it: the missing reference's empty name is not a subdomain.
    'networkRef missing',
    'spec.networkRef',
    undefined,
    'spec.networkRef.name',
    'FieldValueInvalid',
  ],
  [
    'natgateways',
    'networkRef a string',
    'spec.networkRef',
    'net',
    'spec.networkRef',
    'FieldValueTypeInvalid',
  ],
  [
    'natgateways',
    'networkRef.name missing',
    'spec.networkRef.name',
    undefined,
    'spec.networkRef.name',
    'FieldValueRequired',
  ],
  [
    'natgateways',
    'networkRef.name not a subdomain',
    'spec.networkRef.name',
    'Net_1',
    'spec.networkRef.name',
    'FieldValueInvalid',
  ],
  // NetworkInterface spec
  [
    'networkinterfaces',
    'networkRef missing',
    'spec.networkRef',
    undefined,
    'spec.networkRef',
    'FieldValueRequired',
  ],
  [
    'networkinterfaces',
    'networkRef.name missing',
    'spec.networkRef.name',
    undefined,
    'spec.networkRef.name',
    'FieldValueRequired',
  ],
  [
    'networkinterfaces',
    'ips not a list',
    'spec.ips',
    '10.0.0.1',
    'spec.ips',
    'FieldValueTypeInvalid',
  ],
  [
    'networkinterfaces',
    'ip not an address',
    'spec.ips',
    ['ten'],
    'spec.ips[0]',
    'FieldValueInvalid',
  ],
  [
    'networkinterfaces',
    'ip with a leading zero',
    'spec.ips',
    ['10.0.0.01'],
    'spec.ips[0]',
    'FieldValueInvalid',
  ],
  [
    'networkinterfaces',
    'ip not private',
    'spec.ips',
    ['8.8.8.8'],
    'spec.ips[0]',
    'FieldValueInvalid',
  ],
  [
    'networkinterfaces',
    'ipv6 not unique-local',
    'spec.ips',
    ['2001:db8::1'],
    'spec.ips[0]',
    'FieldValueInvalid',
  ],
  [
    'networkinterfaces',
    'two IPv4',
    'spec.ips',
    ['10.0.0.1', '192.168.1.1'],
    'spec.ips[1]',
    'FieldValueDuplicate',
  ],
  [
    'networkinterfaces',
    'two IPv6',
    'spec.ips',
    ['fd00::1', '10.0.0.1', 'fd00::2'],
    'spec.ips[2]',
    'FieldValueDuplicate',
  ],
  ['networkinterfaces', 'ip a number', 'spec.ips', [10], 'spec.ips[0]', 'FieldValueTypeInvalid'],
  [
    'networkinterfaces',
    'virtualIP without ip',
    'spec.virtualIP',
    {},
    'spec.virtualIP.ip',
    'FieldValueRequired',
  ],
  [
    'networkinterfaces',
    'virtualIP not an address',
    'spec.virtualIP',
    { ip: 'x' },
    'spec.virtualIP.ip',
    'FieldValueInvalid',
  ],
  [
    'networkinterfaces',
    'virtualIP private',
    'spec.virtualIP',
    { ip: '10.1.1.1' },
    'spec.virtualIP.ip',
    'FieldValueInvalid',
  ],
  [
    'networkinterfaces',
    'nodeName not a subdomain',
    'spec.nodeName',
    'Node_1',
    'spec.nodeName',
    'FieldValueInvalid',
  ],
  [
    'networkinterfaces',
    'nodeName a number',
    'spec.nodeName',
    7,
    'spec.nodeName',
    'FieldValueTypeInvalid',
  ],
  // Network spec
  ['networks', 'vni 0', 'spec.vni', 0, 'spec.vni', 'FieldValueInvalid'],
  ['networks', 'vni above 2^24-1', 'spec.vni', 16_777_216, 'spec.vni', 'FieldValueInvalid'],
  ['networks', 'vni negative', 'spec.vni', -1, 'spec.vni', 'FieldValueInvalid'],
  ['networks', 'vni a string', 'spec.vni', '5', 'spec.vni', 'FieldValueTypeInvalid'],
  ['networks', 'vni a fraction', 'spec.vni', 1.5, 'spec.vni', 'FieldValueTypeInvalid'],
  ['networks', 'vni beyond int32', 'spec.vni', 2 ** 40, 'spec.vni', 'FieldValueTypeInvalid'],
  // NATGatewayAutoscaler spec
  [
    'natgatewayautoscalers',
    'natGatewayRef missing',
    'spec.natGatewayRef',
    undefined,
    'spec.natGatewayRef',
    'FieldValueRequired',
  ],
  [
    'natgatewayautoscalers',
    'natGatewayRef.name not a label',
    'spec.natGatewayRef.name',
    'a.b',
    'spec.natGatewayRef.name',
    'FieldValueInvalid',
  ],
  [
    'natgatewayautoscalers',
    'minPublicIPs 0',
    'spec.minPublicIPs',
    0,
    'spec.minPublicIPs',
    'FieldValueInvalid',
  ],
  [
    'natgatewayautoscalers',
    'minPublicIPs a string',
    'spec.minPublicIPs',
    '1',
    'spec.minPublicIPs',
    'FieldValueTypeInvalid',
  ],
  [
    'natgatewayautoscalers',
    'maxPublicIPs below min',
    'spec.maxPublicIPs',
    0,
    'spec.maxPublicIPs',
    'FieldValueInvalid',
  ],
  [
    'natgatewayautoscalers',
    'maxPublicIPs a fraction',
    'spec.maxPublicIPs',
    1.5,
    'spec.maxPublicIPs',
    'FieldValueTypeInvalid',
  ],
];

describe('api-gateway validation', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi('api_validation');
  });

  afterAll(async () => {
    await api?.close();
  });

  it.each(CASES)('%s: %s -> 422 %s', async (plural, _what, path, value, field, reason) => {
    const body = set(bases[plural], path, value);
    const res = await request(api.url).post(`${API}/namespaces/default/${plural}`).send(body);
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      reason: 'Invalid',
      code: 422,
    });
    expect(
      res.body.details.causes.map((c: { field: string; reason: string }) => [c.field, c.reason]),
    ).toEqual([[field, reason]]);
    expect(res.body.message).toContain(field);
  });

  it('accepts every base object (so each case above fails for its own field only)', async () => {
    for (const [plural, body] of Object.entries(bases)) {
      const res = await request(api.url).post(`${API}/namespaces/valid/${plural}`).send(body);
      expect([plural, res.status]).toEqual([plural, 201]);
    }
  });

  it('names every broken field at once, with Kubernetes messages', async () => {
    const res = await request(api.url)
      .post(`${API}/namespaces/default/natgateways`)
      .send({
        metadata: { name: 'Bad', labels: { 'a b': 'c' } },
        spec: { type: 'public', ipFamily: 'IPv5', portsPerNetworkInterface: 100, networkRef: {} },
      });
    expect(res.status).toBe(422);
    expect(res.body.details.causes).toEqual(
      expect.arrayContaining([
        {
          field: 'spec.type',
          reason: 'FieldValueNotSupported',
          message: 'Unsupported value: "public": supported values: "Public"',
        },
        {
          field: 'spec.ipFamily',
          reason: 'FieldValueNotSupported',
          message: 'Unsupported value: "IPv5": supported values: "IPv4", "IPv6"',
        },
        {
          field: 'spec.portsPerNetworkInterface',
          reason: 'FieldValueInvalid',
          message: 'Invalid value: 100: 100 is not a power of 2',
        },
        {
          field: 'spec.networkRef.name',
          reason: 'FieldValueRequired',
          message: 'Required value: must specify name',
        },
        expect.objectContaining({ field: 'metadata.name', reason: 'FieldValueInvalid' }),
        expect.objectContaining({ field: 'metadata.labels', reason: 'FieldValueInvalid' }),
      ]),
    );
    expect(res.body.details.causes).toHaveLength(6);
    expect(res.body.message).toMatch(/^NATGateway\.networking\.ironcore\.dev "Bad" is invalid: \[/);
  });

  it('explains why portsPerNetworkInterface is at most 32768', async () => {
    const res = await request(api.url)
      .post(`${API}/namespaces/default/natgateways`)
      .send(set(bases.natgateways, 'spec.portsPerNetworkInterface', 65536));
    expect(res.body.details.causes[0].message).toContain(
      'at least one slot of portsPerNetworkInterface ports must fit',
    );
    expect(res.body.details.causes[0].message).toContain('1024..65535');
  });

  it.each([
    ['spec.networkRef', { networkRef: { name: 'other' } }],
    ['spec.ipFamily', { ipFamily: 'IPv6' }],
  ])(
    'refuses to change the immutable %s (FieldValueForbidden "field is immutable")',
    async (field, change) => {
      const name = `immutable-${field.replace(/\W/g, '').toLowerCase()}`;
      const created = await request(api.url)
        .post(`${API}/namespaces/default/natgateways`)
        .send(set(bases.natgateways, 'metadata.name', name));
      expect(created.status).toBe(201);
      const res = await request(api.url)
        .put(`${API}/namespaces/default/natgateways/${name}`)
        .send({ ...created.body, spec: { ...created.body.spec, ...change } });
      expect(res.status).toBe(422);
      expect(res.body.details.causes).toEqual([
        { field, reason: 'FieldValueForbidden', message: 'Forbidden: field is immutable' },
      ]);
      const patched = await request(api.url)
        .patch(`${API}/namespaces/default/natgateways/${name}`)
        .set('Content-Type', 'application/merge-patch+json')
        .send({ spec: change });
      expect(patched.status).toBe(422);
      expect(patched.body.details.causes[0]).toMatchObject({
        field,
        reason: 'FieldValueForbidden',
      });
    },
  );

  it('rejects unknown fields by name (Strict), warns with fieldValidation=Warn, drops them with Ignore', async () => {
    const body = set(
      set(bases.natgateways, 'spec.ipFamly', 'IPv4'),
      'metadata.name',
      'unknown-fields',
    );
    const strict = await request(api.url).post(`${API}/namespaces/default/natgateways`).send(body);
    expect(strict.status).toBe(400);
    expect(strict.body.reason).toBe('BadRequest');
    expect(strict.body.message).toContain('strict decoding error: unknown field "spec.ipFamly"');
    expect(strict.body.details.causes).toEqual([
      {
        field: 'spec.ipFamly',
        reason: 'FieldValueUnknown',
        message: 'unknown field "spec.ipFamly"',
      },
    ]);
    const warn = await request(api.url)
      .post(`${API}/namespaces/default/natgateways?fieldValidation=Warn&dryRun=All`)
      .send(body);
    expect(warn.status).toBe(201);
    expect(warn.headers.warning).toContain('unknown field \\"spec.ipFamly\\"');
    expect(warn.body.spec).not.toHaveProperty('ipFamly');
    const ignore = await request(api.url)
      .post(`${API}/namespaces/default/natgateways?fieldValidation=Ignore&dryRun=All`)
      .send(body);
    expect(ignore.status).toBe(201);
    expect(ignore.headers.warning).toBeUndefined();
  });

  it('refuses a body of another kind, apiVersion, namespace or name with 400', async () => {
    const cases: Array<[string, string, Body]> = [
      ['post', 'natgateways', { ...bases.networks }],
      ['post', 'natgateways', { ...bases.natgateways, apiVersion: 'networking.ironcore.dev/v1' }],
      ['post', 'natgateways', set(bases.natgateways, 'metadata.namespace', 'other')],
      ['put', 'natgateways/other-name', bases.natgateways],
    ];
    for (const [method, path, body] of cases) {
      const url = `${API}/namespaces/default/${path}`;
      const agent = request(api.url);
      const res = await (method === 'post' ? agent.post(url) : agent.put(url)).send(body);
      expect([path, res.status, res.body.reason]).toEqual([path, 400, 'BadRequest']);
    }
  });

  it('rejects an invalid namespace in the URL on writes', async () => {
    const res = await request(api.url)
      .post(`${API}/namespaces/Bad_NS/natgateways`)
      .send(bases.natgateways);
    expect(res.status).toBe(422);
    expect(res.body.details.causes).toEqual([
      expect.objectContaining({ field: 'metadata.namespace', reason: 'FieldValueInvalid' }),
    ]);
  });

  it('accepts the VNI bounds 1 and 16777215', async () => {
    for (const vni of [1, 16_777_215]) {
      const res = await request(api.url)
        .post(`${API}/namespaces/vni-bounds/networks`)
        .send(set(set(bases.networks, 'metadata.name', `net-${vni}`), 'spec.vni', vni));
      expect([vni, res.status, res.body.status?.vni]).toEqual([vni, 201, vni]);
    }
  });

  it('applies defaults: portsPerNetworkInterface 2048, autoscaler 1..10', async () => {
    const gw = await request(api.url)
      .post(`${API}/namespaces/defaults/natgateways`)
      .send(set(bases.natgateways, 'spec.portsPerNetworkInterface', undefined));
    expect(gw.body.spec.portsPerNetworkInterface).toBe(2048);
    const as = await request(api.url)
      .post(`${API}/namespaces/defaults/natgatewayautoscalers`)
      .send(
        set(
          set(bases.natgatewayautoscalers, 'spec.minPublicIPs', undefined),
          'spec.maxPublicIPs',
          undefined,
        ),
      );
    expect(as.body.spec).toEqual({
      natGatewayRef: { name: 'gw' },
      minPublicIPs: 1,
      maxPublicIPs: 10,
    });
  });
});
