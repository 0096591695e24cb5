import { WatchSlots } from './watch-slots';

describe('WatchSlots', () => {
  it('caps open watches per client and in total, and frees a slot on release (once)', () => {
    const slots = new WatchSlots(2, 3);
    const a1 = slots.acquire('a');
    const a2 = slots.acquire('a');
    expect(typeof a1).toBe('function');
    expect(typeof a2).toBe('function');
    expect(slots.acquire('a')).toBe('client');
    const b1 = slots.acquire('b');
    expect(typeof b1).toBe('function');
    expect(slots.acquire('c')).toBe('total');
    if (typeof a1 !== 'function') throw new Error('no slot');
    a1();
    a1(); // a second release changes nothing
    expect(slots.open('a')).toBe(1);
    expect(slots.open()).toBe(2);
    expect(typeof slots.acquire('c')).toBe('function');
    expect(slots.acquire('d')).toBe('total');
  });
});
