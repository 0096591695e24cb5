import { execFile } from 'node:child_process';

/** A retiring slot of a drained IP, as its release event carries it. */
export interface ReleasedRetiringSlot {
  readonly privateIp: string;
  /** The slot's public IP (the event's `ip`). */
  readonly ip: string;
  readonly port: number;
  readonly endPort: number;
  readonly nodeName?: string;
}

/** Runs a command; resolves with its exit code and output (never rejects on an exit code). */
export type CommandRunner = (
  command: string,
  args: readonly string[],
) => Promise<{ code: number; stdout: string; stderr: string }>;

const runCommand: CommandRunner = (command, args) =>
  new Promise((resolve, reject) => {
    execFile(command, [...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(error);
      resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
    });
  });

/**
 * Deletes the conntrack entries of a released retiring slot, so that nothing leaves as a drained
 * IP after its deadline. SNAT keeps an existing connection's mapping in its conntrack entry even
 * after the rule changed (that is what lets connections survive the drain); deleting the entry
 * ends that. An entry belongs to the slot when its original source is the NIC's private address
 * and its reply destination the slot's public IP: a NIC never holds an active and a retiring slot
 * on one IP (the allocator's rule), and no other NIC shares its private address on that IP, so
 * this matches exactly the slot's connections (in every conntrack zone, which network mode uses).
 * `conntrack -D` goes through netlink; DATAPLANE_NETNS is entered with `ip netns exec`.
 */
export class ConntrackFlusher {
  constructor(
    private readonly netns?: string,
    private readonly run: CommandRunner = runCommand,
  ) {}

  /** Deletes the slot's entries; returns how many there were. */
  async flush(slot: ReleasedRetiringSlot): Promise<number> {
    const family = slot.ip.includes(':') ? 'ipv6' : 'ipv4';
    const args = ['-D', '-f', family, '-s', slot.privateIp, '-q', slot.ip];
    const [command, full] =
      this.netns === undefined
        ? ['conntrack', args]
        : ['ip', ['netns', 'exec', this.netns, 'conntrack', ...args]];
    const result = await this.run(command, full);
    // Exit 1 with "0 flow entries have been deleted" when nothing matched.
    const counted = /(\d+) flow entries have been deleted/.exec(
      `${result.stderr}\n${result.stdout}`,
    );
    if (counted) return Number(counted[1]);
    throw new Error(
      `conntrack ${args.join(' ')} failed (exit ${result.code}): ${result.stderr.trim()}`,
    );
  }
}
