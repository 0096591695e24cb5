// Create to Ready: the time from a NATGateway's create request to its Ready=True
// condition (public IP and every NIC's slot allocated, the dataplane programmed
// and reported). The whole system runs as real processes from dist/ (api-gateway,
// allocator, one dataplane-executor), once with the memory backend and once with
// nftables in a scratch network namespace (uplink lo). Each gateway has its own
// Network, created in the setup. Each measured unit of work creates the gateway's
// 10 NICs, one after the other, and then the gateway, and waits until the gateway
// is Ready (observed through one WATCH): first BENCH_READY_SERIAL units one at a
// time, then BENCH_READY_GATEWAYS units, BENCH_READY_CONCURRENCY in flight.
// gateways/s counts whole units, so it includes the NIC creates. The latency is
// from the gateway's create request. From the log's recorded times, the consumers'
// inbox rows and the WATCH it also prints where the time went (medians): create to
// the allocation's append, allocation to the executor's NATTableProgrammed, and the
// hops through both consumers (see hops()).
// Prints a table and writes bench/results/ready.json. Run: npm run bench:ready
// (root, for nftables). Settings: BENCH_READY_GATEWAYS (1000), BENCH_READY_NICS
// (10), BENCH_READY_CONCURRENCY (50), BENCH_READY_SERIAL (20),
// BENCH_READY_BACKENDS (memory,nftables), BENCH_CPU_PROF_DIR (CPU profiles of the
// services), BENCH_PG_STATEMENTS=1 (each backend's most frequent statements, from
// pg_stat_statements in the bench's own PostgreSQL).
import {
  assertNetnsPrerequisites,
  deleteTestStream,
  NetnsLab,
  ServiceProcess,
  testNatsNames,
} from '@natgw/testing';
import { loadavg } from 'node:os';
import { Client } from 'pg';
import { machine, quantile, writeResult } from './support/bench-output';
import { analyze, BenchPostgres, benchPostgres, topStatements } from './support/private-postgres';
import { createProgress } from '@natgw/platform';
import { profileArgs } from './support/profile-args';

const GATEWAYS = Number(process.env.BENCH_READY_GATEWAYS ?? 1000);
const NICS = Number(process.env.BENCH_READY_NICS ?? 10);
const CONCURRENCY = Number(process.env.BENCH_READY_CONCURRENCY ?? 50);
/** Gateways created one at a time first (on networks of their own): the unloaded latency. */
const SERIAL = Number(process.env.BENCH_READY_SERIAL ?? 20);
const BACKENDS = (process.env.BENCH_READY_BACKENDS ?? 'memory,nftables').split(',') as Array<
  'memory' | 'nftables'
>;
const SETUP_CONCURRENCY = 16;
const V = 'networking.ironcore.dev/v1alpha1';

/** Latency quantiles of one phase, in ms. */
interface Latencies {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** One phase: `inFlight` units at a time, each the gateway's NIC creates and the gateway. */
interface Phase {
  inFlight: number;
  gateways: number;
  latenciesMs: Latencies;
  /** Whole units per second: the gateway, its NIC creates and its way to Ready. */
  gatewaysPerSecond: number;
  /** Median time of each hop, from the log's recorded times (see hops()). */
  hopsMs: Hops;
}

/**
 * Where a gateway's create-to-Ready time went (medians over the phase's gateways), from the
 * log's recorded times, the consumers' inbox rows (handled_at: when a consumer's transaction
 * for the event began) and the bench's own clock when the WATCH showed Ready (one machine).
 */
interface Hops {
  /** Create request to the allocator's first allocation append (API, relay, allocator). */
  toAllocation: number;
  /** That to the executor's NATTableProgrammed append (relay, executor, apply). */
  toProgrammed: number;
  /** The create's append to the allocator consumer's handling of it (relay and JetStream). */
  createToAllocatorConsumer: number;
  /** That to the allocation's append (the resources wait, the queue, the reconcile). */
  allocatorConsumerToAllocation: number;
  /** The allocation's append to the executor consumer's handling of it (relay and JetStream). */
  allocationToExecutorConsumer: number;
  /** That to NATTableProgrammed (the nat-slots wait, the loop, the pass). */
  executorConsumerToProgrammed: number;
  /** NATTableProgrammed to the WATCH showing Ready (resources projection, change log, watch). */
  programmedToReady: number;
}

interface BackendResult {
  backend: string;
  gateways: number;
  nicsPerGateway: number;
  concurrency: number;
  serial: Phase;
  concurrent: Phase;
  /** The concurrent phase's latencies (kept for readers of older results). */
  latenciesMs: Latencies;
  serialMs: { gateways: number; p50: number; max: number };
  gatewaysPerSecond: number;
  setupSeconds: number;
  /** Creates answered 503 and retried (recorded, but not yet in the read model after the API's wait). */
  laggedWrites: { setup: number; gateways: number };
}

/**
 * POSTs an object; retries 503 (Retry-After). The API also answers 503 when the
 * write was recorded but the read model did not show it within its wait: the
 * retry then finds the object (409), which counts as created and is reported.
 */
async function post(base: string, plural: string, body: unknown): Promise<'created' | 'lagged'> {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(`${base}/${plural}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status === 201) return attempt === 1 ? 'created' : 'lagged';
    if (res.status === 409 && attempt > 1) return 'lagged';
    if (res.status !== 503 || attempt >= 5)
      throw new Error(`POST ${plural}: ${res.status} ${text}`);
    await new Promise((r) => setTimeout(r, 1000 * Number(res.headers.get('retry-after') ?? 1)));
  }
}

const LAG_METRICS = /^natgw_(relay|consumer)_lag_events(\{[^}]*\})? (\S+)$/;

/**
 * Waits until no service reports relay or consumer lag, twice in a row a second
 * apart, so the gateways created one at a time meet an idle system (at most 120 s).
 */
async function settled(urls: string[]): Promise<void> {
  const deadline = Date.now() + 120_000;
  let quiet = 0;
  while (quiet < 2 && Date.now() < deadline) {
    let lag = 0;
    for (const url of urls) {
      const text = await (await fetch(`${url}/metrics`)).text();
      for (const line of text.split('\n')) lag += Number(LAG_METRICS.exec(line)?.[3] ?? 0);
    }
    quiet = lag === 0 ? quiet + 1 : 0;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Runs work(0..count-1), `width` at a time, with a progress bar (or lines) named `label`. */
async function inParallel(
  label: string,
  count: number,
  width: number,
  work: (i: number) => Promise<void>,
) {
  const progress = createProgress({ label, unit: 'units' });
  let next = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      for (let i = next++; i < count; i = next++) {
        await work(i);
        progress.onProgress(++done, count);
      }
    }),
  );
  progress.finish();
}

/**
 * Follows `natgateways?watch=true` and calls `ready(name)` the first time a
 * gateway shows Ready=True. Reconnects from the last resourceVersion if the
 * stream ends.
 */
function watchReady(base: string, ready: (name: string) => void): { stop: () => void } {
  const controller = new AbortController();
  let rv = '';
  const seen = new Set<string>();
  const follow = async () => {
    while (!controller.signal.aborted) {
      try {
        const q = `watch=true&allowWatchBookmarks=true${rv ? `&resourceVersion=${rv}` : ''}`;
        const res = await fetch(`${base}/natgateways?${q}`, { signal: controller.signal });
        const reader = (res.body as ReadableStream<Uint8Array>).getReader();
        const decoder = new TextDecoder();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let nl = buffer.indexOf('\n');
          while (nl >= 0) {
            const line = buffer.slice(0, nl).trim();
            buffer = buffer.slice(nl + 1);
            nl = buffer.indexOf('\n');
            if (!line) continue;
            const event = JSON.parse(line) as {
              type: string;
              object: {
                metadata: { name: string; resourceVersion: string };
                status?: { conditions?: Array<{ type: string; status: string }> };
              };
            };
            if (event.type === 'ERROR') {
              rv = '';
              continue;
            }
            rv = event.object.metadata.resourceVersion ?? rv;
            const name = event.object.metadata.name;
            const isReady = (event.object.status?.conditions ?? []).some(
              (c) => c.type === 'Ready' && c.status === 'True',
            );
            if (isReady && !seen.has(name)) {
              seen.add(name);
              ready(name);
            }
          }
        }
      } catch (err) {
        if (controller.signal.aborted) return;
        process.stderr.write(`watch: ${(err as Error).message}; reconnecting\n`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  };
  void follow();
  return { stop: () => controller.abort() };
}

function latencies(values: number[]): Latencies {
  const sorted = [...values].sort((x, y) => x - y);
  const round = (x: number) => Math.round(x);
  return {
    p50: round(quantile(sorted, 0.5)),
    p90: round(quantile(sorted, 0.9)),
    p99: round(quantile(sorted, 0.99)),
    max: round(sorted[sorted.length - 1] ?? NaN),
    mean: round(sorted.reduce((t, x) => t + x, 0) / sorted.length),
  };
}

/**
 * Where each gateway's time went, from the log: the recorded time of its create, of
 * the first append to its allocation stream and of the first NATTableProgrammed that
 * lists it, the inbox rows of the allocator's and the executor's consumers for the
 * create and the first allocation event, and `readyAt` (epoch ms, when the WATCH
 * showed Ready). All on this machine's clock.
 */
async function hops(url: string, names: string[], readyAt: Map<string, number>): Promise<Hops> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{
      name: string;
      created: Date;
      allocator_inbox: Date | null;
      allocated: Date | null;
      executor_inbox: Date | null;
      programmed: Date | null;
    }>(
      `WITH gw AS (
         SELECT split_part(e.stream_id, '/', 2) AS name, e.data->>'uid' AS uid,
                e.event_id, e.recorded_at AS created
           FROM natgw_events e
          WHERE e.type = 'NATGatewayCreated' AND e.stream_id = ANY($1::text[])),
       alloc AS (
         SELECT gw.*, first.event_id AS alloc_event, first.recorded_at AS allocated
           FROM gw LEFT JOIN LATERAL (
             SELECT a.event_id, a.recorded_at FROM natgw_events a
              WHERE a.stream_id = 'allocation:' || gw.uid ORDER BY a.version LIMIT 1) first ON true)
       SELECT alloc.name, alloc.created, alloc.allocated,
              (SELECT i.handled_at FROM natgw_inbox i
                WHERE i.consumer = 'allocator' AND i.event_id = alloc.event_id) AS allocator_inbox,
              (SELECT min(i.handled_at) FROM natgw_inbox i
                WHERE i.consumer LIKE 'dataplane-executor-%' AND i.event_id = alloc.alloc_event) AS executor_inbox,
              (SELECT min(p.recorded_at) FROM natgw_events p
                WHERE p.type = 'NATTableProgrammed' AND p.data->'gateways' ? alloc.uid) AS programmed
         FROM alloc`,
      [names.map((n) => `natgateway:bench/${n}`)],
    );
    const median = (xs: number[]) =>
      Math.round(
        quantile(
          [...xs].sort((x, y) => x - y),
          0.5,
        ),
      );
    const spans: Record<keyof Hops, number[]> = {
      toAllocation: [],
      toProgrammed: [],
      createToAllocatorConsumer: [],
      allocatorConsumerToAllocation: [],
      allocationToExecutorConsumer: [],
      executorConsumerToProgrammed: [],
      programmedToReady: [],
    };
    for (const r of rows) {
      if (!r.allocated || !r.programmed) continue;
      const t = (d: Date) => d.getTime();
      spans.toAllocation.push(t(r.allocated) - t(r.created));
      spans.toProgrammed.push(t(r.programmed) - t(r.allocated));
      if (r.allocator_inbox) {
        spans.createToAllocatorConsumer.push(t(r.allocator_inbox) - t(r.created));
        spans.allocatorConsumerToAllocation.push(t(r.allocated) - t(r.allocator_inbox));
      }
      if (r.executor_inbox) {
        spans.allocationToExecutorConsumer.push(t(r.executor_inbox) - t(r.allocated));
        spans.executorConsumerToProgrammed.push(t(r.programmed) - t(r.executor_inbox));
      }
      const ready = readyAt.get(r.name);
      if (ready !== undefined) spans.programmedToReady.push(ready - t(r.programmed));
    }
    return Object.fromEntries(
      Object.entries(spans).map(([k, xs]) => [k, median(xs)]),
    ) as unknown as Hops;
  } finally {
    await c.end();
  }
}

async function runBackend(
  backend: 'memory' | 'nftables',
  pg: BenchPostgres,
): Promise<BackendResult> {
  const lab = new NetnsLab();
  const url = pg.url(`ready_${backend}`);
  const nats = testNatsNames(`bench_ready_${backend}`);
  const env: Record<string, string> = {
    DATABASE_URL: url,
    NATS_STREAM: nats.stream,
    NATS_SUBJECT_PREFIX: nats.prefix,
    // 2,048 public IPv4 addresses: one for each gateway, and room to spare.
    PUBLIC_PREFIXES: '198.18.0.0/21',
    DATAPLANE_BACKEND: backend,
    // Measures the services, not the per-client rate limit (every request comes from one client).
    RATE_LIMIT_QPS: '0',
  };
  if (backend === 'nftables') {
    env.DATAPLANE_NETNS = await lab.namespace('ready');
    env.DATAPLANE_UPLINK = 'lo';
  }
  const services = (['api-gateway', 'allocator', 'dataplane-executor'] as const).map(
    (s) => new ServiceProcess(s, env, undefined, profileArgs()),
  );
  try {
    for (const s of services) await s.start();
    const base = `${await services[0].url}/apis/${V}/namespaces/bench`;
    const setupStart = Date.now();
    const laggedWrites = { setup: 0, gateways: 0 };
    await inParallel(`${backend}: networks`, GATEWAYS + SERIAL, SETUP_CONCURRENCY, async (g) => {
      const status = await post(base, 'networks', {
        apiVersion: V,
        kind: 'Network',
        metadata: { name: `net-${g}` },
        spec: {},
      });
      if (status === 'lagged') laggedWrites.setup += 1;
    });
    const setupSeconds = (Date.now() - setupStart) / 1000;
    await analyze(url);
    await settled(await Promise.all(services.map((s) => s.url)));
    process.stdout.write(
      `${backend}: ${GATEWAYS + SERIAL} networks created in ${setupSeconds.toFixed(0)} s\n`,
    );
    const waiting = new Map<string, () => void>();
    const readyAt = new Map<string, number>();
    /** Wall-clock time of each Ready, for hops(). */
    const readyEpoch = new Map<string, number>();
    const watch = watchReady(base, (name) => {
      readyAt.set(name, performance.now());
      readyEpoch.set(name, Date.now());
      waiting.get(name)?.();
    });
    /** Creates the NICs of net-<g>, then gw-<g>; resolves with the time from its create until Ready. */
    const unit = async (g: number): Promise<number> => {
      for (let n = 0; n < NICS; n++) {
        const nic = await post(base, 'networkinterfaces', {
          apiVersion: V,
          kind: 'NetworkInterface',
          metadata: { name: `nic-${g}-${n}` },
          spec: {
            networkRef: { name: `net-${g}` },
            ips: [`10.${(g >> 8) & 255}.${g & 255}.${n + 2}`],
          },
        });
        if (nic === 'lagged') laggedWrites.setup += 1;
      }
      const name = `gw-${g}`;
      const ready = new Promise<void>((resolve) => waiting.set(name, resolve));
      const start = performance.now();
      const status = await post(base, 'natgateways', {
        apiVersion: V,
        kind: 'NATGateway',
        metadata: { name },
        spec: {
          type: 'Public',
          ipFamily: 'IPv4',
          portsPerNetworkInterface: 1024,
          networkRef: { name: `net-${g}` },
        },
      });
      if (status === 'lagged') laggedWrites.gateways += 1;
      if (!readyAt.has(name)) await ready;
      return (readyAt.get(name) as number) - start;
    };
    const phase = async (first: number, count: number, inFlight: number): Promise<Phase> => {
      const values: number[] = [];
      const started = performance.now();
      await inParallel(`${backend}: ${inFlight} in flight`, count, inFlight, async (i) => {
        values.push(await unit(first + i));
      });
      const seconds = (performance.now() - started) / 1000;
      const names = Array.from({ length: count }, (_, i) => `gw-${first + i}`);
      return {
        inFlight,
        gateways: count,
        latenciesMs: latencies(values),
        gatewaysPerSecond: Number((count / seconds).toFixed(1)),
        hopsMs: await hops(url, names, readyEpoch),
      };
    };
    let serial: Phase;
    let concurrent: Phase;
    try {
      serial = await phase(GATEWAYS, SERIAL, 1);
      concurrent = await phase(0, GATEWAYS, CONCURRENCY);
    } finally {
      watch.stop();
    }
    for (const line of await topStatements(url)) process.stdout.write(`${backend}: ${line}\n`);
    return {
      backend,
      gateways: GATEWAYS,
      nicsPerGateway: NICS,
      concurrency: CONCURRENCY,
      serial,
      concurrent,
      latenciesMs: concurrent.latenciesMs,
      serialMs: { gateways: SERIAL, p50: serial.latenciesMs.p50, max: serial.latenciesMs.max },
      gatewaysPerSecond: concurrent.gatewaysPerSecond,
      setupSeconds: Math.round(setupSeconds),
      laggedWrites,
    };
  } finally {
    await Promise.all(services.map((s) => s.kill('SIGTERM')));
    await lab.destroy();
    await deleteTestStream(nats.stream).catch(() => undefined);
  }
}

/** The goals of issue 14 for this bench. */
const GOALS = {
  serialP50Ms: 25,
  memoryP99Ms: 100,
  nftablesP99Ms: 200,
  gatewaysPerSecond: 100,
};

function report(results: BackendResult[], load: string): void {
  process.stdout.write(
    `create to Ready: each unit creates ${NICS} NICs, then the gateway; latency from the gateway's create to Ready\n`,
  );
  const header = [
    'backend',
    'in flight',
    'p50',
    'p90',
    'p99',
    'max',
    'gateways/s',
    'to alloc',
    'alloc to programmed',
  ];
  const rows: string[][] = [];
  for (const r of results) {
    for (const p of [r.serial, r.concurrent]) {
      const l = p.latenciesMs;
      rows.push([
        r.backend,
        String(p.inFlight),
        `${l.p50} ms`,
        `${l.p90} ms`,
        `${l.p99} ms`,
        `${l.max} ms`,
        String(p.gatewaysPerSecond),
        `${p.hopsMs.toAllocation} ms`,
        `${p.hopsMs.toProgrammed} ms`,
      ]);
    }
  }
  const width = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(width[i])).join('  ');
  process.stdout.write(`${line(header)}\n`);
  for (const r of rows) process.stdout.write(`${line(r)}\n`);
  process.stdout.write(
    'hops (medians, ms): create>allocator consumer>allocation>executor consumer>programmed>Ready seen\n',
  );
  for (const r of results) {
    for (const p of [r.serial, r.concurrent]) {
      const h = p.hopsMs;
      process.stdout.write(
        `  ${r.backend}, ${p.inFlight} in flight: ${h.createToAllocatorConsumer} > ${h.allocatorConsumerToAllocation} > ${h.allocationToExecutorConsumer} > ${h.executorConsumerToProgrammed} > ${h.programmedToReady}\n`,
      );
    }
  }
  const goal = (what: string, goalText: string, measured: number, ok: boolean) =>
    process.stdout.write(
      `goal: ${what.padEnd(44)} ${goalText.padEnd(12)} now ${String(measured).padEnd(8)} ${ok ? 'met' : 'missed'}\n`,
    );
  for (const r of results) {
    if (r.backend === 'memory') {
      const p50 = r.serial.latenciesMs.p50;
      goal('memory, 1 in flight, p50', `<= ${GOALS.serialP50Ms} ms`, p50, p50 <= GOALS.serialP50Ms);
      const p99 = r.concurrent.latenciesMs.p99;
      goal(
        `memory, ${r.concurrency} in flight, p99`,
        `<= ${GOALS.memoryP99Ms} ms`,
        p99,
        p99 <= GOALS.memoryP99Ms,
      );
      const gps = r.concurrent.gatewaysPerSecond;
      goal(
        `memory, ${r.concurrency} in flight, gateways/s with NIC creates`,
        `>= ${GOALS.gatewaysPerSecond}`,
        gps,
        gps >= GOALS.gatewaysPerSecond,
      );
    } else {
      const p99 = r.concurrent.latenciesMs.p99;
      goal(
        `nftables, ${r.concurrency} in flight, p99`,
        `<= ${GOALS.nftablesP99Ms} ms`,
        p99,
        p99 <= GOALS.nftablesP99Ms,
      );
    }
  }
  process.stdout.write(`load average during the run: ${load}\n`);
}

async function main(): Promise<void> {
  if (BACKENDS.includes('nftables')) assertNetnsPrerequisites();
  const results: BackendResult[] = [];
  const pg = await benchPostgres('ready');
  const loads: number[] = [];
  const sampler = setInterval(() => loads.push(loadavg()[0]), 5_000);
  try {
    for (const backend of BACKENDS) results.push(await runBackend(backend, pg));
  } finally {
    clearInterval(sampler);
    await pg.cleanup();
  }
  const load =
    loads.length === 0
      ? loadavg()[0].toFixed(1)
      : `${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)} (1-minute, sampled every 5 s)`;
  process.stdout.write(`machine: ${machine()}; database: ${pg.description}\n`);
  report(results, load);
  writeResult('ready', { database: pg.description, loadAverage: load, goals: GOALS, results });
}

main().catch((err: Error) => {
  process.stderr.write(`bench:ready failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
