import { DrainDeadlines } from './drain-deadlines';

describe('DrainDeadlines', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const key = { namespace: 'default', network: 'net' };

  it('fires at the deadline, once, and can be moved or cleared', () => {
    const fired: string[] = [];
    const clock = { now: 1_000 };
    const deadlines = new DrainDeadlines(
      (_k, uid) => fired.push(uid),
      () => clock.now,
    );
    deadlines.set(key, 'gw-a', 6_000);
    deadlines.set(key, 'gw-b', 3_000);
    deadlines.set(key, 'gw-b', 4_000); // moved
    deadlines.set(key, 'gw-c', 2_000);
    deadlines.set(key, 'gw-c', undefined); // cleared
    jest.advanceTimersByTime(2_999);
    expect(fired).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(fired).toEqual(['gw-b']);
    expect(deadlines.armed('gw-b')).toBeUndefined();
    jest.advanceTimersByTime(2_000);
    expect(fired).toEqual(['gw-b', 'gw-a']);
  });

  it('fires at once for a deadline already passed, and never after stop', () => {
    const fired: string[] = [];
    const deadlines = new DrainDeadlines(
      (_k, uid) => fired.push(uid),
      () => 10_000,
    );
    deadlines.set(key, 'late', 5_000);
    deadlines.set(key, 'later', 20_000);
    jest.advanceTimersByTime(0);
    expect(fired).toEqual(['late']);
    deadlines.stop();
    jest.advanceTimersByTime(60_000);
    expect(fired).toEqual(['late']);
  });
});
