import { validateResourceInput } from '../validation/validate-resource';
import { DEFAULT_NATGATEWAY_TIMEOUTS, NATGATEWAY_TIMEOUT_BOUNDS } from '../natgateway';

const gw = (extra: Record<string, unknown>) => ({
  apiVersion: 'networking.ironcore.dev/v1alpha1',
  kind: 'NATGateway',
  metadata: { name: 'gw' },
  spec: { type: 'Public', ipFamily: 'IPv4', networkRef: { name: 'n' }, ...extra },
});

describe('NATGateway spec.timeouts and spec.logging (issue 17.2, 17.5)', () => {
  it('leaves both out when absent: today behaviour', () => {
    const out = validateResourceInput('NATGateway', gw({}));
    expect(out.causes).toEqual([]);
    expect(out.input?.spec).not.toHaveProperty('timeouts');
    expect(out.input?.spec).not.toHaveProperty('logging');
  });

  it('fills the fields left out of timeouts with GCP defaults (1200/30/120/30/30)', () => {
    const out = validateResourceInput('NATGateway', gw({ timeouts: { udpIdleSeconds: 60 } }));
    expect(out.causes).toEqual([]);
    expect(out.input?.spec.timeouts).toEqual({
      ...DEFAULT_NATGATEWAY_TIMEOUTS,
      udpIdleSeconds: 60,
    });
    expect(DEFAULT_NATGATEWAY_TIMEOUTS).toEqual({
      tcpEstablishedIdleSeconds: 1200,
      tcpTransitoryIdleSeconds: 30,
      tcpTimeWaitSeconds: 120,
      udpIdleSeconds: 30,
      icmpIdleSeconds: 30,
    });
  });

  it.each(Object.entries(NATGATEWAY_TIMEOUT_BOUNDS))(
    'rejects %s outside its bounds, naming the field and the rule',
    (field, { min, max }) => {
      for (const value of [min - 1, max + 1]) {
        const out = validateResourceInput('NATGateway', gw({ timeouts: { [field]: value } }));
        expect(out.input).toBeUndefined();
        expect(out.causes).toEqual([
          {
            field: `spec.timeouts.${field}`,
            reason: 'FieldValueInvalid',
            message: `Invalid value: ${value}: must be between ${min} and ${max} seconds`,
          },
        ]);
      }
      const ok = validateResourceInput('NATGateway', gw({ timeouts: { [field]: min } }));
      expect(ok.causes).toEqual([]);
      const top = validateResourceInput('NATGateway', gw({ timeouts: { [field]: max } }));
      expect(top.causes).toEqual([]);
    },
  );

  it('rejects a timeout that is not an integer, and timeouts that are not an object', () => {
    const out = validateResourceInput(
      'NATGateway',
      gw({ timeouts: { tcpTimeWaitSeconds: 1.5, udpIdleSeconds: '30' } }),
    );
    expect(out.causes.map((c) => [c.field, c.reason])).toEqual([
      ['spec.timeouts.tcpTimeWaitSeconds', 'FieldValueTypeInvalid'],
      ['spec.timeouts.udpIdleSeconds', 'FieldValueTypeInvalid'],
    ]);
    const notObject = validateResourceInput('NATGateway', gw({ timeouts: 30 }));
    expect(notObject.causes.map((c) => [c.field, c.reason])).toEqual([
      ['spec.timeouts', 'FieldValueTypeInvalid'],
    ]);
  });

  it('defaults the logging filter to All and keeps a given one', () => {
    const all = validateResourceInput('NATGateway', gw({ logging: { enabled: true } }));
    expect(all.input?.spec.logging).toEqual({ enabled: true, filter: 'All' });
    const errors = validateResourceInput(
      'NATGateway',
      gw({ logging: { enabled: false, filter: 'ErrorsOnly' } }),
    );
    expect(errors.input?.spec.logging).toEqual({ enabled: false, filter: 'ErrorsOnly' });
  });

  it('rejects an unknown filter and a missing or non-boolean enabled', () => {
    const out = validateResourceInput(
      'NATGateway',
      gw({ logging: { enabled: 'yes', filter: 'ERRORS_ONLY' } }),
    );
    expect(out.causes.map((c) => [c.field, c.reason])).toEqual(
      expect.arrayContaining([
        ['spec.logging.enabled', 'FieldValueTypeInvalid'],
        ['spec.logging.filter', 'FieldValueNotSupported'],
      ]),
    );
    const missing = validateResourceInput('NATGateway', gw({ logging: {} }));
    expect(missing.causes.map((c) => [c.field, c.reason])).toEqual([
      ['spec.logging.enabled', 'FieldValueRequired'],
    ]);
  });
});
