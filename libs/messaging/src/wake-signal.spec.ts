import { WakeSignal } from './wake-signal';

describe('WakeSignal', () => {
  it('wakes a waiter before its timeout', async () => {
    const signal = new WakeSignal();
    const waiting = signal.wait(60_000);
    signal.wake();
    await expect(waiting).resolves.toBeUndefined();
  });

  it('remembers a wake-up that came while nobody waited, once', async () => {
    const signal = new WakeSignal();
    signal.wake();
    signal.wake();
    await expect(signal.wait(60_000)).resolves.toBeUndefined();
    let second = false;
    const waiting = signal.wait(60_000).then(() => (second = true));
    await Promise.resolve();
    expect(second).toBe(false);
    signal.wake();
    await waiting;
    expect(second).toBe(true);
  });
});
