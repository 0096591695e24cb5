import { InvalidPortsPerNetworkInterfaceError, SlotIndexOutOfRangeError } from './errors';
import {
  DEFAULT_PORTS_PER_NETWORK_INTERFACE,
  NAT_PORT_COUNT,
  slotIndexOf,
  slotPortRange,
  slotsPerIp,
  validatePortsPerNetworkInterface,
} from './port-slots';

describe('port slots', () => {
  it('splits the 64,512 ports 1024..65535', () => {
    expect(NAT_PORT_COUNT).toBe(64512);
    expect(DEFAULT_PORTS_PER_NETWORK_INTERFACE).toBe(2048);
  });

  it.each([
    [64, 1008],
    [1024, 63],
    [2048, 31],
    [4096, 15],
    [32768, 1],
    [1, 64512],
  ])('with ppni=%i an IP holds %i slots', (ppni, slots) => {
    expect(slotsPerIp(ppni)).toBe(slots);
  });

  it('slot 0 with ppni=64 is 1024..1087, exactly 64 ports', () => {
    expect(slotPortRange(64, 0)).toEqual({ port: 1024, endPort: 1087 });
    expect(slotPortRange(64, 1)).toEqual({ port: 1088, endPort: 1151 });
  });

  it('the last slot with ppni=2048 ends at 64511, leaving 64512..65535 unused', () => {
    expect(slotPortRange(2048, 30)).toEqual({ port: 62464, endPort: 64511 });
    expect(() => slotPortRange(2048, 31)).toThrow(SlotIndexOutOfRangeError);
  });

  it('the only slot with ppni=32768 is 1024..33791', () => {
    expect(slotPortRange(32768, 0)).toEqual({ port: 1024, endPort: 33791 });
  });

  it('the last slot with ppni=64 ends exactly at 65535', () => {
    expect(slotPortRange(64, 1007)).toEqual({ port: 65472, endPort: 65535 });
  });

  it('refuses slot indexes that are negative or fractional', () => {
    expect(() => slotPortRange(64, -1)).toThrow(SlotIndexOutOfRangeError);
    expect(() => slotPortRange(64, 0.5)).toThrow(SlotIndexOutOfRangeError);
  });

  it('recognises a port range as a slot only under the ppni it was cut with', () => {
    expect(slotIndexOf(64, { port: 1088, endPort: 1151 })).toBe(1);
    expect(slotIndexOf(128, { port: 1088, endPort: 1151 })).toBeUndefined();
    expect(slotIndexOf(64, { port: 1090, endPort: 1153 })).toBeUndefined();
    expect(slotIndexOf(2048, { port: 64512, endPort: 66559 })).toBeUndefined();
    // A whole slot's width below the first NAT port is no slot (it would be slot -1).
    expect(slotIndexOf(1024, { port: 0, endPort: 1023 })).toBeUndefined();
  });

  describe('validatePortsPerNetworkInterface', () => {
    it('accepts every power of 2 up to 32768', () => {
      for (let ppni = 1; ppni <= 32768; ppni *= 2) {
        expect(validatePortsPerNetworkInterface(ppni)).toEqual([]);
      }
    });

    it('names a value that is not a power of 2', () => {
      expect(validatePortsPerNetworkInterface(1000)).toEqual(['1000 is not a power of 2']);
    });

    it('explains why 65536 leaves no slot per IP', () => {
      const [problem] = validatePortsPerNetworkInterface(65536);
      expect(problem).toContain('65536 leaves no slot per IP');
      expect(problem).toContain('64512 usable ports (1024..65535)');
      expect(problem).toContain('at most 32768');
    });

    it('reports both problems of a large non-power', () => {
      expect(validatePortsPerNetworkInterface(40000)).toHaveLength(2);
    });

    it('refuses zero, negatives and fractions', () => {
      expect(validatePortsPerNetworkInterface(0)).toEqual(['0 must be greater than 0']);
      expect(validatePortsPerNetworkInterface(-64)).toEqual(['-64 must be greater than 0']);
      expect(validatePortsPerNetworkInterface(2.5)).toEqual(['2.5 is not an integer']);
      expect(validatePortsPerNetworkInterface(Number.NaN)).toEqual(['NaN is not an integer']);
    });

    it('makes slotsPerIp throw a typed error naming the problems', () => {
      expect(() => slotsPerIp(100)).toThrow(InvalidPortsPerNetworkInterfaceError);
      expect(() => slotsPerIp(100)).toThrow('100 is not a power of 2');
    });
  });
});
