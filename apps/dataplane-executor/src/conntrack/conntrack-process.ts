import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { DataplaneError, DataplaneUnavailableError } from '../backends/dataplane-errors';
import {
  type ConntrackEntry,
  ConntrackParseError,
  parseConntrackLine,
} from './parse-conntrack-line';

/** Where and how the conntrack CLI (conntrack-tools) runs. */
export interface ConntrackProcessOptions {
  /** Run inside this network namespace (`ip netns exec <netns> conntrack ...`). */
  readonly netns?: string;
  /** The conntrack binary; `conntrack` from PATH by default. */
  readonly conntrackPath?: string;
  /** Kill a listing that takes longer than this (not used for `-E`, which runs until stopped). */
  readonly timeoutMs?: number;
}

/** conntrack exited with an error (stderr in the message). */
export class ConntrackError extends DataplaneError {
  constructor(message: string) {
    super('conntrack', `conntrack: ${message}`);
  }
}

const MISSING =
  'conntrack: `conntrack` was not found; install conntrack-tools (Debian: `apt-get install -y conntrack`)';

/**
 * Starts `conntrack <args>` (in the namespace when one is given). The caller owns the process:
 * `-E` runs until killed. A missing binary is reported as DataplaneUnavailableError on `error`.
 */
export function spawnConntrack(
  args: readonly string[],
  options: ConntrackProcessOptions = {},
): ChildProcessWithoutNullStreams {
  const binary = options.conntrackPath ?? 'conntrack';
  const [command, prefix] = options.netns
    ? ['ip', ['netns', 'exec', options.netns, binary]]
    : [binary, []];
  return spawn(command, [...prefix, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
}

/** What a listing did besides its entries. */
export interface ConntrackListing {
  /** Lines that looked like entries but could not be parsed (the first few are in `problems`). */
  malformed: number;
  problems: string[];
}

/**
 * Runs `conntrack <args>` (e.g. `-L -o extended`) and yields each line of its output as it
 * arrives, so a listing of a million entries is never held in memory. Throws ConntrackError when
 * the tool fails (its stderr says why) and DataplaneUnavailableError when it is not installed.
 * Stopping the iteration early kills the process.
 */
export async function* conntrackLines(
  args: readonly string[],
  options: ConntrackProcessOptions = {},
): AsyncGenerator<string> {
  const child = spawnConntrack(args, options);
  const stderr: Buffer[] = [];
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  child.stdin.end();
  let spawnError: Error | undefined;
  const closed = new Promise<number | null>((resolve) => {
    child.on('error', (error: NodeJS.ErrnoException) => {
      spawnError =
        error.code === 'ENOENT' ? new DataplaneUnavailableError('conntrack', MISSING) : error;
      resolve(null);
    });
    child.on('close', (code) => resolve(code));
  });
  const timer = options.timeoutMs
    ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs)
    : undefined;
  try {
    yield* createInterface({ input: child.stdout, crlfDelay: Infinity });
    const code = await closed;
    if (spawnError) throw spawnError;
    if (code !== 0) {
      const text = Buffer.concat(stderr).toString('utf8').trim();
      if (options.netns && /command not found|No such file/i.test(text))
        throw new DataplaneUnavailableError('conntrack', MISSING);
      throw new ConntrackError(
        `conntrack ${args.join(' ')} ${code === null ? 'was killed (timeout)' : `exited with ${code}`}: ${text || '(no output)'}`,
      );
    }
  } finally {
    if (timer) clearTimeout(timer);
    // An abandoned iteration (the caller stopped early) must not leave the process behind.
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

/**
 * conntrackLines parsed into entries (parseConntrackLine). Malformed lines are counted in
 * `listing` and skipped.
 */
export async function* conntrackEntries(
  args: readonly string[],
  options: ConntrackProcessOptions = {},
  listing: ConntrackListing = { malformed: 0, problems: [] },
): AsyncGenerator<ConntrackEntry> {
  for await (const line of conntrackLines(args, options)) {
    let entry: ConntrackEntry | undefined;
    try {
      entry = parseConntrackLine(line);
    } catch (error) {
      if (!(error instanceof ConntrackParseError)) throw error;
      listing.malformed += 1;
      if (listing.problems.length < 5) listing.problems.push(error.message);
    }
    if (entry) yield entry;
  }
}

/** Runs `conntrack <args>` to completion and returns its standard output. */
export async function runConntrack(
  args: readonly string[],
  options: ConntrackProcessOptions = {},
): Promise<string> {
  const child = spawnConntrack(args, options);
  child.stdin.end();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'ENOENT' ? new DataplaneUnavailableError('conntrack', MISSING) : error),
    );
    child.on('close', resolve);
  }).finally(() => clearTimeout(timer));
  const stderr = Buffer.concat(err).toString('utf8').trim();
  if (code !== 0) {
    if (options.netns && /command not found|No such file/i.test(stderr))
      throw new DataplaneUnavailableError('conntrack', MISSING);
    throw new ConntrackError(
      `conntrack ${args.join(' ')} exited with ${code}: ${stderr || '(no output)'}`,
    );
  }
  return Buffer.concat(out).toString('utf8');
}
