import { CoalescedRun } from './coalesced-run';

/** A task whose runs end when the test says so. */
function gatedTask() {
  const ends: Array<(err?: Error) => void> = [];
  let runs = 0;
  const task = () =>
    new Promise<void>((resolve, reject) => {
      runs++;
      ends.push((err) => (err ? reject(err) : resolve()));
    });
  return { task, ends, runs: () => runs };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('CoalescedRun', () => {
  it('runs at once when idle', async () => {
    const { task, ends, runs } = gatedTask();
    const c = new CoalescedRun(task);
    const p = c.run();
    expect(runs()).toBe(1);
    ends[0]();
    await p;
  });

  it('serves every call made during a run with one more run, started after it', async () => {
    const { task, ends, runs } = gatedTask();
    const c = new CoalescedRun(task);
    const first = c.run();
    let laterDone = 0;
    const later = [c.run(), c.run(), c.run()].map((p) => p.then(() => laterDone++));
    expect(runs()).toBe(1);
    ends[0]();
    await first;
    await tick();
    // The calls made during the first run wait for the second.
    expect(runs()).toBe(2);
    expect(laterDone).toBe(0);
    ends[1]();
    await Promise.all(later);
    expect(laterDone).toBe(3);
    expect(runs()).toBe(2);
    // Idle again: the next call runs at once.
    const again = c.run();
    expect(runs()).toBe(3);
    ends[2]();
    await again;
  });

  it('rejects the calls a failed run served, and runs again for the next call', async () => {
    const { task, ends, runs } = gatedTask();
    const c = new CoalescedRun(task);
    const first = c.run();
    const second = c.run();
    ends[0](new Error('boom'));
    await expect(first).rejects.toThrow('boom');
    await tick();
    expect(runs()).toBe(2);
    ends[1](new Error('again'));
    await expect(second).rejects.toThrow('again');
    const third = c.run();
    expect(runs()).toBe(3);
    ends[2]();
    await third;
  });
});
