import type { LabProcess, NetnsLab } from './netns';

// Drain tests (issue 17.1): a connection that outlives a rule change, and what arrives from
// which public IP. Every process and table lives in namespaces of the lab, removed with it.

// Answers every line with the address and port it sees the connection come from.
const WHO_SERVER = `
const net = require('net');
const [host, port] = process.argv.slice(1);
net.createServer((s) => {
  s.on('error', () => {});
  s.on('data', (d) => {
    for (const line of d.toString().split('\\n').filter(Boolean))
      s.write(JSON.stringify({ line, from: s.remoteAddress + ':' + s.remotePort }) + '\\n');
  });
}).listen({ host, port: +port }, () => process.stdout.write('{"ready":true}\\n'));
`;

// One long-lived connection: sends "ping <n>" every 300 ms and prints each answer, or its end.
const LONG_CLIENT = `
const net = require('net');
const [host, port] = process.argv.slice(1);
let n = 0;
const s = net.connect({ host, port: +port }, () => {
  process.stdout.write('{"connected":true}\\n');
  setInterval(() => s.write('ping ' + (n += 1) + '\\n'), 300);
});
let buf = '';
s.on('data', (d) => {
  buf += d.toString();
  let i;
  while ((i = buf.indexOf('\\n')) >= 0) { process.stdout.write(buf.slice(0, i) + '\\n'); buf = buf.slice(i + 1); }
});
s.on('error', (e) => process.stdout.write(JSON.stringify({ error: e.code || String(e) }) + '\\n'));
s.on('close', () => { process.stdout.write('{"closed":true}\\n'); process.exit(0); });
`;

/** One answer of the who-server: the line and `address:port` the server saw it from. */
export interface WhoAnswer {
  readonly line: string;
  readonly from: string;
}

/** A long-lived TCP connection from a namespace, pinging a who-server. */
export class LongLivedFlow {
  constructor(private readonly process: LabProcess) {}

  /** Every answer so far, in order. */
  get answers(): WhoAnswer[] {
    return this.process.lines
      .filter((l) => l.startsWith('{"line"'))
      .map((l) => JSON.parse(l) as WhoAnswer);
  }

  /** Waits until `count` answers arrived in all. */
  async waitForAnswers(count: number, timeoutMs = 10_000): Promise<WhoAnswer[]> {
    await this.process.waitForLine(() => this.answers.length >= count, timeoutMs);
    return this.answers;
  }
}

/** Starts a who-server on host:port in `ns` and waits until it listens. */
export async function serveWho(lab: NetnsLab, ns: string, host: string, port: number) {
  const server = lab.start(ns, process.execPath, ['-e', WHO_SERVER, host, String(port)]);
  await server.waitForLine((l) => l.includes('"ready"'));
  return server;
}

/** Opens a long-lived connection from `ns` to a who-server and waits for its first answer. */
export async function openLongLivedFlow(
  lab: NetnsLab,
  ns: string,
  host: string,
  port: number,
): Promise<LongLivedFlow> {
  const flow = new LongLivedFlow(
    lab.start(ns, process.execPath, ['-e', LONG_CLIENT, host, String(port)]),
  );
  await flow.waitForAnswers(1);
  return flow;
}

const counterName = (ip: string) => `from_${ip.replace(/[.:]/g, '_')}`;

/**
 * Counts, in `ns` (the "internet"), the IPv4 packets that arrive from each of `ips` (a table
 * `inet seen` of the test's own). Returns how many have arrived from an IP so far.
 */
export async function countPacketsFrom(
  lab: NetnsLab,
  ns: string,
  ips: readonly string[],
): Promise<(ip: string) => Promise<number>> {
  const counters = ips.map((ip) => `counter ${counterName(ip)} {}`).join('\n');
  const rules = ips.map((ip) => `ip saddr ${ip} counter name ${counterName(ip)}`).join('\n');
  const script = `table inet seen {\n${counters}\nchain in { type filter hook prerouting priority -400;\n${rules}\n}\n}\n`;
  const loaded = await lab.exec(ns, 'nft', ['-f', '-'], { input: script });
  if (loaded.code !== 0) throw new Error(`nft in ${ns}: ${loaded.stderr}`);
  return async (ip) => {
    const out = await lab.exec(ns, 'nft', [
      '-j',
      'list',
      'counter',
      'inet',
      'seen',
      counterName(ip),
    ]);
    const parsed = JSON.parse(out.stdout) as { nftables: Array<{ counter?: { packets: number } }> };
    return parsed.nftables.find((x) => x.counter)?.counter?.packets ?? 0;
  };
}
