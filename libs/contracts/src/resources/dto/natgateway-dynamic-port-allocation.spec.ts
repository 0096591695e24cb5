import { validateResourceInput } from '../validation/validate-resource';

const gw = (extra: Record<string, unknown>) => ({
  apiVersion: 'networking.ironcore.dev/v1alpha1',
  kind: 'NATGateway',
  metadata: { name: 'gw' },
  spec: { type: 'Public', ipFamily: 'IPv4', networkRef: { name: 'n' }, ...extra },
});
const dpa = (fields: Record<string, unknown>) => gw({ dynamicPortAllocation: fields });

describe('NATGateway spec.dynamicPortAllocation (issue 17.4)', () => {
  it('is absent when left out', () => {
    const out = validateResourceInput('NATGateway', gw({}));
    expect(out.causes).toEqual([]);
    expect(out.input?.spec).not.toHaveProperty('dynamicPortAllocation');
  });

  it("fills GCP's defaults (min 32, max 32768 here), growAtPercent 80, shrinkAfterSeconds 600", () => {
    const out = validateResourceInput('NATGateway', dpa({ enabled: true }));
    expect(out.causes).toEqual([]);
    expect(out.input?.spec.dynamicPortAllocation).toEqual({
      enabled: true,
      minPortsPerNetworkInterface: 32,
      maxPortsPerNetworkInterface: 32768,
      growAtPercent: 80,
      shrinkAfterSeconds: 600,
    });
  });

  it('accepts powers of 2 from 1 to 32768 and min = max', () => {
    for (const ports of [1, 2, 32, 1024, 32768]) {
      const out = validateResourceInput(
        'NATGateway',
        dpa({
          enabled: true,
          minPortsPerNetworkInterface: ports,
          maxPortsPerNetworkInterface: ports,
        }),
      );
      expect(out.causes).toEqual([]);
    }
  });

  it.each([
    [
      'minPortsPerNetworkInterface',
      48,
      'FieldValueInvalid',
      'Invalid value: 48: 48 is not a power of 2',
    ],
    [
      'maxPortsPerNetworkInterface',
      65536,
      'FieldValueInvalid',
      'Invalid value: 65536: must be between 1 and 32768',
    ],
    [
      'minPortsPerNetworkInterface',
      0,
      'FieldValueInvalid',
      'Invalid value: 0: must be between 1 and 32768',
    ],
    ['growAtPercent', 101, 'FieldValueInvalid', 'Invalid value: 101: must be between 1 and 100'],
    ['growAtPercent', 0, 'FieldValueInvalid', 'Invalid value: 0: must be between 1 and 100'],
    [
      'shrinkAfterSeconds',
      9,
      'FieldValueInvalid',
      'Invalid value: 9: must be between 10 and 86400',
    ],
    [
      'shrinkAfterSeconds',
      86401,
      'FieldValueInvalid',
      'Invalid value: 86401: must be between 10 and 86400',
    ],
    ['growAtPercent', 1.5, 'FieldValueTypeInvalid', 'Invalid value: 1.5: must be of type integer'],
    [
      'shrinkAfterSeconds',
      '600',
      'FieldValueTypeInvalid',
      'Invalid value: "600": must be of type integer',
    ],
  ])('rejects %s = %j naming the field and the rule', (field, value, reason, message) => {
    const out = validateResourceInput('NATGateway', dpa({ enabled: true, [field]: value }));
    expect(out.input).toBeUndefined();
    expect(out.causes).toEqual([{ field: `spec.dynamicPortAllocation.${field}`, reason, message }]);
  });

  it('rejects min above max, unknown fields, a missing enabled and a non-object', () => {
    expect(
      validateResourceInput(
        'NATGateway',
        dpa({ enabled: true, minPortsPerNetworkInterface: 64, maxPortsPerNetworkInterface: 32 }),
      ).causes,
    ).toEqual([
      {
        field: 'spec.dynamicPortAllocation.minPortsPerNetworkInterface',
        reason: 'FieldValueInvalid',
        message: 'Invalid value: 64: must not exceed maxPortsPerNetworkInterface (32)',
      },
    ]);
    expect(validateResourceInput('NATGateway', dpa({ enabled: true, min: 32 })).causes).toEqual([
      {
        field: 'spec.dynamicPortAllocation.min',
        reason: 'FieldValueUnknown',
        message: 'unknown field "spec.dynamicPortAllocation.min"',
      },
    ]);
    expect(validateResourceInput('NATGateway', dpa({})).causes).toEqual([
      {
        field: 'spec.dynamicPortAllocation.enabled',
        reason: 'FieldValueRequired',
        message: 'Required value: must specify enabled',
      },
    ]);
    expect(validateResourceInput('NATGateway', dpa({ enabled: 'yes' })).causes).toEqual([
      {
        field: 'spec.dynamicPortAllocation.enabled',
        reason: 'FieldValueTypeInvalid',
        message: 'Invalid value: "yes": must be of type boolean',
      },
    ]);
    expect(
      validateResourceInput('NATGateway', gw({ dynamicPortAllocation: [true] })).causes,
    ).toEqual([
      {
        field: 'spec.dynamicPortAllocation',
        reason: 'FieldValueTypeInvalid',
        message: 'Invalid value: [true]: must be of type object',
      },
    ]);
  });

  it('is mutually exclusive with an explicit portsPerNetworkInterface while enabled', () => {
    const out = validateResourceInput(
      'NATGateway',
      gw({ portsPerNetworkInterface: 1024, dynamicPortAllocation: { enabled: true } }),
    );
    expect(out.input).toBeUndefined();
    expect(out.causes).toEqual([
      {
        field: 'spec.portsPerNetworkInterface',
        reason: 'FieldValueForbidden',
        message:
          'Forbidden: must not be set while spec.dynamicPortAllocation.enabled is true: a fixed slot size and dynamic port allocation are mutually exclusive (use spec.dynamicPortAllocation.minPortsPerNetworkInterface and maxPortsPerNetworkInterface)',
      },
    ]);
    // A spec read back carries the default 2048: a read-modify-write round trip stays valid.
    const roundTrip = validateResourceInput(
      'NATGateway',
      gw({ portsPerNetworkInterface: 2048, dynamicPortAllocation: { enabled: true } }),
    );
    expect(roundTrip.causes).toEqual([]);
    // Disabled, both may be given (the DPA settings are kept for later).
    const off = validateResourceInput(
      'NATGateway',
      gw({ portsPerNetworkInterface: 1024, dynamicPortAllocation: { enabled: false } }),
    );
    expect(off.causes).toEqual([]);
  });
});
