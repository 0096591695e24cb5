import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { RulesetWatch } from './ruleset-watch';

/** A stand-in for `nft monitor`: its stdout is written by the test. */
function fakeMonitor() {
  const started: (EventEmitter & { stdout: PassThrough; killed: boolean })[] = [];
  const start = () => {
    const child = Object.assign(new EventEmitter(), {
      stdout: new PassThrough(),
      killed: false,
      unref: () => undefined,
      kill() {
        child.killed = true;
        child.emit('exit', null, 'SIGKILL');
        return true;
      },
    });
    started.push(child);
    return child as unknown as ChildProcess;
  };
  const print = async (text: string) => {
    started[started.length - 1]?.stdout.write(text);
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { start, started, print };
}

describe('RulesetWatch', () => {
  it('is suspicious until started and read, then only after another process commits', async () => {
    const monitor = fakeMonitor();
    const watch = new RulesetWatch(monitor.start);
    expect(watch.suspicious).toBe(true);
    watch.readStarting(); // not running: a read proves nothing about later changes
    expect(watch.suspicious).toBe(true);
    watch.start();
    expect(watch.suspicious).toBe(true);
    watch.readStarting();
    expect(watch.suspicious).toBe(false);

    watch.ownProcess(4242);
    await monitor.print('add element inet natgw snat4 { 10.0.0.2 : 203.0.113.1 . 1024-2047 }\n');
    await monitor.print('# new generation 7 by process 4242 (nft)\n');
    expect(watch.suspicious).toBe(false);

    // Another process, its line split across two chunks.
    await monitor.print('delete table inet natgw\n# new generation 8 by pro');
    expect(watch.suspicious).toBe(false);
    await monitor.print('cess 999 (nft)\n');
    expect(watch.suspicious).toBe(true);
    watch.readStarting();
    expect(watch.suspicious).toBe(false);

    // A generation without a pid cannot be ours.
    await monitor.print('# new generation 9\n');
    expect(watch.suspicious).toBe(true);
  });

  it('is suspicious when the monitor exits or is stopped, and starts a new one on demand', async () => {
    const monitor = fakeMonitor();
    const watch = new RulesetWatch(monitor.start);
    watch.start();
    watch.readStarting();
    monitor.started[0]?.emit('exit', 1, null);
    expect(watch.running).toBe(false);
    expect(watch.suspicious).toBe(true);
    watch.start();
    expect(monitor.started).toHaveLength(2);
    watch.readStarting();
    expect(watch.suspicious).toBe(false);
    watch.stop();
    expect(monitor.started[1]?.killed).toBe(true);
    expect(watch.suspicious).toBe(true);
  });
});
