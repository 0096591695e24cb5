import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import {
  type ConntrackEntry,
  type ConntrackProcessOptions,
  ConntrackParseError,
  parseConntrackLine,
  spawnConntrack,
} from '../conntrack';

/** `conntrack -E` for new and destroyed connections, with their translation and a timestamp. */
export const CONNTRACK_EVENT_ARGS = ['-E', '-e', 'NEW,DESTROY', '-o', 'extended,timestamp'];

/**
 * A running `conntrack -E` (in DATAPLANE_NETNS): calls `onEntry` for every parsed event and
 * `onExit` when the process ends by itself (the caller restarts it). stop() kills it.
 */
export class ConntrackEventStream {
  private child?: ChildProcessWithoutNullStreams;
  /** Lines that were not events (counted, skipped). */
  malformed = 0;

  constructor(
    private readonly options: ConntrackProcessOptions,
    private readonly onEntry: (entry: ConntrackEntry) => void,
    private readonly onExit: (reason: string) => void,
  ) {}

  get running(): boolean {
    return this.child !== undefined;
  }

  start(): void {
    if (this.child) return;
    const child = spawnConntrack(CONNTRACK_EVENT_ARGS, this.options);
    this.child = child;
    child.stdin.end();
    const stderr: string[] = [];
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 20) stderr.push(chunk.toString('utf8'));
    });
    const lines = createInterface({ input: child.stdout, crlfDelay: Infinity });
    lines.on('line', (line) => {
      try {
        const entry = parseConntrackLine(line);
        if (entry) this.onEntry(entry);
      } catch (error) {
        if (!(error instanceof ConntrackParseError)) throw error;
        this.malformed += 1;
      }
    });
    child.on('error', (error) => this.ended(child, error.message));
    child.on('close', (code, signal) =>
      this.ended(child, `exited (${signal ?? code}): ${stderr.join('').trim() || 'no output'}`),
    );
  }

  private ended(child: ChildProcessWithoutNullStreams, reason: string): void {
    if (this.child !== child) return; // stopped on purpose
    this.child = undefined;
    this.onExit(reason);
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('close', () => resolve()));
    child.kill('SIGKILL');
    await gone;
  }
}
