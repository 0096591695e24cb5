import { slotsPerIp } from '../allocation/port-slots';
import { gatewayPortUsageCounts, minExtraPublicIPsNeeded, nearPortExhaustion } from './port-usage';

describe('nearPortExhaustion', () => {
  it('is true from 80% of the slot on', () => {
    expect(nearPortExhaustion(3, 4)).toBe(false);
    expect(nearPortExhaustion(4, 4)).toBe(true);
    expect(nearPortExhaustion(1638, 2048)).toBe(false);
    expect(nearPortExhaustion(1639, 2048)).toBe(true);
    expect(nearPortExhaustion(0, 0)).toBe(false);
  });
});

describe('minExtraPublicIPsNeeded', () => {
  it('is 0 when no NIC waits', () => {
    expect(minExtraPublicIPsNeeded(0, 2048)).toBe(0);
  });

  it('is 0 for a count that is no count of NICs (negative, fractional, NaN)', () => {
    for (const waiting of [-3, -0.5, 2.5, Number.NaN]) {
      expect({ waiting, ips: minExtraPublicIPsNeeded(waiting, 2048) }).toEqual({ waiting, ips: 0 });
    }
  });

  it('is the fewest IPs whose slots hold every waiting NIC (oracle: add IPs until they fit)', () => {
    for (const ppni of [1, 64, 1024, 2048, 32768]) {
      for (const waiting of [1, 2, 31, 32, 33, 1000, 64512, 70000]) {
        let ips = 0;
        while (ips * slotsPerIp(ppni) < waiting) ips += 1;
        expect({ ppni, waiting, ips: minExtraPublicIPsNeeded(waiting, ppni) }).toEqual({
          ppni,
          waiting,
          ips,
        });
      }
    }
  });
});

describe('gatewayPortUsageCounts', () => {
  it('counts exhausted NICs and, apart from them, those whose peak reached 80%', () => {
    expect(
      gatewayPortUsageCounts([
        { size: 4, peak: 4, exhausted: true },
        { size: 4, peak: 4, exhausted: false },
        { size: 2048, peak: 1700, exhausted: false },
        { size: 2048, peak: 100, exhausted: false },
      ]),
    ).toEqual({ nearExhaustion: 2, exhausted: 1 });
  });
});
