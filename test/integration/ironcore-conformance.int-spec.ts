// Ironcore's own validation tables (ironcore-dev/ironcore,
// internal/apis/networking/validation/{natgateway,networkinterface}_test.go), ported to
// natgw's REST API: each entry is sent as a create (or an update) and natgw must answer
// with a cause of the same reason type at the same field path. Entries for fields natgw's
// kinds do not have (namespace in the body, machineRef, ipFamilies, ephemeral prefixes,
// virtualIPRef) are listed in docs/api.md ("Ironcore conformance") as deliberate differences.
import request from 'supertest';
import { API, startTestApi, TestApi } from './api-test-app';

jest.setTimeout(120_000);

// Ironcore's testutils/validation matchers, as Kubernetes cause types.
const Required = 'FieldValueRequired';
const Invalid = 'FieldValueInvalid';
const Forbidden = 'FieldValueForbidden';

type Cause = { field: string; reason: string };

describe('Ironcore conformance: validation tables', () => {
  let api: TestApi;
  const http = () => request(api.url);

  beforeAll(async () => {
    api = await startTestApi('ironcore_conformance');
    for (const name of ['foo', 'bar'])
      await http()
        .post(`${API}/namespaces/default/networks`)
        .send({ metadata: { name } })
        .expect(201);
  });

  afterAll(async () => {
    await api?.close();
  });

  const causesOf = async (plural: string, body: object): Promise<Cause[]> => {
    const res = await http().post(`${API}/namespaces/default/${plural}`).send(body);
    expect(res.status).toBe(422);
    return (res.body.details?.causes ?? []).map((c: Cause) => ({
      field: c.field,
      reason: c.reason,
    }));
  };

  describe('ValidateNATGateway', () => {
    it.each<[string, object, Cause]>([
      ['missing name', { spec: {} }, { field: 'metadata.name', reason: Required }],
      [
        'bad name',
        { metadata: { name: 'foo*' }, spec: {} },
        { field: 'metadata.name', reason: Invalid },
      ],
      [
        'no network ref',
        { metadata: { name: 'gw' }, spec: {} },
        { field: 'spec.networkRef.name', reason: Invalid },
      ],
      [
        'invalid network ref name',
        { metadata: { name: 'gw' }, spec: { networkRef: { name: 'foo*' } } },
        { field: 'spec.networkRef.name', reason: Invalid },
      ],
      [
        'missing type',
        { metadata: { name: 'gw' }, spec: {} },
        { field: 'spec.type', reason: Required },
      ],
      [
        'ports per nic not power of 2',
        { metadata: { name: 'gw' }, spec: { portsPerNetworkInterface: 3 } },
        { field: 'spec.portsPerNetworkInterface', reason: Invalid },
      ],
    ])('%s', async (_name, body, cause) => {
      expect(await causesOf('natgateways', body)).toContainEqual(cause);
    });
  });

  describe('ValidateNATGatewayUpdate', () => {
    it('immutable networkRef', async () => {
      const created = await http()
        .post(`${API}/namespaces/default/natgateways`)
        .send({
          metadata: { name: 'gw-upd' },
          spec: { type: 'Public', ipFamily: 'IPv4', networkRef: { name: 'foo' } },
        });
      expect(created.status).toBe(201);
      const res = await http()
        .put(`${API}/namespaces/default/natgateways/gw-upd`)
        .send({ ...created.body, spec: { ...created.body.spec, networkRef: { name: 'bar' } } });
      expect(res.status).toBe(422);
      expect(res.body.details.causes).toContainEqual(
        expect.objectContaining({ field: 'spec.networkRef', reason: Forbidden }),
      );
    });
  });

  describe('ValidateNetworkInterface', () => {
    it.each<[string, object, Cause]>([
      ['missing name', { spec: {} }, { field: 'metadata.name', reason: Required }],
      [
        'bad name',
        { metadata: { name: 'foo*' }, spec: {} },
        { field: 'metadata.name', reason: Invalid },
      ],
      [
        'no network ref',
        { metadata: { name: 'nic' }, spec: {} },
        { field: 'spec.networkRef', reason: Required },
      ],
      [
        'invalid network ref name',
        { metadata: { name: 'nic' }, spec: { networkRef: { name: 'foo*' } } },
        { field: 'spec.networkRef.name', reason: Invalid },
      ],
    ])('%s', async (_name, body, cause) => {
      expect(await causesOf('networkinterfaces', body)).toContainEqual(cause);
    });
  });

  describe('ValidateNetworkInterfaceUpdate', () => {
    let nic: { metadata: object; spec: Record<string, unknown> };
    beforeAll(async () => {
      const created = await http()
        .post(`${API}/namespaces/default/networkinterfaces`)
        .send({
          metadata: { name: 'nic-upd' },
          spec: { networkRef: { name: 'foo' }, ips: ['10.0.0.2'] },
        });
      expect(created.status).toBe(201);
      nic = created.body;
    });

    it('immutable networkRef (natgw names the field spec.networkRef, Ironcore spec)', async () => {
      const res = await http()
        .put(`${API}/namespaces/default/networkinterfaces/nic-upd`)
        .send({ ...nic, spec: { ...nic.spec, networkRef: { name: 'bar' } } });
      expect(res.status).toBe(422);
      expect(res.body.details.causes).toEqual([
        expect.objectContaining({ field: 'spec.networkRef', reason: Forbidden }),
      ]);
    });

    it('mutable ips', async () => {
      const res = await http()
        .put(`${API}/namespaces/default/networkinterfaces/nic-upd`)
        .send({ ...nic, spec: { ...nic.spec, ips: ['10.0.0.1'] } });
      expect(res.status).toBe(200);
      expect(res.body.spec.ips).toEqual(['10.0.0.1']);
    });
  });
});
