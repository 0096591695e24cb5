import { describeExceeded, exceededQuota, foldQuota, quotaLimit, type QuotaEvent } from './quota';

const set = (uid: string, hard: object): QuotaEvent => ({
  type: 'NATGatewayQuotaSet',
  data: { uid, hard, labels: {}, creationTimestamp: '2026-01-01T00:00:00Z' },
});

describe('NATGatewayQuota rules', () => {
  it('folds a stream: Set creates or replaces, Deleted removes, a new uid is a new incarnation', () => {
    expect(foldQuota([])).toBeUndefined();
    expect(foldQuota([set('a', { natgateways: 2 })])).toMatchObject({
      uid: 'a',
      hard: { natgateways: 2 },
      generation: 1,
    });
    // A changed limit bumps the generation; a repeated one does not.
    expect(
      foldQuota([
        set('a', { natgateways: 2 }),
        set('a', { natgateways: 2 }),
        set('a', { natgateways: 3 }),
      ])?.generation,
    ).toBe(2);
    expect(
      foldQuota([
        set('a', { natgateways: 2 }),
        { type: 'NATGatewayQuotaDeleted', data: { uid: 'a' } },
      ]),
    ).toBeUndefined();
    expect(
      foldQuota([
        set('a', { natgateways: 2 }),
        set('a', { natgateways: 5 }),
        { type: 'NATGatewayQuotaDeleted', data: { uid: 'a' } },
        set('b', { publicIPs: 1 }),
      ]),
    ).toMatchObject({ uid: 'b', hard: { publicIPs: 1 }, generation: 1 });
  });

  it('admits up to the tightest limit and names the first quota (by name) it would exceed', () => {
    const quotas = [
      { name: 'team', hard: { natgateways: 3, publicIPs: 10 } },
      { name: 'gateways', hard: { natgateways: 2 } },
      { name: 'nics', hard: { networkinterfaces: 0 } },
    ];
    expect(exceededQuota(quotas, 'natgateways', 1, 1)).toBeUndefined();
    expect(exceededQuota(quotas, 'natgateways', 1, 2)).toEqual({
      quota: 'gateways',
      resource: 'natgateways',
      requested: 1,
      used: 2,
      limited: 2,
    });
    expect(exceededQuota(quotas, 'networkinterfaces', 1, 0)?.quota).toBe('nics');
    expect(exceededQuota(quotas, 'publicIPs', 4, 6)).toBeUndefined();
    expect(exceededQuota(quotas, 'publicIPs', 5, 6)?.limited).toBe(10);
    expect(exceededQuota([], 'publicIPs', 1_000_000, 0)).toBeUndefined();
    expect(quotaLimit(quotas, 'natgateways')).toBe(2);
    expect(quotaLimit(quotas, 'publicIPs')).toBe(10);
    expect(quotaLimit([{ name: 'x', hard: {} }], 'publicIPs')).toBeUndefined();
    const tightFirst = [
      { name: 'a', hard: { publicIPs: 3 } },
      { name: 'b', hard: { publicIPs: 5 } },
      { name: 'c', hard: {} },
    ];
    expect(quotaLimit(tightFirst, 'publicIPs')).toBe(3);
    expect(quotaLimit([...tightFirst].reverse(), 'publicIPs')).toBe(3);
  });

  it('names the first exceeded quota by name whatever order the quotas come in', () => {
    const quotas = ['m', 'zz', 'b', 'a', 'z', 'ab'].map((name) => ({
      name,
      hard: { natgateways: 1 },
    }));
    const orders = [quotas, [...quotas].reverse(), [...quotas.slice(3), ...quotas.slice(0, 3)]];
    for (const order of orders) {
      expect(exceededQuota(order, 'natgateways', 1, 1)?.quota).toBe('a');
      const withoutA = order.filter((quota) => quota.name !== 'a');
      expect(exceededQuota(withoutA, 'natgateways', 1, 1)?.quota).toBe('ab');
    }
  });

  it('words a refusal as Kubernetes does', () => {
    expect(
      describeExceeded({ quota: 'q', resource: 'natgateways', requested: 1, used: 3, limited: 3 }),
    ).toBe(
      'exceeded quota: q, requested: natgateways=1, used: natgateways=3, limited: natgateways=3',
    );
  });
});
