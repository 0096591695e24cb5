// Load: 200 concurrent connections for 60 s of mixed reads and writes against
// the whole system (api-gateway, allocator, dataplane-executor with the memory
// backend, as real processes from dist/), through autocannon. Each connection
// cycles: GET a NIC, LIST NICs (limit 50), GET the gateway, PATCH a NIC's
// labels, POST a new NIC, GET it, DELETE it - 4 reads to 3 writes. Reports
// throughput, p50/p99/p999, errors, and the RSS of every service at the start,
// at 30 s and at 60 s (the 60/30 ratio shows whether memory keeps growing).
// Prints a table and writes bench/results/load.json. Run: npm run bench:load
// Settings: BENCH_LOAD_SECONDS (60), BENCH_LOAD_CONNECTIONS (200).
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { machine, writeResult } from './support/bench-output';
import { benchSystem } from './support/bench-system';
import { analyze } from './support/private-postgres';

const SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 60);
const CONNECTIONS = Number(process.env.BENCH_LOAD_CONNECTIONS ?? 200);
const SEEDED_NICS = 200;
const V = 'networking.ironcore.dev/v1alpha1';
const NS = `/apis/${V}/namespaces/default`;

/** Resident set size of a process in MiB, from /proc/<pid>/status. */
function rssMiB(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

const nic = (name: string, i: number) =>
  JSON.stringify({
    apiVersion: V,
    kind: 'NetworkInterface',
    metadata: { name, labels: { bench: 'load' } },
    spec: {
      networkRef: { name: 'net' },
      ips: [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`],
      nodeName: 'node-a',
    },
  });

async function post(base: string, path: string, body: string): Promise<void> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
}

async function main(): Promise<void> {
  const system = await benchSystem('load', '203.0.113.0/24');
  const { pg, services } = system;
  const url = pg.url('load');
  try {
    for (const [, p] of services) await p.start();
    const base = await services[0][1].url;
    await post(
      base,
      `${NS}/networks`,
      JSON.stringify({ apiVersion: V, kind: 'Network', metadata: { name: 'net' }, spec: {} }),
    );
    await post(
      base,
      `${NS}/natgateways`,
      JSON.stringify({
        apiVersion: V,
        kind: 'NATGateway',
        metadata: { name: 'gw' },
        spec: {
          type: 'Public',
          ipFamily: 'IPv4',
          portsPerNetworkInterface: 64,
          networkRef: { name: 'net' },
        },
      }),
    );
    for (let i = 0; i < SEEDED_NICS; i++)
      await post(base, `${NS}/networkinterfaces`, nic(`seed-${i}`, i + 1));
    await analyze(url);

    const rss: Record<string, Record<string, number>> = {};
    const sample = (mark: string) => {
      for (const [name, p] of services) (rss[name] ??= {})[mark] = rssMiB(p.pid);
    };
    sample('start');
    // The marks are named for the default 60 s run: half way and at the end.
    const timers = [
      setTimeout(() => sample('30s'), (SECONDS / 2) * 1000),
      setTimeout(() => sample('60s'), SECONDS * 1000 - 500),
    ];
    // Every 10 s as well, to see whether growth levels off.
    const series: Record<string, number[]> = {};
    const started = Date.now();
    const every = setInterval(() => {
      for (const [name, p] of services) (series[name] ??= []).push(Math.round(rssMiB(p.pid)));
    }, 10_000);
    let created = 0;
    const seeded = () => `seed-${Math.floor(Math.random() * SEEDED_NICS)}`;
    const result = await autocannon({
      url: base,
      connections: CONNECTIONS,
      duration: SECONDS,
      timeout: 15,
      requests: [
        {
          method: 'GET',
          setupRequest: (r) => ({ ...r, path: `${NS}/networkinterfaces/${seeded()}` }),
        },
        { method: 'GET', path: `${NS}/networkinterfaces?limit=50` },
        { method: 'GET', path: `${NS}/natgateways/gw` },
        {
          method: 'PATCH',
          headers: { 'content-type': 'application/merge-patch+json' },
          setupRequest: (r) => ({
            ...r,
            path: `${NS}/networkinterfaces/${seeded()}`,
            body: JSON.stringify({ metadata: { labels: { touched: String(Date.now()) } } }),
          }),
        },
        {
          method: 'POST',
          path: `${NS}/networkinterfaces`,
          headers: { 'content-type': 'application/json' },
          setupRequest: (r, context) => {
            const i = (created += 1);
            (context as { name?: string }).name = `load-${i}`;
            return { ...r, body: nic(`load-${i}`, 100_000 + i) };
          },
        },
        {
          method: 'GET',
          setupRequest: (r, context) => ({
            ...r,
            path: `${NS}/networkinterfaces/${(context as { name?: string }).name}`,
          }),
        },
        {
          method: 'DELETE',
          setupRequest: (r, context) => ({
            ...r,
            path: `${NS}/networkinterfaces/${(context as { name?: string }).name}`,
          }),
        },
      ],
    } as autocannon.Options);
    for (const t of timers) clearTimeout(t);
    clearInterval(every);
    const seriesSeconds = Math.round((Date.now() - started) / 1000);
    if (!rss['api-gateway']?.['60s']) sample('60s');
    const statusCodes = Object.fromEntries(
      Object.entries(result.statusCodeStats ?? {}).map(([k, v]) => [
        k,
        (v as { count: number }).count,
      ]),
    );
    const lat = result.latency as unknown as Record<string, number>;
    const rows: Array<[string, string]> = [
      ['connections, duration', `${CONNECTIONS}, ${SECONDS} s`],
      ['requests', `${result.requests.total} (${result.requests.average.toFixed(0)} req/s)`],
      ['latency p50 / p99 / p999', `${lat.p50} / ${lat.p99} / ${lat.p99_9} ms (max ${lat.max})`],
      ['status codes', JSON.stringify(statusCodes)],
      ['errors / timeouts / non-2xx', `${result.errors} / ${result.timeouts} / ${result.non2xx}`],
      ...services.map(([name]): [string, string] => {
        const r = rss[name];
        return [
          `RSS ${name} start/${SECONDS / 2}s/${SECONDS}s`,
          `${r.start.toFixed(0)} / ${r['30s'].toFixed(0)} / ${r['60s'].toFixed(0)} MiB (60/30 = ${(r['60s'] / r['30s']).toFixed(2)})`,
        ];
      }),
    ];
    for (const [name] of services)
      rows.push([`RSS ${name} every 10 s`, `${(series[name] ?? []).join(', ')} MiB`]);
    process.stdout.write(`machine: ${machine()}; database: ${pg.description}\n`);
    for (const [k, v] of rows) process.stdout.write(`${k.padEnd(40)} ${v}\n`);
    writeResult('load', {
      database: pg.description,
      connections: CONNECTIONS,
      seconds: SECONDS,
      requests: result.requests.total,
      requestsPerSecond: result.requests.average,
      latencyMs: { p50: lat.p50, p99: lat.p99, p999: lat.p99_9, max: lat.max },
      statusCodes,
      errors: result.errors,
      timeouts: result.timeouts,
      non2xx: result.non2xx,
      rssMiB: rss,
      rssEvery10sMiB: { seconds: seriesSeconds, ...series },
      rssGrowth60over30: Object.fromEntries(
        Object.entries(rss).map(([k, r]) => [k, Number((r['60s'] / r['30s']).toFixed(3))]),
      ),
    });
  } finally {
    await system.stop();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`bench:load failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
