import { type ChildProcess, spawn } from 'node:child_process';

/** How many of natgw's own nft process ids are remembered (a transaction's line comes soon). */
const OWN_PIDS_KEPT = 256;

const GENERATION = /^# new generation \d+(?: by process (\d+))?/;

/** Starts the watching process; swappable for tests. */
export type StartMonitor = () => ChildProcess;

/** `nft monitor` in a namespace (or the process's own), as a child process. */
export function nftMonitorProcess(netns: string | undefined, nftPath = 'nft'): StartMonitor {
  return () =>
    netns
      ? spawn('ip', ['netns', 'exec', netns, nftPath, 'monitor'], {
          stdio: ['ignore', 'pipe', 'ignore'],
        })
      : spawn(nftPath, ['monitor'], { stdio: ['ignore', 'pipe', 'ignore'] });
}

/**
 * Tells whether anyone but natgw changed a namespace's nftables ruleset, without reading it:
 * `nft monitor` prints every committed transaction, ending with `# new generation N by process
 * PID`, and natgw knows the pids of its own nft processes. A transaction by any other process
 * (in any table: the watch does not look at what changed) makes the watch suspicious until the
 * next read-back clears it. So is a watch that is not running or has just started, since it may
 * have missed something: only a read proves the table.
 *
 * Costs nothing while the ruleset is still; every element natgw itself adds or deletes is printed
 * once, so a full sync of a big table stops the watch and starts it again afterwards.
 */
export class RulesetWatch {
  private child: ChildProcess | undefined;
  private readonly own = new Set<number>();
  private suspect = true;
  private partial = '';

  constructor(private readonly startMonitor: StartMonitor) {}

  /**
   * Starts watching if not already (the backend starts it when first asked whether anything
   * changed, so a backend nobody asks runs no monitor); a fresh watch is suspicious until the
   * next read.
   */
  start(): void {
    if (this.child) return;
    this.suspect = true;
    this.partial = '';
    const child = this.startMonitor();
    this.child = child;
    // Never what keeps the executor alive.
    child.unref();
    (child.stdout as { unref?: () => void } | null)?.unref?.();
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => this.onData(chunk));
    const gone = () => {
      if (this.child !== child) return;
      this.child = undefined;
      this.suspect = true;
    };
    child.on('error', gone);
    child.on('exit', gone);
  }

  /** Whether the monitor process is running. */
  get running(): boolean {
    return this.child !== undefined;
  }

  /** Stops watching (suspicious from now on). */
  stop(): void {
    const child = this.child;
    this.child = undefined;
    this.suspect = true;
    child?.kill('SIGKILL');
  }

  /** Records the pid of one of natgw's own nft processes, before it can commit anything. */
  ownProcess(pid: number | undefined): void {
    if (pid === undefined) return;
    this.own.add(pid);
    if (this.own.size > OWN_PIDS_KEPT) this.own.delete(this.own.values().next().value as number);
  }

  /** A read-back is starting: what it finds is the truth, so earlier transactions are covered. */
  readStarting(): void {
    if (this.child) this.suspect = false;
  }

  /**
   * True when the ruleset may hold changes natgw did not make: another process committed a
   * transaction, or the watch was not running, since the last read started.
   */
  get suspicious(): boolean {
    return this.suspect || this.child === undefined;
  }

  private onData(chunk: string): void {
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop() ?? '';
    // A monitor that prints endlessly without a newline is not nft's: keep memory bounded.
    if (this.partial.length > 65_536) {
      this.partial = '';
      this.suspect = true;
    }
    for (const line of lines) {
      const match = GENERATION.exec(line);
      if (!match) continue;
      const pid = match[1] === undefined ? undefined : Number(match[1]);
      if (pid === undefined || !this.own.has(pid)) this.suspect = true;
    }
  }
}
