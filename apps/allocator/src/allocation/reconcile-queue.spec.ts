import { NetworkKey, ReconcileCause } from './reconcile-network';
import { ReconcileQueue } from './reconcile-queue';

const net = (network: string): NetworkKey => ({ namespace: 'ns', network });

/** A queue whose reconciles wait until released, recording the order they ran in. */
function recordingQueue(concurrency: number) {
  const ran: string[] = [];
  const causes: Array<string | undefined> = [];
  const gates: Array<() => void> = [];
  const queue = new ReconcileQueue(
    (key: NetworkKey, cause: ReconcileCause) =>
      new Promise<void>((resolve) => {
        ran.push(key.network);
        causes.push(cause.correlationId);
        gates.push(resolve);
      }),
    concurrency,
  );
  const releaseAll = async () => {
    for (;;) {
      await new Promise((r) => setImmediate(r));
      const gate = gates.shift();
      if (!gate) return;
      gate();
    }
  };
  return { queue, ran, causes, releaseAll };
}

describe('ReconcileQueue', () => {
  it('works on networks an event named before those a resync queued', async () => {
    const { queue, ran, releaseAll } = recordingQueue(1);
    queue.add(net('busy'));
    for (const n of ['r1', 'r2', 'r3']) queue.add(net(n), {}, 'resync');
    queue.add(net('e1'));
    queue.add(net('r2')); // an event for a network the resync queued moves it up
    queue.add(net('e1'), {}, 'resync'); // a resync does not move an event's network down
    await releaseAll();
    await queue.idle();
    expect(ran).toEqual(['busy', 'e1', 'r2', 'r1', 'r3']);
  });

  it('reconciles a network queued many times once, with the newest cause', async () => {
    const { queue, ran, causes, releaseAll } = recordingQueue(1);
    queue.add(net('busy'));
    queue.add(net('a'), { correlationId: 'first' }, 'resync');
    queue.add(net('a'), { correlationId: 'second' });
    queue.add(net('a'), { correlationId: 'third' }, 'resync');
    await releaseAll();
    await queue.idle();
    expect(ran).toEqual(['busy', 'a']);
    expect(causes).toEqual([undefined, 'third']);
  });

  it('never runs one network on two workers at once', async () => {
    const { queue, ran, releaseAll } = recordingQueue(4);
    queue.add(net('a'));
    queue.add(net('a'));
    queue.add(net('b'));
    await new Promise((r) => setImmediate(r));
    expect(ran).toEqual(['a', 'b']);
    await releaseAll();
    await queue.idle();
    expect(ran).toEqual(['a', 'b', 'a']);
  });
});
