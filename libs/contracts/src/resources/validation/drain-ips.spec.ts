import { drainIPsNotHeld } from './drain-ips';
import { validateResourceInput } from './validate-resource';

const gateway = (drainIPs: unknown) =>
  validateResourceInput('NATGateway', {
    metadata: { name: 'gw' },
    spec: { type: 'Public', ipFamily: 'IPv4', networkRef: { name: 'net' }, drainIPs },
  });

const fields = (causes: Array<{ field?: string; reason: string }>) =>
  causes.map((c) => [c.field, c.reason]);

describe('spec.drainIPs', () => {
  it('is optional: absent stays absent, so existing objects keep their spec', () => {
    const out = validateResourceInput('NATGateway', {
      metadata: { name: 'gw' },
      spec: { type: 'Public', ipFamily: 'IPv4', networkRef: { name: 'net' } },
    });
    expect(out.input?.spec).not.toHaveProperty('drainIPs');
  });

  it('defaults deadlineSeconds to 350 (AWS) and spells addresses canonically', () => {
    const out = gateway([{ ip: '2001:DB8::0:1', deadlineSeconds: 0 }, { ip: '203.0.113.5' }]);
    expect(out.causes).toEqual([]);
    expect(out.input?.spec.drainIPs).toEqual([
      { ip: '2001:db8::1', deadlineSeconds: 0 },
      { ip: '203.0.113.5', deadlineSeconds: 350 },
    ]);
  });

  it('names the entry and the rule of every bad value', () => {
    const out = gateway([
      { ip: '203.0.113.5', deadlineSeconds: 86_401 },
      { ip: '203.0.113.5' },
      { ip: 'not-an-ip', deadlineSeconds: 1.5 },
      { deadlineSeconds: 10, extra: true },
      'x',
    ]);
    expect(fields(out.causes)).toEqual([
      ['spec.drainIPs[0].deadlineSeconds', 'FieldValueInvalid'],
      ['spec.drainIPs[1].ip', 'FieldValueDuplicate'],
      ['spec.drainIPs[2].ip', 'FieldValueInvalid'],
      ['spec.drainIPs[2].deadlineSeconds', 'FieldValueTypeInvalid'],
      ['spec.drainIPs[3].extra', 'FieldValueUnknown'],
      ['spec.drainIPs[3].ip', 'FieldValueRequired'],
      ['spec.drainIPs[4]', 'FieldValueTypeInvalid'],
    ]);
    expect(out.causes[0]?.message).toContain('must be between 0 and 86400');
    expect(out.causes[1]?.message).toContain('spec.drainIPs[0] already drains it');
    expect(fields(gateway('203.0.113.5').causes)).toEqual([
      ['spec.drainIPs', 'FieldValueTypeInvalid'],
    ]);
  });

  it('accepts only IPs the gateway holds, and keeps entries whose IP a drain released', () => {
    const stored = {
      spec: { drainIPs: [{ ip: '203.0.113.9', deadlineSeconds: 350 }] },
      status: {
        ips: [
          { name: 'ip1', ip: '203.0.113.1', state: 'Active' },
          { name: 'ip2', ip: '203.0.113.2', state: 'Draining' },
          { name: 'released1', ip: '203.0.113.9', state: 'Released' },
        ],
      },
    };
    const spec = {
      drainIPs: [
        { ip: '203.0.113.1', deadlineSeconds: 10 },
        { ip: '203.0.113.2', deadlineSeconds: 10 },
        { ip: '203.0.113.9', deadlineSeconds: 350 },
        { ip: '198.51.100.1', deadlineSeconds: 10 },
      ],
    };
    const causes = drainIPsNotHeld(spec, stored);
    expect(fields(causes)).toEqual([['spec.drainIPs[3].ip', 'FieldValueInvalid']]);
    expect(causes[0]?.message).toContain(
      "must be one of the gateway's public IPs (status.ips: 203.0.113.1, 203.0.113.2)",
    );
    // A create holds no IP.
    expect(
      drainIPsNotHeld({ drainIPs: [{ ip: '203.0.113.1', deadlineSeconds: 1 }] })[0]?.message,
    ).toContain('and it holds none');
  });
});
