import { spawn } from 'node:child_process';
import type { Writable } from 'node:stream';
import { DataplaneUnavailableError } from '../dataplane-errors';

/** What one `nft` invocation returned. */
export interface NftResult {
  /** null when the process was killed (timeout). */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `nft <args>` with optional standard input; swappable for tests. */
export type NftRunner = (args: readonly string[], stdin?: string) => Promise<NftResult>;

/**
 * A runner that can also take standard input in pieces, writing each while the next is made
 * (the tool starts reading, e.g. nft parsing, before the whole input exists). The input may be
 * promised: the process starts at once and waits for it, so its start-up overlaps the caller's
 * other work. If the promise rejects or making a piece throws, the process is killed before its
 * input ends, so a half-written input is never run.
 */
/**
 * Standard input in pieces: text, or bytes already encoded; an async iterable may wait between
 * pieces (and, by throwing, kill the process before its input ends).
 */
export type StreamInput = Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>;

export interface StreamingRunner extends NftRunner {
  stream(args: readonly string[], stdin: StreamInput | Promise<StreamInput>): Promise<NftResult>;
}

/** How nft is run: where, and for how long at most. */
export interface ProcessNftRunnerOptions {
  /** Run inside this network namespace (`ip netns exec <netns> nft ...`). */
  readonly netns?: string;
  /** The nft binary; `nft` from PATH by default. */
  readonly nftPath?: string;
  /** Kill an nft that takes longer than this; 120 s by default (50,000 NICs take ~1 s). */
  readonly timeoutMs?: number;
  /** Told the pid of every process started, before it reads its input (RulesetWatch.ownProcess). */
  readonly onSpawn?: (pid: number | undefined) => void;
}

/** A runner that starts the real nft as a child process. */
export function processNftRunner(options: ProcessNftRunnerOptions = {}): StreamingRunner {
  const nft = options.nftPath ?? 'nft';
  const [command, prefix] = options.netns
    ? ['ip', ['netns', 'exec', options.netns, nft]]
    : [nft, []];
  return processRunner(command, prefix, options.timeoutMs, options.onSpawn);
}

/**
 * A runner that starts `ip` (iproute2) as a child process, in the namespace when one is given
 * (`ip -n <netns> ...`); same result shape as nft's.
 */
export function processIpRunner(options: Omit<ProcessNftRunnerOptions, 'nftPath'> = {}): NftRunner {
  return processRunner('ip', options.netns ? ['-n', options.netns] : [], options.timeoutMs);
}

function processRunner(
  command: string,
  prefix: readonly string[],
  timeoutMs = 120_000,
  onSpawn?: (pid: number | undefined) => void,
): StreamingRunner {
  const start = (args: readonly string[]) => {
    const child = spawn(command, [...prefix, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    // `ip netns exec` execs nft in place: the pid is nft's.
    onSpawn?.(child.pid);
    const result = new Promise<NftResult>((resolve, reject) => {
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
      child.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        if (error.code === 'ENOENT') {
          reject(
            new DataplaneUnavailableError(
              'nftables',
              `nftables: \`${command}\` was not found; install nftables and iproute2 ` +
                '(Debian: `apt-get install -y nftables iproute2`)',
            ),
          );
        } else reject(error);
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({
          code,
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
        });
      });
    });
    // The tool may exit before reading everything (a syntax error); its stderr says why.
    child.stdin.on('error', () => undefined);
    return { child, result };
  };
  const run: NftRunner = (args, stdin) => {
    const { child, result } = start(args);
    child.stdin.end(stdin ?? '');
    return result;
  };
  const stream = async (args: readonly string[], stdin: StreamInput | Promise<StreamInput>) => {
    const { child, result } = start(args);
    result.catch(() => undefined);
    try {
      for await (const piece of await stdin) {
        if (child.stdin.destroyed) break;
        if (!child.stdin.write(piece)) await writable(child.stdin);
      }
    } catch (error) {
      // Never end the input of a half-written transaction: the tool dies without running it.
      child.kill('SIGKILL');
      await result.catch(() => undefined);
      throw error;
    }
    child.stdin.end();
    return result;
  };
  return Object.assign(run, { stream });
}

/** Resolves when the stream may be written again, or is gone (the process exited). */
function writable(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}

/** A streamed run whose process is already started and waits for its input. */
export interface PendingStream {
  /** Gives the input; resolves when the process has run it. */
  send(input: StreamInput): Promise<NftResult>;
  /** Kills the process before it gets any input (nothing is run); no-op once sent. */
  cancel(): void;
}

/** Starts `runner.stream(args, …)` now, with the input given later by send(). */
export function pendingStream(runner: StreamingRunner, args: readonly string[]): PendingStream {
  let give: (input: StreamInput) => void = () => undefined;
  let fail: (reason: Error) => void = () => undefined;
  const input = new Promise<StreamInput>((resolve, reject) => {
    give = resolve;
    fail = reject;
  });
  const result = runner.stream(args, input);
  result.catch(() => undefined);
  return {
    send: (ruleset) => {
      give(ruleset);
      return result;
    },
    cancel: () => fail(new Error('not needed')),
  };
}
