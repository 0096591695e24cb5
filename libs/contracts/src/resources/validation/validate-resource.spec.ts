import { validateResourceInput, validateResourceUpdate } from './validate-resource';

const gw = (spec: Record<string, unknown>, metadata: Record<string, unknown> = { name: 'gw' }) => ({
  apiVersion: 'networking.ironcore.dev/v1alpha1',
  kind: 'NATGateway',
  metadata,
  spec,
});

describe('validateResourceInput', () => {
  it('accepts the seed NATGateway and applies no default over a given value', () => {
    const out = validateResourceInput(
      'NATGateway',
      gw({
        type: 'Public',
        ipFamily: 'IPv4',
        portsPerNetworkInterface: 64,
        networkRef: { name: 'network-sample' },
      }),
    );
    expect(out.causes).toEqual([]);
    expect(out.input?.spec).toEqual({
      type: 'Public',
      ipFamily: 'IPv4',
      portsPerNetworkInterface: 64,
      networkRef: { name: 'network-sample' },
    });
  });

  it('defaults portsPerNetworkInterface to 2048', () => {
    const out = validateResourceInput(
      'NATGateway',
      gw({ type: 'Public', ipFamily: 'IPv6', networkRef: { name: 'n' } }),
    );
    expect(out.input?.spec.portsPerNetworkInterface).toBe(2048);
  });

  it('names every broken field at once, one cause per field', () => {
    const out = validateResourceInput(
      'NATGateway',
      gw(
        { type: 'public', portsPerNetworkInterface: 100, networkRef: {} },
        { name: 'Bad_Name', labels: { 'a b': 'x' } },
      ),
    );
    expect(out.causes.map((c) => [c.field, c.reason])).toEqual(
      expect.arrayContaining([
        ['spec.type', 'FieldValueNotSupported'],
        ['spec.ipFamily', 'FieldValueRequired'],
        ['spec.portsPerNetworkInterface', 'FieldValueInvalid'],
        ['spec.networkRef.name', 'FieldValueRequired'],
        ['metadata.name', 'FieldValueInvalid'],
        ['metadata.labels', 'FieldValueInvalid'],
      ]),
    );
    expect(out.causes).toHaveLength(6);
    expect(out.input).toBeUndefined();
  });

  it('reports unknown fields with their path, including keys class-transformer would drop', () => {
    const body = JSON.parse(
      '{"metadata":{"name":"gw","bogus":1},"spec":{"type":"Public","ipFamly":"IPv4","ipFamily":"IPv4","networkRef":{"name":"n","__proto__":{}}},"extra":true}',
    );
    const out = validateResourceInput('NATGateway', body);
    expect(out.unknownFields.sort()).toEqual([
      'extra',
      'metadata.bogus',
      'spec.ipFamly',
      'spec.networkRef.__proto__',
    ]);
  });

  it('reports type errors as FieldValueTypeInvalid', () => {
    const out = validateResourceInput(
      'NATGateway',
      gw({ type: 1, ipFamily: 'IPv4', portsPerNetworkInterface: '64', networkRef: 'n' }),
    );
    expect(out.causes.map((c) => [c.field, c.reason])).toEqual([
      ['spec.type', 'FieldValueTypeInvalid'],
      ['spec.portsPerNetworkInterface', 'FieldValueTypeInvalid'],
      ['spec.networkRef', 'FieldValueTypeInvalid'],
    ]);
  });

  it('checks NetworkInterface IPs per entry', () => {
    const out = validateResourceInput('NetworkInterface', {
      metadata: { name: 'nic' },
      spec: {
        networkRef: { name: 'n' },
        ips: ['10.0.0.1', '10.0.0.2', '8.8.8.8', 'x', 5, 'fd00::1'],
      },
    });
    expect(out.causes.map((c) => [c.field, c.reason])).toEqual([
      ['spec.ips[1]', 'FieldValueDuplicate'],
      ['spec.ips[2]', 'FieldValueInvalid'],
      ['spec.ips[3]', 'FieldValueInvalid'],
      ['spec.ips[4]', 'FieldValueTypeInvalid'],
    ]);
  });
});

describe('validateResourceUpdate', () => {
  it('forbids changing networkRef and ipFamily of a NATGateway', () => {
    const old = {
      type: 'Public',
      ipFamily: 'IPv4',
      portsPerNetworkInterface: 64,
      networkRef: { name: 'a' },
    };
    expect(
      validateResourceUpdate('NATGateway', old, { ...old, portsPerNetworkInterface: 128 }),
    ).toEqual([]);
    expect(
      validateResourceUpdate('NATGateway', old, {
        ...old,
        ipFamily: 'IPv6',
        networkRef: { name: 'b' },
      }).map((c) => [c.field, c.reason, c.message]),
    ).toEqual([
      ['spec.networkRef', 'FieldValueForbidden', 'Forbidden: field is immutable'],
      ['spec.ipFamily', 'FieldValueForbidden', 'Forbidden: field is immutable'],
    ]);
  });
});
