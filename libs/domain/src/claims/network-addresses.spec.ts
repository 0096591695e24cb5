import { addressChanges } from './network-addresses';

describe('addressChanges', () => {
  it('claims every address of a new NIC, canonically, with its spec index', () => {
    expect(addressChanges([], ['10.0.0.5', 'fd00:0db8::0001'])).toEqual({
      claim: [
        { index: 0, ip: '10.0.0.5' },
        { index: 1, ip: 'fd00:db8::1' },
      ],
      release: [],
    });
  });

  it('releases every address at the final delete', () => {
    expect(addressChanges(['10.0.0.5', 'fd00::1'], [])).toEqual({
      claim: [],
      release: ['10.0.0.5', 'fd00::1'],
    });
  });

  it('claims the new and releases the old address of a changed family, keeps the rest', () => {
    expect(addressChanges(['10.0.0.5', 'fd00::1'], ['fd00::1', '10.0.0.6'])).toEqual({
      claim: [{ index: 1, ip: '10.0.0.6' }],
      release: ['10.0.0.5'],
    });
  });

  it('a respelled IPv6 address is the same address', () => {
    expect(addressChanges(['fd00:0:0:0::0001'], ['fd00::1'])).toEqual({ claim: [], release: [] });
  });
});
