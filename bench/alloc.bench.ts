// Allocation benchmark: slots for BENCH_GATEWAYS x BENCH_NICS_PER_GATEWAY NICs
// (default 1,000 x 100 = 100,000) through the real allocator process, and the same
// allocation by the pure domain functions alone in this process, as the upper bound.
// The resource events are appended to the log directly (the API's throughput is
// bench:api's business), the resource projection is caught up, then the allocator
// starts: its start-up resync allocates everything. Prints a table and writes
// bench/results/alloc.json. Run: npm run bench:alloc (builds first).
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import {
  AllocationState,
  decideAllocation,
  decidePool,
  eligibleNicsForGateway,
  foldAllocation,
  foldPool,
  initialAllocationState,
  initialIpPoolState,
  IpPoolState,
  NatGatewayInput,
  NetworkInterfaceInput,
  planAllocation,
  freeIps,
} from '@natgw/domain';
import { openDatabase, PostgresEventStore, ProjectionRunner } from '@natgw/event-store';
import { ClaimStreams, ResourceProjection } from '@natgw/projections';
import {
  createTestDatabase,
  dropTestDatabase,
  ServiceProcess,
  testNatsNames,
  deleteTestStream,
} from '@natgw/testing';
import { NATGW_SCHEMA } from '@natgw/schema';
import { createProgress } from '@natgw/platform';
import { profileArgs } from './support/profile-args';
import { loadAverage } from './support/bench-output';

const GATEWAYS = Number(process.env.BENCH_GATEWAYS ?? 1000);
const NICS_PER_GATEWAY = Number(process.env.BENCH_NICS_PER_GATEWAY ?? 100);
const NAMESPACES = Math.max(1, Math.ceil(GATEWAYS / 100));
const PREFIXES = '100.64.0.0/16';
const PPNI = 64;
/** Issue 14's goal: the allocator at ≥ 0.2× the pure domain functions. */
const GOAL_RATIO = 0.2;

interface Spec {
  gateways: NatGatewayInput[];
  nics: NetworkInterfaceInput[];
}

function workload(): Spec {
  const created = '2026-11-26T00:00:00Z';
  const gateways: NatGatewayInput[] = [];
  const nics: NetworkInterfaceInput[] = [];
  for (let g = 0; g < GATEWAYS; g++) {
    const namespace = `ns-${g % NAMESPACES}`;
    const networkName = `net-${g}`;
    gateways.push({
      uid: randomUUID(),
      namespace,
      name: `gw-${g}`,
      networkName,
      ipFamily: 'IPv4',
      portsPerNetworkInterface: PPNI,
      createdAt: created,
    });
    for (let n = 0; n < NICS_PER_GATEWAY; n++) {
      nics.push({
        uid: randomUUID(),
        namespace,
        name: `nic-${g}-${n}`,
        networkName,
        ips: [`10.${Math.floor(n / 250)}.${n % 250}.${(g % 250) + 1}`],
        createdAt: created,
      });
    }
  }
  return { gateways, nics };
}

/** CPU ms (user + system) a live process used so far, from /proc/<pid>/stat (utime, stime). */
function processCpuMs(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const [utime, stime] = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .slice(11, 13);
  return ((Number(utime) + Number(stime)) * 1000) / 100; // USER_HZ is 100 on Linux
}

/** The upper bound: the same decisions by the pure functions, no I/O. */
function pureAllocation(spec: Spec): { seconds: number; cpuSeconds: number; events: number } {
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  let pool: IpPoolState = foldPool(
    initialIpPoolState(),
    decidePool({ type: 'AddPrefix', prefix: PREFIXES }, initialIpPoolState()),
  );
  let events = 0;
  const byNetwork = new Map<string, NetworkInterfaceInput[]>();
  for (const nic of spec.nics)
    byNetwork.set(`${nic.namespace}/${nic.networkName}`, [
      ...(byNetwork.get(`${nic.namespace}/${nic.networkName}`) ?? []),
      nic,
    ]);
  for (const gw of spec.gateways) {
    const nics = byNetwork.get(`${gw.namespace}/${gw.networkName}`) ?? [];
    const state: AllocationState = initialAllocationState();
    const plan = planAllocation({
      gateway: gw,
      nics: eligibleNicsForGateway(gw, [gw], nics),
      current: state,
      freeIps: freeIps(pool, 'IPv4'),
    });
    for (const ip of plan.claimIps) {
      const claimed = decidePool({ type: 'ClaimIp', gatewayUid: gw.uid, family: 'IPv4', ip }, pool);
      pool = foldPool(pool, claimed);
      events += claimed.length;
    }
    const decided = decideAllocation({ type: 'ApplyAllocationPlan', plan }, state);
    foldAllocation(state, decided);
    events += decided.length;
  }
  const cpu = process.cpuUsage(cpuStart);
  return {
    seconds: Number(process.hrtime.bigint() - start) / 1e9,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    events,
  };
}

function createdEvent(
  kind: string,
  o: { uid: string; namespace: string; name: string },
  spec: Record<string, unknown>,
  finalizers: string[],
) {
  return {
    type: `${kind}Created`,
    data: {
      uid: o.uid,
      namespace: o.namespace,
      name: o.name,
      labels: {},
      annotations: {},
      finalizers,
      spec,
      generation: 1,
      creationTimestamp: '2026-11-26T00:00:00Z',
    },
    metadata: { source: '/natgw/bench', actor: 'bench' },
  };
}

async function main(): Promise<void> {
  const spec = workload();
  const total = spec.nics.length;
  process.stdout.write(
    `workload: ${GATEWAYS} gateways x ${NICS_PER_GATEWAY} NICs = ${total} NICs, ppni ${PPNI}\n`,
  );
  const pure = pureAllocation(spec);

  const url = await createTestDatabase('bench_alloc');
  const nats = testNatsNames('bench_alloc');
  const ds = await openDatabase({ url, ...NATGW_SCHEMA, poolSize: 12 });
  const store = new PostgresEventStore(ds);
  const allocator = new ServiceProcess(
    'allocator',
    {
      DATABASE_URL: url,
      NATS_STREAM: nats.stream,
      NATS_SUBJECT_PREFIX: nats.prefix,
      PUBLIC_PREFIXES: PREFIXES,
      ALLOCATOR_RESYNC_SECONDS: '3600',
      LOG_LEVEL: 'warn',
    },
    undefined,
    profileArgs(),
  );
  try {
    const seedStart = process.hrtime.bigint();
    const objects = [
      ...spec.gateways.map((g) => ({
        stream: `natgateway:${g.namespace}/${g.name}`,
        event: createdEvent(
          'NATGateway',
          g,
          {
            type: 'Public',
            ipFamily: 'IPv4',
            portsPerNetworkInterface: PPNI,
            networkRef: { name: g.networkName },
          },
          ['natgw.ironcore.dev/allocation'],
        ),
      })),
      ...spec.nics.map((n) => ({
        stream: `networkinterface:${n.namespace}/${n.name}`,
        event: createdEvent(
          'NetworkInterface',
          n,
          { networkRef: { name: n.networkName }, ips: n.ips },
          ['natgw.ironcore.dev/allocation'],
        ),
      })),
    ];
    // Each gateway's Network, with its VNI claimed as the API claims it (slots carry the VNI).
    const claims = new ClaimStreams(store);
    const networks = spec.gateways.map((g, i) => {
      const network = { uid: randomUUID(), namespace: g.namespace, name: g.networkName };
      const vni = 100 + i;
      const created = createdEvent('Network', network, { vni }, []);
      return [
        {
          streamId: `network:${g.namespace}/${g.networkName}`,
          events: [created],
          expectedVersion: 'no-stream' as const,
        },
        claims.claimVni({ ...network, vni }, 'no-stream', created.metadata),
      ];
    });
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = next++; i < networks.length; i = next++) {
          const appends = networks[i];
          await ds.transaction((manager) => store.appendToStreams(appends, manager));
        }
      }),
    );
    // 50 objects a transaction: the seed is not what this bench measures.
    const chunks = Math.ceil(objects.length / 50);
    next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = next++; i < chunks; i = next++) {
          const appends = objects.slice(i * 50, i * 50 + 50).map((o) => ({
            streamId: o.stream,
            events: [o.event],
            expectedVersion: 'no-stream' as const,
          }));
          await ds.transaction((manager) => store.appendToStreams(appends, manager));
        }
      }),
    );
    const seedSeconds = Number(process.hrtime.bigint() - seedStart) / 1e9;
    const projStart = process.hrtime.bigint();
    const runner = new ProjectionRunner(ds, store, new ResourceProjection(), undefined, {
      batchSize: 2000,
    });
    while (
      (await runner.catchUp()) > 0 ||
      (await ds.query(`SELECT count(*)::int AS n FROM natgw_resources`))[0].n <
        objects.length + networks.length
    ) {
      /* an empty page means nothing visible yet; loop until every object is projected */
    }
    const projectionSeconds = Number(process.hrtime.bigint() - projStart) / 1e9;

    const loadAtStart = loadAverage();
    const allocStart = process.hrtime.bigint();
    await allocator.start(120_000);
    // CPU from here on: the allocator's start-up (module loading) is not the allocation's.
    const countSlots = async (): Promise<number> =>
      (
        await ds.query(`SELECT count(*)::int AS n FROM natgw_events WHERE type = 'NATSlotAssigned'`)
      )[0].n;
    const cpuAtReady = processCpuMs(allocator.pid);
    const slotsAtReady = await countSlots();
    let cpuAtEnd = NaN;
    const slotting = createProgress({ label: 'allocator', unit: 'NIC slots' });
    for (;;) {
      const n = await countSlots();
      slotting.onProgress(Math.min(n, total), total);
      if (n >= total) {
        cpuAtEnd = processCpuMs(allocator.pid);
        break;
      }
      if (!allocator.running) throw new Error(`allocator exited:\n${allocator.logs()}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    slotting.finish();
    const allocSeconds = Number(process.hrtime.bigint() - allocStart) / 1e9;
    const [{ n: decisions }] = await ds.query(
      `SELECT count(*)::int AS n FROM natgw_events WHERE stream_id LIKE 'allocation:%' OR type = 'PublicIPClaimed'`,
    );
    // Per slot assigned after the allocator was ready (the pure functions: per decision event).
    const allocCpuMsPerSlot = (cpuAtEnd - cpuAtReady) / Math.max(1, total - slotsAtReady);
    const pureCpuMsPerEvent = (pure.cpuSeconds * 1000) / pure.events;
    const rows = [
      {
        metric: 'seed resource events (direct append, 8 writers, 50 a transaction)',
        value: `${objects.length} in ${seedSeconds.toFixed(1)} s`,
      },
      {
        metric: 'resource projection catch-up',
        value: `${(objects.length / projectionSeconds).toFixed(0)} events/s`,
      },
      {
        metric: 'allocator process: start to every NIC slotted',
        value: `${allocSeconds.toFixed(1)} s`,
      },
      { metric: 'allocator: NIC slots per second', value: `${(total / allocSeconds).toFixed(0)}` },
      {
        metric: 'allocator: decision events per second',
        value: `${(decisions / allocSeconds).toFixed(0)} (${decisions} events)`,
      },
      {
        metric: 'pure domain functions (upper bound)',
        value: `${pure.seconds.toFixed(2)} s, ${(pure.events / pure.seconds).toFixed(0)} events/s`,
      },
      {
        metric:
          'allocator process CPU per NIC slot, from ready to done (relay, consumer, projection included)',
        value: `${allocCpuMsPerSlot.toFixed(3)} ms (${((cpuAtEnd - cpuAtReady) / 1000).toFixed(1)} s for ${total - slotsAtReady} slots)`,
      },
      {
        metric: 'pure domain functions CPU per decision event',
        value: `${pureCpuMsPerEvent.toFixed(3)} ms`,
      },
      {
        metric: 'CPU ratio pure / allocator (less sensitive to the load than the wall ratio)',
        value: `${(pureCpuMsPerEvent / allocCpuMsPerSlot).toFixed(3)}x`,
      },
      {
        metric: `ratio allocator / pure (goal >= ${GOAL_RATIO}x)`,
        value: `${(pure.seconds / allocSeconds).toFixed(3)}x, ${pure.seconds / allocSeconds >= GOAL_RATIO ? 'met' : 'missed'}`,
      },
      {
        metric: 'load average (1, 5, 15 min) at the allocator start / at the end',
        value: `${loadAtStart} / ${loadAverage()}`,
      },
    ];
    process.stdout.write(`\nmachine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}\n`);
    const width = Math.max(...rows.map((r) => r.metric.length));
    for (const r of rows) process.stdout.write(`${r.metric.padEnd(width)}  ${r.value}\n`);
    mkdirSync(join(__dirname, 'results'), { recursive: true });
    writeFileSync(
      join(__dirname, 'results', 'alloc.json'),
      `${JSON.stringify({ gateways: GATEWAYS, nicsPerGateway: NICS_PER_GATEWAY, seedSeconds, projectionSeconds, allocSeconds, decisions, pure, allocCpuMsPerSlot, pureCpuMsPerEvent, rows }, null, 2)}\n`,
    );
  } finally {
    // A profiled process writes its profile only when it exits by itself: give it time.
    await allocator.kill('SIGTERM', profileArgs().length > 0 ? 180_000 : 15_000);
    await ds.destroy();
    await dropTestDatabase(url);
    await deleteTestStream(nats.stream);
  }
}

main().catch((err: Error) => {
  process.stderr.write(`bench:alloc failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
