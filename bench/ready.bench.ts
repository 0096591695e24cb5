// Create to Ready: the time from a NATGateway's create request to its Ready=True
// condition (public IP and every NIC's slot allocated, the dataplane programmed
// and reported), for 1,000 gateways of 10 NICs each, 50 creates in flight at a
// time. The whole system runs as real processes from dist/ (api-gateway,
// allocator, one dataplane-executor), once with the memory backend and once with
// nftables in a scratch network namespace (uplink lo). Each gateway has its own
// Network whose 10 NICs exist before it; once the setup's events are consumed
// (no relay or consumer lag), the gateways are created; Ready is observed through
// one WATCH.
// Prints a table and writes bench/results/ready.json. Run: npm run bench:ready
// (root, for nftables). Settings: BENCH_READY_GATEWAYS (1000), BENCH_READY_NICS
// (10), BENCH_READY_CONCURRENCY (50), BENCH_READY_SERIAL (20, created one at a
// time first: the unloaded latency), BENCH_READY_BACKENDS (memory,nftables).
import {
  assertNetnsPrerequisites,
  deleteTestStream,
  NetnsLab,
  ServiceProcess,
  testNatsNames,
} from '@natgw/testing';
import { machine, quantile, writeResult } from './support/bench-output';
import { analyze, BenchPostgres, benchPostgres } from './support/private-postgres';

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

interface BackendResult {
  backend: string;
  gateways: number;
  nicsPerGateway: number;
  concurrency: number;
  latenciesMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** The same, for SERIAL gateways created one at a time before the concurrent run. */
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

async function inParallel(count: number, width: number, work: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      for (let i = next++; i < count; i = next++) await work(i);
    }),
  );
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
    (s) => new ServiceProcess(s, env),
  );
  try {
    for (const s of services) await s.start();
    const base = `${await services[0].url}/apis/${V}/namespaces/bench`;
    const setupStart = Date.now();
    const laggedWrites = { setup: 0, gateways: 0 };
    await inParallel(GATEWAYS + SERIAL, SETUP_CONCURRENCY, async (g) => {
      const created = (status: 'created' | 'lagged') => {
        if (status === 'lagged') laggedWrites.setup += 1;
      };
      created(
        await post(base, 'networks', {
          apiVersion: V,
          kind: 'Network',
          metadata: { name: `net-${g}` },
          spec: {},
        }),
      );
      for (let n = 0; n < NICS; n++) {
        created(
          await post(base, 'networkinterfaces', {
            apiVersion: V,
            kind: 'NetworkInterface',
            metadata: { name: `nic-${g}-${n}` },
            spec: {
              networkRef: { name: `net-${g}` },
              ips: [`10.${(g >> 8) & 255}.${g & 255}.${n + 2}`],
            },
          }),
        );
      }
    });
    const setupSeconds = (Date.now() - setupStart) / 1000;
    await analyze(url);
    await settled(await Promise.all(services.map((s) => s.url)));
    process.stdout.write(
      `${backend}: ${GATEWAYS + SERIAL} networks and ${(GATEWAYS + SERIAL) * NICS} NICs created in ${setupSeconds.toFixed(0)} s\n`,
    );
    const waiting = new Map<string, () => void>();
    const readyAt = new Map<string, number>();
    const watch = watchReady(base, (name) => {
      readyAt.set(name, performance.now());
      waiting.get(name)?.();
    });
    /** Creates gw-<g> on net-<g> and resolves with the time until it is Ready. */
    const createToReady = async (g: number): Promise<number> => {
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
    const serial: number[] = [];
    const latencies: number[] = [];
    let runStart = 0;
    try {
      for (let g = GATEWAYS; g < GATEWAYS + SERIAL; g++) serial.push(await createToReady(g));
      runStart = performance.now();
      await inParallel(GATEWAYS, CONCURRENCY, async (g) => {
        latencies.push(await createToReady(g));
      });
    } finally {
      watch.stop();
    }
    const seconds = (performance.now() - runStart) / 1000;
    latencies.sort((a, b) => a - b);
    serial.sort((a, b) => a - b);
    const round = (x: number) => Math.round(x);
    return {
      backend,
      gateways: GATEWAYS,
      nicsPerGateway: NICS,
      concurrency: CONCURRENCY,
      latenciesMs: {
        p50: round(quantile(latencies, 0.5)),
        p90: round(quantile(latencies, 0.9)),
        p99: round(quantile(latencies, 0.99)),
        max: round(latencies[latencies.length - 1]),
        mean: round(latencies.reduce((s, x) => s + x, 0) / latencies.length),
      },
      serialMs: {
        gateways: SERIAL,
        p50: round(quantile(serial, 0.5)),
        max: round(serial[serial.length - 1] ?? NaN),
      },
      gatewaysPerSecond: Number((GATEWAYS / seconds).toFixed(1)),
      setupSeconds: Math.round(setupSeconds),
      laggedWrites,
    };
  } finally {
    await Promise.all(services.map((s) => s.kill('SIGTERM')));
    await lab.destroy();
    await deleteTestStream(nats.stream).catch(() => undefined);
  }
}

async function main(): Promise<void> {
  if (BACKENDS.includes('nftables')) assertNetnsPrerequisites();
  const results: BackendResult[] = [];
  const pg = await benchPostgres('ready');
  try {
    for (const backend of BACKENDS) results.push(await runBackend(backend, pg));
  } finally {
    await pg.cleanup();
  }
  process.stdout.write(`machine: ${machine()}; database: ${pg.description}\n`);
  process.stdout.write(
    `create to Ready, ${GATEWAYS} gateways x ${NICS} NICs, ${CONCURRENCY} at a time (after ${SERIAL} one at a time)\n`,
  );
  process.stdout.write(
    `${'backend'.padEnd(10)} ${'p50'.padStart(7)} ${'p90'.padStart(7)} ${'p99'.padStart(7)} ${'max'.padStart(7)}  ${'gateways/s'.padEnd(10)}  one at a time: p50 / max\n`,
  );
  for (const r of results) {
    const l = r.latenciesMs;
    const ms = (x: number) => `${x}`.padStart(5) + 'ms';
    process.stdout.write(
      `${r.backend.padEnd(10)} ${ms(l.p50)} ${ms(l.p90)} ${ms(l.p99)} ${ms(l.max)}  ${String(r.gatewaysPerSecond).padEnd(10)}  ${r.serialMs.p50} / ${r.serialMs.max} ms${r.laggedWrites.gateways + r.laggedWrites.setup > 0 ? `  (503 and retried: ${r.laggedWrites.gateways} gateway creates, ${r.laggedWrites.setup} setup creates)` : ''}\n`,
    );
  }
  writeResult('ready', { database: pg.description, results });
}

main().catch((err: Error) => {
  process.stderr.write(`bench:ready failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
