// Port usage (issue 17.3): what counting a node's conntrack table per NIC slot costs. A client
// namespace SNATs UDP flows into 50 public IPs (ports 1024-65535) toward a server namespace that
// drops them, which leaves BENCH_USAGE_ENTRIES conntrack entries; 50,000 NIC slots of 64 ports
// cover those IPs. Each round alternates, on the same table:
//   - baseline: `conntrack -L -o extended` alone, its output thrown away;
//   - natgw: one executor pass without the database (PortUsageMeter.sample: the same listing
//     streamed through the parser and counted per slot, plus `conntrack -S`; then the peak
//     tracker and the metrics of 50,000 slots).
// and the same pass with no entry at all (50,000 quiet NICs: the steady state of issue 14).
// CPU is natgw's process plus its children (conntrack). Prints a table and writes
// bench/results/port-usage.json. Run: npm run bench:usage (root).
import { readFileSync } from 'node:fs';
import type { NatRule } from '@natgw/domain';
import { Metrics } from '@natgw/platform';
import { assertNetnsPrerequisites, NetnsLab } from '@natgw/testing';
import { spawnConntrack } from '../apps/dataplane-executor/src/conntrack';
import { PortUsageMeter } from '../apps/dataplane-executor/src/usage/port-usage-meter';
import { PortUsageMetrics } from '../apps/dataplane-executor/src/usage/port-usage-metrics';
import { UsageTracker } from '../apps/dataplane-executor/src/usage/usage-tracker';
import {
  count,
  loadAverage,
  machine,
  printGoals,
  ratio,
  writeResult,
} from './support/bench-output';

const ENTRIES = Number(process.env.BENCH_USAGE_ENTRIES ?? 100_000);
const NICS = Number(process.env.BENCH_USAGE_NICS ?? 50_000);
const ROUNDS = Number(process.env.BENCH_USAGE_ROUNDS ?? 5);
const INTERVAL_SECONDS = 30; // PORT_USAGE_INTERVAL_SECONDS's default
const IPS = 50;
const PPNI = 64;

/** CPU seconds of this process and of its waited-for children so far. */
function cpuSeconds(): number {
  const own = process.cpuUsage();
  // /proc/self/stat fields 16 and 17: cutime and cstime, in clock ticks (100 per second).
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  const children = (Number(fields[13]) + Number(fields[14])) / 100;
  return (own.user + own.system) / 1e6 + children;
}

async function measure<T>(run: () => Promise<T>): Promise<{ wall: number; cpu: number; value: T }> {
  const cpu0 = cpuSeconds();
  const t0 = process.hrtime.bigint();
  const value = await run();
  return { wall: Number(process.hrtime.bigint() - t0) / 1e9, cpu: cpuSeconds() - cpu0, value };
}

/** `conntrack -L -o extended` with its output read and thrown away. */
function listOnly(netns: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawnConntrack(['-L', '-o', 'extended'], { netns });
    let bytes = 0;
    child.stdin.end();
    child.stdout.on('data', (b: Buffer) => (bytes += b.length));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(bytes) : reject(new Error(`exit ${code}`))));
  });
}

const FLOOD = `
const dgram = require('dgram');
const [host, entries] = process.argv.slice(1);
const sockets = 500, ports = Math.ceil(+entries / sockets);
let open = 0, sent = 0;
const buf = Buffer.from('x');
(async () => {
  for (let s = 0; s < sockets; s++) {
    const u = dgram.createSocket('udp4');
    await new Promise((r) => u.bind(0, r));
    for (let p = 0; p < ports && sent < +entries; p++, sent++) {
      await new Promise((r) => u.send(buf, 10000 + p, host, r));
    }
    u.close();
  }
  console.log(JSON.stringify({ sent }));
})();
`;

function rules(): NatRule[] {
  const out: NatRule[] = [];
  for (let i = 0; i < NICS; i += 1) {
    const ip = Math.floor(i / Math.floor(64512 / PPNI));
    const slot = i % Math.floor(64512 / PPNI);
    out.push({
      nicUid: `nic-${i}`,
      nicName: `vm-${i}`,
      gatewayUid: 'gw',
      family: 'IPv4',
      privateIp: `10.${Math.floor(i / 65536)}.${Math.floor(i / 256) % 256}.${i % 256}`,
      natIp: `203.0.113.${1 + (ip % IPS)}`,
      port: 1024 + slot * PPNI,
      endPort: 1024 + slot * PPNI + PPNI - 1,
    });
  }
  return out;
}

async function main(): Promise<void> {
  assertNetnsPrerequisites();
  const lab = new NetnsLab();
  try {
    const client = await lab.namespace('ucli');
    const server = await lab.namespace('usrv');
    await lab.ip([
      'link',
      'add',
      'c0',
      'netns',
      client,
      'type',
      'veth',
      'peer',
      'name',
      's0',
      'netns',
      server,
    ]);
    await lab.ip(['-n', client, 'addr', 'add', '10.99.0.1/24', 'dev', 'c0']);
    await lab.ip(['-n', server, 'addr', 'add', '10.99.0.2/24', 'dev', 's0']);
    await lab.ip(['-n', client, 'link', 'set', 'c0', 'up']);
    await lab.ip(['-n', server, 'link', 'set', 's0', 'up']);
    const nft = async (ns: string, text: string) => {
      const r = await lab.exec(ns, 'nft', ['-f', '-'], { input: text });
      if (r.code !== 0) throw new Error(r.stderr);
    };
    await nft(
      client,
      `table ip bench {\n chain post {\n  type nat hook postrouting priority srcnat;\n  oifname "c0" meta l4proto udp snat to 203.0.113.1-203.0.113.${IPS}:1024-65535\n }\n}\n`,
    );
    await nft(
      server,
      'table ip bench {\n chain in {\n  type filter hook input priority 0; policy drop;\n }\n}\n',
    );
    await lab.sysctl(client, 'net.netfilter.nf_conntrack_udp_timeout', '3600');
    const empty = new PortUsageMeter({ netns: server }); // a namespace without natgw entries
    const meter = new PortUsageMeter({ netns: client });
    const table = rules();
    const metrics = new Metrics({ service: 'bench', defaultMetrics: false });
    const exported = new PortUsageMetrics(metrics, 'bench');
    const names = () => ({ namespace: 'default', name: 'gw' });
    const pass = async (m: PortUsageMeter, tracker: UsageTracker, now: number) => {
      const sample = await m.sample(table);
      tracker.observe(now, sample.index, sample.count);
      exported.update(tracker.current(), names, sample.index.gatewayUids);
      tracker.markReported(tracker.changed());
      return sample;
    };

    const flood = await lab.exec(
      client,
      process.execPath,
      ['-e', FLOOD, '10.99.0.2', String(ENTRIES)],
      {
        timeoutMs: 600_000,
      },
    );
    if (flood.code !== 0) throw new Error(flood.stderr);
    const quiet = new UsageTracker(900_000);
    const busy = new UsageTracker(900_000);
    const rows: Array<{
      base: number;
      baseCpu: number;
      natgw: number;
      natgwCpu: number;
      idle: number;
      idleCpu: number;
      entries: number;
      inSlots: number;
    }> = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const base = await measure(() => listOnly(client));
      const natgw = await measure(() => pass(meter, busy, round * 10_000));
      const idle = await measure(() => pass(empty, quiet, round * 10_000));
      const inSlots = natgw.value.count.entries - natgw.value.count.foreign;
      rows.push({
        base: base.wall,
        baseCpu: base.cpu,
        natgw: natgw.wall,
        natgwCpu: natgw.cpu,
        idle: idle.wall,
        idleCpu: idle.cpu,
        entries: natgw.value.count.entries,
        inSlots,
      });
      console.log(
        `round ${round + 1}: ${count(natgw.value.count.entries)} entries (${count(inSlots)} in slots), ` +
          `conntrack -L ${(base.wall * 1000).toFixed(0)} ms (cpu ${(base.cpu * 1000).toFixed(0)} ms), ` +
          `natgw pass ${(natgw.wall * 1000).toFixed(0)} ms (cpu ${(natgw.cpu * 1000).toFixed(0)} ms), ` +
          `no entries ${(idle.wall * 1000).toFixed(0)} ms (cpu ${(idle.cpu * 1000).toFixed(0)} ms); load ${loadAverage()}`,
      );
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const m = {
      base: median(rows.map((r) => r.base)),
      baseCpu: median(rows.map((r) => r.baseCpu)),
      natgw: median(rows.map((r) => r.natgw)),
      natgwCpu: median(rows.map((r) => r.natgwCpu)),
      idle: median(rows.map((r) => r.idle)),
      idleCpu: median(rows.map((r) => r.idleCpu)),
      entries: median(rows.map((r) => r.entries)),
    };
    const idleShare = (m.idleCpu / INTERVAL_SECONDS) * 100;
    const busyShare = (m.natgwCpu / INTERVAL_SECONDS) * 100;
    console.log(
      `\n${machine()}; load average ${loadAverage()}; ${count(NICS)} NIC slots, medians of ${ROUNDS} rounds\n`,
    );
    const goals = printGoals([
      {
        figure: `count ${count(m.entries)} entries (wall)`,
        goal: '-',
        now: `${(m.natgw * 1000).toFixed(0)} ms`,
        ratio: `${ratio(m.natgw, m.base)} conntrack -L alone`,
      },
      {
        figure: `count ${count(m.entries)} entries (CPU)`,
        goal: '-',
        now: `${(m.natgwCpu * 1000).toFixed(0)} ms = ${busyShare.toFixed(1)}% of a core every ${INTERVAL_SECONDS} s`,
        ratio: `${ratio(m.natgwCpu, m.baseCpu)} conntrack -L alone`,
      },
      {
        figure: `${count(NICS)} quiet NICs, no entries (CPU per ${INTERVAL_SECONDS} s)`,
        goal: '<= 5% of a core (issue 14)',
        now: `${(m.idleCpu * 1000).toFixed(0)} ms = ${idleShare.toFixed(2)}%`,
        ratio: '-',
        met: idleShare <= 5,
      },
    ]);
    writeResult('port-usage', { nics: NICS, entries: m.entries, rounds: rows, medians: m, goals });
  } finally {
    await lab.destroy();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
