// Dataplane benchmark, backend level: full-sync apply of 1,000 / 10,000 / 50,000 NICs through
// NftablesBackend vs. `nft -f` of the same ruleset text (the baseline), read-back, and adding one
// NIC to a table of 10,000 (incremental element transaction vs. full sync). Runs in a scratch
// network namespace that is always removed. Prints a table, writes bench/results/dataplane.json.
// Run: npm run bench:dataplane   (root; needs nft and ip)
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NatRule } from '@natgw/domain';
import { NetnsLab, assertNetnsPrerequisites } from '@natgw/testing';
import { NftablesBackend } from '../apps/dataplane-executor/src/backends';

const SIZES = [1_000, 10_000, 50_000];
const PPNI = 2048;
const SLOTS_PER_IP = Math.floor(64512 / PPNI);

interface Row {
  metric: string;
  natgw: number;
  baseline?: number;
  baselineName?: string;
  unit: string;
  detail: string;
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

async function medianMs(runs: number, work: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i += 1) times.push(await ms(work));
  return median(times);
}

function printTable(rows: Row[]): void {
  const table = rows.map((r) => ({
    metric: r.metric,
    natgw: `${r.natgw.toFixed(1)} ${r.unit}`,
    baseline:
      r.baseline === undefined ? '' : `${r.baseline.toFixed(1)} ${r.unit} (${r.baselineName})`,
    ratio: r.baseline === undefined ? '' : `${(r.natgw / r.baseline).toFixed(2)}x`,
    detail: r.detail,
  }));
  const cols = ['metric', 'natgw', 'baseline', 'ratio', 'detail'] as const;
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
      detail: 'detail',
    }),
  );
  console.log(`|${cols.map((c) => '-'.repeat(width[c] + 2)).join('|')}|`);
  for (const t of table) console.log(line(t));
}

async function main(): Promise<void> {
  assertNetnsPrerequisites();
  const started = Date.now();
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

    for (const family of ['IPv4', 'IPv6'] as const) {
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
          baseline: raw,
          baselineName: 'nft -f same text',
          unit: 'ms',
          detail: `median of ${runs}; ${(text.length / 1e6).toFixed(1)} MB ruleset; natgw = validate + render + nft`,
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

    // One NIC more into a table of 10,000 (IPv4), and out again: each step is a one-NIC change.
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
      baseline: median(rawAdds),
      baselineName: 'nft -f add element',
      unit: 'ms',
      detail: 'median of 20; natgw = validate + diff + one element transaction',
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

    printTable(rows);
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
          },
          seconds: (Date.now() - started) / 1000,
          results: rows.map((r) => ({
            ...r,
            ratio: r.baseline === undefined ? undefined : Number((r.natgw / r.baseline).toFixed(2)),
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
