// Dataplane benchmark, backend level: full-sync apply of 1,000 / 10,000 / 50,000 NICs through
// NftablesBackend vs. `nft -f` of the same ruleset text (the baseline), read-back, and adding one
// NIC to a table of 10,000 (incremental element transaction vs. full sync). Network mode
// (DATAPLANE_NETWORK_INTERFACE): full sync of 50,000 NICs across 1,000 networks that reuse one
// private range, IPv4 and IPv6, against `nft -f` of the same text (goal <= 1.2x), both for an
// unchanged table and for one changed in every element (each NIC renamed), natgw and nft -f back
// to back in each round, the ratio the median of the rounds' ratios, with their spread and the
// load average; and new TCP connections per second with real packets from the last NIC of the
// last network, at 50,000 NICs / 1,000 networks against 1,000 NICs / 20 networks (goal >= 0.8x).
// Runs in scratch network namespaces that are always removed. Prints a table, writes bench/results/dataplane.json.
// Steady state: the reconciler holding 50,000 NICs that do not change, CPU over a minute (goal
// <= 5% of one core; bench/support/dataplane-steady-state.ts).
// Run: npm run bench:dataplane   (root; needs nft, ip and PostgreSQL); `-- --network-only` runs
// only the network-mode part, `-- --steady-only` only the steady state (the result file then
// holds only their rows).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NatRule } from '@natgw/domain';
import { NetnsLab, assertNetnsPrerequisites, buildNetworkTopology } from '@natgw/testing';
import { NftablesBackend } from '../apps/dataplane-executor/src/backends';
import { measureSteadyState } from './support/dataplane-steady-state';

const SIZES = [1_000, 10_000, 50_000];
const PPNI = 2048;
const SLOTS_PER_IP = Math.floor(64512 / PPNI);

/** What a row must reach: natgw / baseline at most (`<=`) or at least (`>=`) the ratio. */
interface Goal {
  op: '<=' | '>=';
  ratio: number;
}

interface Row {
  metric: string;
  natgw: number;
  goal?: Goal;
  baseline?: number;
  baselineName?: string;
  /**
   * natgw / baseline of each round where the two ran back to back: the row's ratio is then their
   * median (the load weighs on both runs of a pair alike), not the ratio of the two medians.
   */
  pairedRatios?: number[];
  unit: string;
  detail: string;
}

/** The row's ratio: the median of its paired rounds' ratios, else natgw / baseline. */
function ratioOf(r: Row): number | undefined {
  if (r.pairedRatios && r.pairedRatios.length > 0) return median(r.pairedRatios);
  return r.baseline === undefined ? undefined : r.natgw / r.baseline;
}

/** "1-minute load average 12.3 -> 14.1": the machine's load around a measurement. */
function loadText(before: number): string {
  return `load average ${before.toFixed(1)} -> ${(loadavg()[0] as number).toFixed(1)}`;
}

/** "paired ratios 0.91-1.12 (median 1.02)". */
function pairedText(ratios: readonly number[]): string {
  return (
    `paired ratios ${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)} ` +
    `(median ${median([...ratios]).toFixed(2)})`
  );
}

function nic(i: number, family: 'IPv4' | 'IPv6'): NatRule {
  const ipIndex = Math.floor(i / SLOTS_PER_IP);
  const port = 1024 + (i % SLOTS_PER_IP) * PPNI;
  return {
    nicUid: `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
    nicName: `nic-${i}`,
    gatewayUid: '11111111-0000-4000-8000-000000000000',
    family,
    privateIp:
      family === 'IPv4'
        ? `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`
        : `fd00::${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}`,
    natIp:
      family === 'IPv4'
        ? `198.18.${ipIndex >> 8}.${ipIndex & 255}`
        : `2001:db8::${ipIndex.toString(16)}`,
    port,
    endPort: port + PPNI - 1,
  };
}

const nics = (n: number, family: 'IPv4' | 'IPv6') =>
  Array.from({ length: n }, (_, i) => nic(i, family));

async function ms(work: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * CPU time in ms so far of this process (all its threads) and of its children that have ended
 * (nft, ip; /proc/self/stat cutime + cstime, in clock ticks of 10 ms).
 */
function cpuMs(): { own: number; children: number } {
  const usage = process.cpuUsage();
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ') ?? [];
  return {
    own: (usage.user + usage.system) / 1000,
    children: (Number(fields[13]) + Number(fields[14])) * 10,
  };
}

/** CPU (own and children's) a piece of work took, in ms. */
async function cpuOf(work: () => Promise<unknown>): Promise<{ own: number; children: number }> {
  const before = cpuMs();
  await work();
  const after = cpuMs();
  return { own: after.own - before.own, children: after.children - before.children };
}

/**
 * "CPU per round natgw 950 ms (own 210 + nft and ip 740) vs nft -f 760 ms: 1.25x": the CPU
 * each side used, averaged over its rounds. On a loaded machine wall times swing with the scheduler; CPU time
 * says how much work natgw adds to nft's, whatever the load.
 */
function cpuText(
  natgw: readonly { own: number; children: number }[],
  raw: readonly { own: number; children: number }[],
): string {
  const sum = (xs: readonly { own: number; children: number }[], k: 'own' | 'children') =>
    xs.reduce((total, x) => total + x[k], 0) / xs.length;
  const own = sum(natgw, 'own');
  const children = sum(natgw, 'children');
  const nft = sum(raw, 'children') + sum(raw, 'own');
  return (
    `CPU per round natgw ${(own + children).toFixed(0)} ms (own ${own.toFixed(0)} + nft and ip ` +
    `${children.toFixed(0)}) vs nft -f ${nft.toFixed(0)} ms: ${((own + children) / nft).toFixed(2)}x`
  );
}

async function medianMs(runs: number, work: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i += 1) times.push(await ms(work));
  return median(times);
}

/**
 * Medians of `a` and `b` run alternately, `runs` times each: on a shared, loaded machine the
 * load then weighs on both sides alike (one side's runs all in a quiet moment would skew the
 * ratio).
 */
async function pairedMedians(
  runs: number,
  a: () => Promise<unknown>,
  b: () => Promise<unknown>,
): Promise<[number, number, number[], number[], number[], string]> {
  const ta: number[] = [];
  const tb: number[] = [];
  const ratios: number[] = [];
  const ca: { own: number; children: number }[] = [];
  const cb: { own: number; children: number }[] = [];
  const timed = async (work: () => Promise<unknown>, times: number[], cpu: typeof ca) => {
    cpu.push(await cpuOf(async () => times.push(await ms(work))));
  };
  for (let i = 0; i < runs; i += 1) {
    // Who goes first alternates too: a run right after the other side's nft may find the
    // kernel still busy freeing the table it replaced.
    if (i % 2 === 0) {
      await timed(a, ta, ca);
      await timed(b, tb, cb);
    } else {
      await timed(b, tb, cb);
      await timed(a, ta, ca);
    }
    ratios.push((ta[i] as number) / (tb[i] as number));
  }
  return [median(ta), median(tb), ta, tb, ratios, cpuText(ca, cb)];
}

function printTable(rows: Row[]): void {
  const table = rows.map((r) => ({
    metric: r.metric,
    natgw: `${r.natgw.toFixed(1)} ${r.unit}`,
    baseline:
      r.baseline === undefined ? '' : `${r.baseline.toFixed(1)} ${r.unit} (${r.baselineName})`,
    ratio: ratioOf(r) === undefined ? '' : `${(ratioOf(r) as number).toFixed(2)}x`,
    goal: r.goal
      ? `${r.goal.op === '<=' ? '≤' : '≥'} ${r.goal.ratio}x ${goalMet(r) ? 'met' : 'MISSED'}`
      : '',
    detail: r.detail,
  }));
  const cols = ['metric', 'natgw', 'baseline', 'ratio', 'goal', 'detail'] as const;
  const width = Object.fromEntries(
    cols.map((c) => [c, Math.max(c.length, ...table.map((t) => t[c].length))]),
  ) as Record<(typeof cols)[number], number>;
  const line = (t: Record<(typeof cols)[number], string>) =>
    `| ${cols.map((c) => t[c].padEnd(width[c])).join(' | ')} |`;
  console.log(
    line({
      metric: 'metric',
      natgw: 'natgw',
      baseline: 'baseline',
      ratio: 'ratio',
      goal: 'goal',
      detail: 'detail',
    }),
  );
  console.log(`|${cols.map((c) => '-'.repeat(width[c] + 2)).join('|')}|`);
  for (const t of table) console.log(line(t));
}

function goalMet(r: Row): boolean | undefined {
  const ratio = ratioOf(r);
  if (!r.goal || ratio === undefined) return undefined;
  return r.goal.op === '<=' ? ratio <= r.goal.ratio : ratio >= r.goal.ratio;
}

const NETWORKS = 1_000;
/** Rounds of the network-mode full sync (natgw and nft -f alternating). */
const FULL_SYNC_ROUNDS = 7;
const NICS_PER_NETWORK = 50;
const TEMPLATE = 'vni{vni}';

/**
 * NIC k (0..49) of network `vni` (1..1000), network mode: every network reuses the same private
 * addresses (NIC 49 is 10.77.0.2 / fd77::2, the VM of the packet test); NAT IPs and slots are
 * unique node-wide, as the allocator hands them out.
 */
function networkNic(vni: number, k: number, family: 'IPv4' | 'IPv6'): NatRule {
  const i = (vni - 1) * NICS_PER_NETWORK + k;
  const host = NICS_PER_NETWORK + 1 - k;
  return {
    ...nic(i, family),
    vni,
    privateIp: family === 'IPv4' ? `10.77.0.${host}` : `fd77::${host.toString(16)}`,
  };
}

/** The NICs of networks first..NETWORKS, NICS_PER_NETWORK each. */
function networkNics(first: number, family: 'IPv4' | 'IPv6'): NatRule[] {
  const rules: NatRule[] = [];
  for (let vni = first; vni <= NETWORKS; vni += 1) {
    for (let k = 0; k < NICS_PER_NETWORK; k += 1) rules.push(networkNic(vni, k, family));
  }
  return rules;
}

const CONNECT_SCRIPT = `
const net = require('net');
const [host, basePort, ports, ms, parallel] = process.argv.slice(1).map((v, i) => (i ? +v : v));
let done = 0, failed = 0, next = 0;
const end = Date.now() + ms;
let open = parallel;
function one() {
  if (Date.now() >= end) { if (--open === 0) { console.log(JSON.stringify({ done, failed, ms })); } return; }
  const s = net.connect({ host, port: basePort + (next++ % ports) });
  s.setTimeout(2000, () => { failed++; s.destroy(); one(); });
  s.once('connect', () => { done++; s.destroy(); one(); });
  s.once('error', () => { failed++; s.destroy(); one(); });
}
for (let i = 0; i < parallel; i++) one();
`;

const LISTEN_SCRIPT = `
const net = require('net');
const [host, basePort, ports] = process.argv.slice(1).map((v, i) => (i ? +v : v));
let ready = 0;
for (let p = 0; p < ports; p++) {
  net.createServer((s) => { s.on('error', () => {}); s.resume(); })
    .listen({ host, port: basePort + p, backlog: 4096 }, () => { if (++ready === ports) console.log('ready'); });
}
`;

/** One NIC more into a table of 10,000 (IPv4), and out again: each step is a one-NIC change. */
async function sharedIncremental(
  rows: Row[],
  backend: NftablesBackend,
  lab: NetnsLab,
  ns: string,
  nftFile: (text: string) => Promise<() => Promise<void>>,
): Promise<void> {
  const base = nics(10_000, 'IPv4');
  const plusOne = [...base, nic(10_000, 'IPv4')];
  await backend.applyFull(base);
  const incremental: number[] = [];
  for (let i = 0; i < 20; i += 1) {
    incremental.push(await ms(() => backend.apply(plusOne)));
    await backend.apply(base);
  }
  const extra = nic(10_000, 'IPv4');
  const addOne = await nftFile(
    `add element inet natgw snat4 { ${extra.privateIp} : ${extra.natIp} . ${extra.port}-${extra.endPort} }\n` +
      `add element inet natgw nics4 { ${extra.privateIp} }\n`,
  );
  const rawAdds: number[] = [];
  for (let i = 0; i < 20; i += 1) {
    rawAdds.push(await ms(addOne));
    for (const set of ['snat4', 'nics4']) {
      await lab.exec(ns, 'nft', [
        'delete',
        'element',
        'inet',
        'natgw',
        set,
        `{ ${extra.privateIp} }`,
      ]);
    }
  }
  rows.push({
    metric: 'add 1 NIC to 10,000 (incremental)',
    natgw: median(incremental),
    goal: { op: '<=', ratio: 1.5 },
    baseline: median(rawAdds),
    baselineName: 'nft -f add element',
    unit: 'ms',
    detail:
      'median of 20; natgw = diff against the last apply + partition of the change + one ' +
      'element transaction',
  });
  const fullPlusOne = await medianMs(5, async () => {
    await backend.applyFull(plusOne);
  });
  rows.push({
    metric: 'add 1 NIC to 10,000 (full sync)',
    natgw: fullPlusOne,
    baseline: median(incremental),
    baselineName: 'incremental',
    unit: 'ms',
    detail: 'median of 5; redefine the table with 10,001 NICs',
  });
}

/**
 * Rounds of the connection rate at each size (sizes in turn): one 2 s round moves by ±30% on
 * the shared machine, so five make the median steadier than three did.
 */
const RATE_ROUNDS = 5;

/** Rounds of the network-mode full sync of a changed table. */
const CHANGED_ROUNDS = 3;

/**
 * Network mode, a full sync whose table changed in every element (each NIC renamed, so every
 * element comment differs): nothing kept from the last apply helps, the partition and the text
 * are made from scratch. Two such tables alternate, natgw and nft -f of the same text in turn.
 */
async function changedTableSync(
  rows: Row[],
  backend: NftablesBackend,
  rules: readonly NatRule[],
  family: 'IPv4' | 'IPv6',
  scratch: string,
  nftFile: (file: string) => Promise<{ code: number | null; stderr: string }>,
): Promise<void> {
  const tables = ['a', 'b'].map((tag) => {
    const renamed = rules.map((r) => ({ ...r, nicName: `${r.nicName ?? 'nic'}-${tag}` }));
    const file = join(scratch, `network-${tag}.nft`);
    return { rules: renamed, file };
  });
  let turn = 0;
  const next = () => tables[turn % 2] as (typeof tables)[number];
  for (const table of tables) writeFileSync(table.file, backend.render(table.rules));
  const load = loadavg()[0] as number;
  const [natgw, raw, natgwRuns, rawRuns, pairedRatios, cpu] = await pairedMedians(
    CHANGED_ROUNDS * 2,
    async () => {
      turn += 1;
      const result = await backend.applyFull(next().rules);
      if (result.rejected.length > 0) throw new Error('a rule was rejected');
    },
    async () => {
      const r = await nftFile(next().file);
      if (r.code !== 0) throw new Error(`nft -f failed: ${r.stderr}`);
    },
  );
  rows.push({
    metric: `network mode: full sync ${family} of a changed table, 50,000 NICs in 1,000 networks`,
    natgw,
    goal: { op: '<=', ratio: 1.2 },
    baseline: raw,
    baselineName: 'nft -f same text',
    pairedRatios,
    unit: 'ms',
    detail:
      `${CHANGED_ROUNDS * 2} rounds, two tables that differ in every element (each NIC ` +
      'renamed) in turn, natgw and nft -f of the same text back to back; natgw diffs against ' +
      'the last partition (renames keep their places) and renders every element anew; ' +
      `${pairedText(pairedRatios)}; ${loadText(load)}; ${cpu}; runs ` +
      `${natgwRuns.map((t) => t.toFixed(0)).join(', ')} vs ` +
      `${rawRuns.map((t) => t.toFixed(0)).join(', ')} ms`,
  });
  await backend.applyFull(rules);
}

/**
 * Network mode, 50,000 NICs across 1,000 networks: full sync against nft -f of the same text, per
 * family; then new TCP connections per second with real packets from the last NIC of the last
 * network at 50,000 NICs / 1,000 networks and at 1,000 NICs / 20 networks.
 */
async function networkMode(rows: Row[], scratch: string): Promise<void> {
  const topo = await buildNetworkTopology([NETWORKS], TEMPLATE);
  const { lab } = topo;
  const gw = topo.gateway.ns;
  try {
    // The other 999 networks' interfaces (bridges stand in for the operator's vxlan devices).
    const links: string[] = [];
    for (let vni = 1; vni < NETWORKS; vni += 1) {
      links.push(`link add vni${vni} type bridge`, `link set vni${vni} up`);
    }
    const made = await lab.exec(gw, 'ip', ['-batch', '-'], {
      input: `${links.join('\n')}\n`,
      timeoutMs: 300_000,
    });
    if (made.code !== 0) throw new Error(`creating interfaces failed: ${made.stderr}`);
    const backend = new NftablesBackend({
      netns: gw,
      uplinks: [topo.gateway.uplink],
      networkInterface: TEMPLATE,
    });
    const file = join(scratch, 'network.nft');
    for (const family of ['IPv4', 'IPv6'] as const) {
      const rules = networkNics(1, family);
      const first = await backend.applyFull(rules);
      if (first.rejected.length > 0) throw new Error(`rejected: ${first.rejected[0]?.message}`);
      const text = backend.render(rules);
      writeFileSync(file, text);
      const load = loadavg()[0] as number;
      const [natgw, raw, natgwRuns, rawRuns, pairedRatios, cpu] = await pairedMedians(
        FULL_SYNC_ROUNDS,
        async () => {
          const result = await backend.applyFull(rules);
          if (result.rejected.length > 0) throw new Error('a rule was rejected');
        },
        async () => {
          const r = await lab.exec(gw, 'nft', ['-f', file]);
          if (r.code !== 0) throw new Error(`nft -f failed: ${r.stderr}`);
        },
      );
      rows.push({
        metric: `network mode: full sync ${family}, 50,000 NICs in 1,000 networks`,
        natgw,
        goal: { op: '<=', ratio: 1.2 },
        baseline: raw,
        baselineName: 'nft -f same text',
        pairedRatios,
        unit: 'ms',
        detail:
          `${FULL_SYNC_ROUNDS} rounds, natgw and nft -f back to back; ${pairedText(pairedRatios)}; ` +
          `${loadText(load)}; ${cpu}; ` +
          `${(text.length / 1e6).toFixed(1)} MB ruleset; natgw = applyFull: nft started first, ` +
          'interfaces, ip rules and routes read (one ip -batch per family; 2 rules, 2,000 ' +
          'routes checked and repaired) + partition (kept from the last apply: diffed, not ' +
          'redone) + the table text (unchanged table: the last text sent again) + nft -f; ' +
          `runs ${natgwRuns.map((t) => t.toFixed(0)).join(', ')} vs ${rawRuns.map((t) => t.toFixed(0)).join(', ')} ms`,
      });
      await changedTableSync(rows, backend, rules, family, scratch, (f) =>
        lab.exec(gw, 'nft', ['-f', f]),
      );
      const read = await medianMs(3, async () => {
        const back = await backend.read();
        if (back.length !== rules.length) throw new Error(`read ${back.length} rules`);
      });
      const rawList = await medianMs(3, () =>
        lab.exec(gw, 'nft', ['-j', 'list', 'table', 'inet', 'natgw']),
      );
      rows.push({
        metric: `network mode: read-back ${family}, 50,000 NICs in 1,000 networks`,
        natgw: read,
        baseline: rawList,
        baselineName: 'nft -j list table',
        unit: 'ms',
        detail: 'median of 3; natgw = nft -j + ip -j rule/route + parse + verify',
      });
    }

    // Real packets: the VM is NIC 49 of network 1000, whose ip rule is the last one.
    const server = topo.internet;
    await lab.ip(['-n', server.ns, 'route', 'add', '198.18.0.0/15', 'via', '198.51.100.1']);
    const PORTS = 64;
    const listener = lab.start(server.ns, process.execPath, [
      '-e',
      LISTEN_SCRIPT,
      server.ipv4,
      '20000',
      String(PORTS),
    ]);
    await listener.waitForLine((l) => l === 'ready', 10_000);
    const vm = topo.networks[0]?.vm.ns as string;
    const rate = async (): Promise<number> => {
      const r = await lab.exec(
        vm,
        process.execPath,
        ['-e', CONNECT_SCRIPT, server.ipv4, '20000', String(PORTS), '2000', '4'],
        { timeoutMs: 30_000 },
      );
      const result = JSON.parse(r.stdout.trim()) as { done: number; failed: number; ms: number };
      if (result.failed > 0) throw new Error(`${result.failed} connections failed`);
      return (result.done * 1000) / result.ms;
    };
    const configs = {
      big: networkNics(1, 'IPv4'),
      small: networkNics(NETWORKS - 1_000 / NICS_PER_NETWORK + 1, 'IPv4'),
    };
    const rates: Record<keyof typeof configs, number[]> = { big: [], small: [] };
    for (let round = 0; round < RATE_ROUNDS; round += 1) {
      for (const which of ['big', 'small'] as const) {
        // From scratch each time, so network 1000's ip rule is the last of them.
        await backend.remove();
        await backend.apply(configs[which]);
        rates[which].push(await rate());
      }
    }
    rows.push({
      metric: 'network mode: new TCP connections/s, last NIC, 50,000 NICs / 1,000 networks',
      natgw: median(rates.big),
      goal: { op: '>=', ratio: 0.8 },
      baseline: median(rates.small),
      baselineName: '1,000 NICs / 20 networks',
      unit: '/s',
      detail: `median of ${RATE_ROUNDS} rounds of 2 s each (50,000 and 1,000 NICs in turn), 4 connections in flight; ${rates.big.map((r) => r.toFixed(0)).join(', ')} vs ${rates.small.map((r) => r.toFixed(0)).join(', ')}`,
    });
    await backend.remove();
  } finally {
    await lab.destroy();
  }
}

async function main(): Promise<void> {
  assertNetnsPrerequisites();
  const started = Date.now();
  const loadAtStart = loadavg();
  const lab = new NetnsLab();
  const scratch = join(tmpdir(), `natgw-bench-${lab.id}`);
  mkdirSync(scratch, { recursive: true });
  const rows: Row[] = [];
  try {
    const ns = await lab.namespace('bench');
    const backend = new NftablesBackend({ netns: ns, uplinks: ['up0'] });
    const nftFile = async (text: string) => {
      const file = join(scratch, 'ruleset.nft');
      writeFileSync(file, text);
      return async () => {
        const r = await lab.exec(ns, 'nft', ['-f', file]);
        if (r.code !== 0) throw new Error(`nft -f failed: ${r.stderr}`);
      };
    };

    const networkOnly = process.argv.includes('--network-only');
    const steadyOnly = process.argv.includes('--steady-only');
    for (const family of networkOnly || steadyOnly ? [] : (['IPv4', 'IPv6'] as const)) {
      for (const n of SIZES) {
        const runs = n >= 50_000 ? 3 : 5;
        const rules = nics(n, family);
        const text = backend.render(rules);
        await backend.remove();
        const natgw = await medianMs(runs, () => backend.applyFull(rules));
        const raw = await medianMs(runs, await nftFile(text));
        rows.push({
          metric: `full sync ${family}, ${n.toLocaleString('en')} NICs`,
          natgw,
          ...(n === 50_000 ? { goal: { op: '<=' as const, ratio: 1.2 } } : {}),
          baseline: raw,
          baselineName: 'nft -f same text',
          unit: 'ms',
          detail:
            `median of ${runs}; ${(text.length / 1e6).toFixed(1)} MB ruleset; natgw = applyFull: ` +
            'partition (kept from the last apply: diffed, not redone) + render + nft -f',
        });
        const read = await medianMs(runs, async () => {
          const back = await backend.read();
          if (back.length !== n) throw new Error(`read ${back.length} rules, expected ${n}`);
        });
        const rawList = await medianMs(runs, () =>
          lab.exec(ns, 'nft', ['-j', 'list', 'table', 'inet', 'natgw']),
        );
        rows.push({
          metric: `read-back ${family}, ${n.toLocaleString('en')} NICs`,
          natgw: read,
          baseline: rawList,
          baselineName: 'nft -j list table',
          unit: 'ms',
          detail: `median of ${runs}; natgw = nft -j + parse + verify`,
        });
      }
    }

    if (!networkOnly && !steadyOnly) await sharedIncremental(rows, backend, lab, ns, nftFile);
    if (!steadyOnly) await networkMode(rows, scratch);
    if (!networkOnly) {
      const steady = await measureSteadyState(lab, {
        nics: 50_000,
        intervalMs: 10_000,
        seconds: 60,
        verifyIntervalMs: 300_000,
      });
      rows.push({
        metric: 'steady-state reconcile, 50,000 NICs, no changes',
        natgw: steady.percentWithVerify,
        goal: { op: '<=', ratio: 0.05 },
        baseline: 100,
        baselineName: 'one core',
        unit: '% CPU',
        detail:
          `${steady.passes} passes in ${steady.seconds.toFixed(0)} s (RECONCILE_INTERVAL_SECONDS=10): ` +
          `${steady.percentOfCore.toFixed(2)}% of a core; plus one verification pass ` +
          `(DATAPLANE_VERIFY_SECONDS=300: read-back of the table and of the log's table) of ` +
          `${steady.verifyPassMs.toFixed(0)} ms CPU, i.e. ` +
          `${((steady.verifyPassMs / steady.verifyIntervalMs) * 100).toFixed(2)}% spread over its ` +
          'interval; CPU of this process and its children (nft, ip, nft monitor), PostgreSQL not counted',
      });
    }

    printTable(rows);
    const loadAtEnd = loadavg();
    const loads = (l: number[]) => l.map((v) => v.toFixed(1)).join(' / ');
    console.log(
      `\nload average (1 / 5 / 15 min): ${loads(loadAtStart)} at the start, ` +
        `${loads(loadAtEnd)} at the end, on ${cpus().length} cores`,
    );
    const outDir = join(__dirname, 'results');
    mkdirSync(outDir, { recursive: true });
    writeFileSync(
      join(outDir, 'dataplane.json'),
      `${JSON.stringify(
        {
          benchmark: 'dataplane',
          date: new Date().toISOString(),
          machine: {
            cpus: cpus().length,
            cpu: cpus()[0]?.model ?? 'unknown',
            node: process.version,
            loadAverage: { start: loadAtStart, end: loadAtEnd },
          },
          seconds: (Date.now() - started) / 1000,
          results: rows.map((r) => ({
            ...r,
            ratio: ratioOf(r) === undefined ? undefined : Number((ratioOf(r) as number).toFixed(2)),
            goalMet: goalMet(r),
          })),
        },
        null,
        2,
      )}\n`,
    );
    console.log(
      `\nwrote bench/results/dataplane.json (${((Date.now() - started) / 1000).toFixed(1)} s)`,
    );
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    await lab.destroy();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
