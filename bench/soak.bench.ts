// Soak: the whole system (api-gateway, allocator, dataplane-executor with the
// memory backend, real processes from dist/) holding BENCH_SOAK_NICS (100,000)
// NetworkInterfaces under a steady mixed load for BENCH_SOAK_SECONDS (600): reads
// (get, list of 100), label patches, and NICs created and deleted, at
// BENCH_SOAK_RATE requests a second. The networks and gateways are created through
// the API; the NICs are appended to the log directly (their NetworkInterfaceCreated
// events, as the API writes them) and the allocator slots them all before the
// clock starts (the warm-up). Prints the RSS of each service every
// BENCH_SOAK_SAMPLE_SECONDS (30) and the database's size, and the goals: RSS flat
// (<= 5% growth from the end of the warm-up - every NIC slotted, then the first
// fifth of the load, at most two minutes - to the end) and the database's growth
// per hour. Writes bench/results/soak.json. Run: npm run bench:soak
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client } from 'pg';
import { count, loadAverage, machine, printGoals, writeResult } from './support/bench-output';
import { benchSystem } from './support/bench-system';
import { analyze } from './support/private-postgres';
import { SyntheticLogWriter } from './support/synthetic-log';

const NICS = Number(process.env.BENCH_SOAK_NICS ?? 100_000);
const SECONDS = Number(process.env.BENCH_SOAK_SECONDS ?? 600);
const RATE = Number(process.env.BENCH_SOAK_RATE ?? 50);
const SAMPLE_SECONDS = Number(process.env.BENCH_SOAK_SAMPLE_SECONDS ?? 30);
// 200 NICs of 64 ports fit one public IP (1,008 slots), so 100,000 NICs need 500
// addresses: the three TEST-NET /24s.
const NICS_PER_GATEWAY = 200;
const V = 'networking.ironcore.dev/v1alpha1';
const api = (ns: string) => `/apis/${V}/namespaces/${ns}`;

function rssMiB(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return kb / 1024;
}

async function request(base: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json',
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  await res.arrayBuffer();
  return res.status;
}

const nicBody = (name: string, ip: string) => ({
  apiVersion: V,
  kind: 'NetworkInterface',
  metadata: { name },
  spec: { networkRef: { name: 'net' }, ips: [ip], nodeName: 'node-a' },
});

/** The NetworkInterfaceCreated events of `nics` NICs in namespace `ns` (as the API appends them). */
function nicEvents(ns: string, nics: number, timestamp: string) {
  return Array.from({ length: nics }, (_, i) => ({
    stream: `networkinterface:${ns}/nic-${i}`,
    type: 'NetworkInterfaceCreated',
    data: {
      uid: randomUUID(),
      name: `nic-${i}`,
      namespace: ns,
      spec: { ips: [`10.0.${i >> 8}.${i & 255}`], nodeName: 'node-a', networkRef: { name: 'net' } },
      labels: {},
      annotations: {},
      finalizers: ['natgw.ironcore.dev/allocation'],
      generation: 1,
      creationTimestamp: timestamp,
    },
    metadata: { source: '/natgw/api-gateway', correlationId: randomUUID() },
  }));
}

async function queryOne<T>(url: string, sql: string): Promise<T> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql)).rows[0] as T;
  } finally {
    await c.end();
  }
}

async function main(): Promise<void> {
  const gateways = Math.ceil(NICS / NICS_PER_GATEWAY);
  const system = await benchSystem('soak', '192.0.2.0/24,198.51.100.0/24,203.0.113.0/24');
  const { pg, services } = system;
  const url = pg.url('soak');
  const samples: Array<{ second: number; rss: Record<string, number>; dbBytes: number }> = [];
  let warmupSeconds = 0;
  let requests = 0;
  const statuses: Record<string, number> = {};
  try {
    process.stdout.write(
      `database: ${pg.description}\nworkload: ${count(NICS)} NICs in ${count(gateways)} gateways, ${RATE} req/s for ${SECONDS} s\n`,
    );
    for (const [, p] of services) await p.start();
    const base = await services[0][1].url;
    const warmup = Date.now();
    for (let g = 0; g < gateways; g++) {
      const ns = `soak-${g}`;
      const created = [];
      created.push(
        await request(base, 'POST', `${api(ns)}/networks`, {
          apiVersion: V,
          kind: 'Network',
          metadata: { name: 'net' },
          spec: {},
        }),
      );
      created.push(
        await request(base, 'POST', `${api(ns)}/natgateways`, {
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
      if (created.some((status) => status !== 201))
        throw new Error(`creating the network and gateway of ${ns}: ${created.join(', ')}`);
    }
    const writer = await SyntheticLogWriter.open(url);
    const timestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    for (let g = 0; g < gateways; g++)
      await writer.add(
        nicEvents(`soak-${g}`, Math.min(NICS_PER_GATEWAY, NICS - g * NICS_PER_GATEWAY), timestamp),
      );
    await writer.close();
    // The relay publishes the appended events, the allocator slots every NIC.
    for (let last = -1; ;) {
      const { n } = await queryOne<{ n: number }>(
        url,
        'SELECT count(*)::int AS n FROM natgw_nat_slots',
      );
      if (n >= NICS) break;
      if (n !== last)
        process.stderr.write(`  warm-up: ${count(n)} of ${count(NICS)} NICs slotted\n`);
      last = n;
      await new Promise((r) => setTimeout(r, 5000));
    }
    warmupSeconds = (Date.now() - warmup) / 1000;
    await analyze(url);
    process.stdout.write(`warm-up: every NIC slotted after ${warmupSeconds.toFixed(0)} s\n`);

    const started = Date.now();
    const sample = async () => {
      const { bytes } = await queryOne<{ bytes: string }>(
        url,
        'SELECT pg_database_size(current_database())::text AS bytes',
      );
      const rss = Object.fromEntries(services.map(([n, p]) => [n, Math.round(rssMiB(p.pid))]));
      const second = Math.round((Date.now() - started) / 1000);
      samples.push({ second, rss, dbBytes: Number(bytes) });
      process.stdout.write(
        `${String(second).padStart(5)} s  ${services.map(([n]) => `${n} ${rss[n]} MiB`).join('  ')}  database ${(Number(bytes) / 2 ** 20).toFixed(0)} MiB\n`,
      );
    };
    await sample();
    let nextSample = started + SAMPLE_SECONDS * 1000;
    let created = 0;
    const pick = () => `soak-${Math.floor(Math.random() * gateways)}`;
    const one = async (i: number) => {
      const ns = pick();
      const nic = `nic-${Math.floor(Math.random() * NICS_PER_GATEWAY)}`;
      const kind = i % 5;
      let status: number;
      if (kind === 0 || kind === 1)
        status = await request(base, 'GET', `${api(ns)}/networkinterfaces/${nic}`);
      else if (kind === 2)
        status = await request(base, 'GET', `${api(ns)}/networkinterfaces?limit=100`);
      else if (kind === 3)
        status = await request(base, 'PATCH', `${api(ns)}/networkinterfaces/${nic}`, {
          metadata: { labels: { touched: String(i % 7) } },
        });
      else {
        const name = `churn-${(created += 1)}`;
        status = await request(
          base,
          'POST',
          `${api(ns)}/networkinterfaces`,
          nicBody(name, `10.1.${(created >> 8) & 255}.${created & 255}`),
        );
        if (status === 201)
          status = await request(base, 'DELETE', `${api(ns)}/networkinterfaces/${name}`);
      }
      statuses[status] = (statuses[status] ?? 0) + 1;
      requests += 1;
    };
    // A steady rate: request i starts at started + i / RATE seconds, up to 64 in flight.
    const inFlight = new Set<Promise<void>>();
    for (let i = 0; Date.now() - started < SECONDS * 1000; i++) {
      const due = started + (i * 1000) / RATE;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      if (inFlight.size >= 64) await Promise.race(inFlight);
      const p: Promise<void> = one(i)
        .catch(() => {
          statuses.error = (statuses.error ?? 0) + 1;
        })
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
      if (Date.now() >= nextSample) {
        nextSample += SAMPLE_SECONDS * 1000;
        await sample();
      }
    }
    await Promise.all(inFlight);
    await sample();
  } finally {
    await system.stop();
  }
  // The first fifth of the load (at most two minutes) warms caches and JIT too: RSS
  // growth is measured from there to the end.
  const warm = Math.min(120, SECONDS / 5);
  const first = samples.find((x) => x.second >= warm) ?? samples[0];
  const last = samples[samples.length - 1];
  const hours = (last.second - first.second) / 3600;
  const growth = Object.fromEntries(
    Object.keys(first.rss).map((n) => [n, last.rss[n] / first.rss[n] - 1]),
  );
  const dbPerHour = (last.dbBytes - first.dbBytes) / hours;
  process.stdout.write(
    `machine: ${machine()}; load average ${loadAverage()}\n${count(requests)} requests (${(requests / (last.second || 1)).toFixed(1)}/s): ${JSON.stringify(statuses)}\n`,
  );
  const goals = printGoals([
    ...Object.entries(growth).map(([n, g]) => ({
      figure: `RSS of ${n}, ${first.second} s -> ${last.second} s of steady load, ${count(NICS)} NICs`,
      goal: '<= 5% growth after warm-up',
      now: `${first.rss[n]} -> ${last.rss[n]} MiB (${(g * 100).toFixed(1)}%)`,
      ratio: `${(1 + g).toFixed(3)}x the RSS after warm-up`,
      met: g <= 0.05,
    })),
    {
      figure: 'PostgreSQL database size growth',
      goal: 'reported',
      now: `${(dbPerHour / 2 ** 20).toFixed(0)} MiB/hour (${(first.dbBytes / 2 ** 20).toFixed(0)} -> ${(last.dbBytes / 2 ** 20).toFixed(0)} MiB)`,
      ratio: `${((last.dbBytes - first.dbBytes) / 2 ** 20 / Math.max(1, requests / 1000)).toFixed(2)} MiB per 1,000 requests`,
    },
  ]);
  writeResult('soak', {
    database: pg.description,
    nics: NICS,
    seconds: SECONDS,
    rate: RATE,
    warmupSeconds,
    requests,
    statuses,
    samples,
    goals,
  });
}

main().catch((err: Error) => {
  process.stderr.write(`bench:soak failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
