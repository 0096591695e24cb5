import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataplaneUnavailableError } from '../backends/dataplane-errors';
import { type ConntrackEntry } from './parse-conntrack-line';
import {
  ConntrackError,
  type ConntrackListing,
  conntrackEntries,
  runConntrack,
} from './conntrack-process';

/** A stand-in conntrack: a shell script printing `stdout`, `stderr` and exiting with `code`. */
function fakeConntrack(stdout: string, stderr = '', code = 0): string {
  const dir = mkdtempSync(join(tmpdir(), 'natgw-ct-'));
  const path = join(dir, 'conntrack');
  writeFileSync(
    path,
    `#!/bin/sh\ncat <<'OUT'\n${stdout}\nOUT\nprintf '%s' '${stderr}' >&2\nexit ${code}\n`,
  );
  chmodSync(path, 0o755);
  return path;
}

async function collect(iterable: AsyncIterable<ConntrackEntry>): Promise<ConntrackEntry[]> {
  const out: ConntrackEntry[] = [];
  for await (const entry of iterable) out.push(entry);
  return out;
}

const LINE =
  'ipv4     2 udp      17 28 src=10.200.0.2 dst=198.51.100.2 sport=45673 dport=8081 src=198.51.100.2 dst=203.0.113.1 sport=8081 dport=1024 mark=0 use=1';

describe('conntrackEntries', () => {
  it('streams the parsed entries and counts malformed lines without stopping', async () => {
    const path = fakeConntrack(`${LINE}\nipv4 2 udp 17 1 src=broken\n${LINE}`);
    const listing: ConntrackListing = { malformed: 0, problems: [] };
    const entries = await collect(conntrackEntries(['-L'], { conntrackPath: path }, listing));
    expect(entries).toHaveLength(2);
    expect(entries[0].reply.dport).toBe(1024);
    expect(listing.malformed).toBe(1);
    expect(listing.problems[0]).toMatch(/src=broken/);
  });

  it('throws with the tool stderr when it fails', async () => {
    const path = fakeConntrack('', 'Operation not permitted', 1);
    await expect(collect(conntrackEntries(['-L'], { conntrackPath: path }))).rejects.toThrow(
      new ConntrackError('conntrack -L exited with 1: Operation not permitted'),
    );
  });

  it('says what to install when conntrack is missing', async () => {
    await expect(
      collect(conntrackEntries(['-L'], { conntrackPath: '/nonexistent/conntrack' })),
    ).rejects.toThrow(DataplaneUnavailableError);
    await expect(runConntrack(['-C'], { conntrackPath: '/nonexistent/conntrack' })).rejects.toThrow(
      /apt-get install -y conntrack/,
    );
  });

  it('runConntrack returns the output', async () => {
    expect((await runConntrack(['-C'], { conntrackPath: fakeConntrack('42') })).trim()).toBe('42');
  });
});
