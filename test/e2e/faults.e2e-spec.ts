// Whole-system proof under faults: a mixed workload through both api-gateways
// (REST, and the inbound NATS subject when served) while services are killed
// with SIGKILL and restarted (the relay holder included), nats-server restarts
// and every PostgreSQL session of the system is cut (the full profile also gives
// the system a PostgreSQL server of its own and restarts it). Clients may only
// see 2xx, 409, 429 or 503 with Retry-After; a request that got no answer counts
// only when its api-gateway (or NATS, for inbound requests) was deliberately
// down during it. Once the system settles nothing may be lost, duplicated or out
// of step. FAULTS_PROFILE=full (npm run test:faults) runs the long profile; the
// default is the CI profile that runs inside npm test. FAULTS_SEED picks the
// workload's random choices.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { assertNetnsPrerequisites, eventually, sleep } from '@natgw/testing';
import {
  allocationFingerprint,
  allocationProblems,
  allocationSnapshot,
  QueryFn,
} from './support/allocation-invariants';
import { FaultFleet } from './support/fault-fleet';
import { FaultLedger, type AckedWrite } from './support/fault-ledger';
import { FaultWorkload, seededRandom } from './support/fault-workload';
import { rawRequest } from './support/raw-http';
import {
  acknowledgedWriteProblems,
  dataplaneProblems,
  deadLetterProblems,
  laggingCheckpoints,
  logIntegrityProblems,
  projectionRebuildProblems,
  settledCheckpoints,
} from './support/system-checks';

interface Profile {
  name: 'ci' | 'full';
  operations: number;
  clients: number;
  namespaces: number;
  /** Each cycle injects every fault once, in random order. */
  cycles: number;
  /**
   * The system gets a PostgreSQL server of its own, and each cycle also restarts it
   * (the CI profile only cuts sessions: it never restarts the shared server).
   */
  privatePostgres: boolean;
}

const PROFILES: Record<Profile['name'], Profile> = {
  ci: { name: 'ci', operations: 400, clients: 8, namespaces: 4, cycles: 1, privatePostgres: false },
  full: {
    name: 'full',
    operations: 2400,
    clients: 12,
    namespaces: 8,
    cycles: 3,
    privatePostgres: true,
  },
};
const profile = PROFILES[process.env.FAULTS_PROFILE === 'full' ? 'full' : 'ci'];
const seed = Number(process.env.FAULTS_SEED ?? 20260801);

jest.setTimeout(profile.name === 'full' ? 3_600_000 : 900_000);

interface PlannedFault {
  name: string;
  run: () => Promise<void>;
}

function shuffle<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Every fault once per cycle, shuffled; each kill stays down 0.3 to 2 s. */
function faultPlan(fleet: FaultFleet, random: () => number, cycles: number): PlannedFault[] {
  const downMs = () => 300 + Math.floor(random() * 1700);
  const kill = (name: string, pick: () => FaultFleet['gateways'][number]) => ({
    name,
    run: () => fleet.crash(pick(), downMs()),
  });
  const cycle = (): PlannedFault[] => [
    kill('kill -9 api-gateway#1', () => fleet.gateways[0]),
    kill('kill -9 api-gateway#2', () => fleet.gateways[1]),
    kill('kill -9 allocator#1', () => fleet.allocators[0]),
    kill('kill -9 allocator#2', () => fleet.allocators[1]),
    kill('kill -9 executor node-a (nftables)', () => fleet.executors[0].process),
    kill('kill -9 executor node-b (memory)', () => fleet.executors[1].process),
    {
      name: 'kill -9 the relay holder',
      run: async () => {
        const holder = await fleet.relayHolder();
        await fleet.crash(holder ?? fleet.allocators[0], downMs(), 'kill-relay-holder');
      },
    },
    { name: 'restart nats-server', run: () => fleet.restartNats(downMs()) },
    { name: 'cut every PostgreSQL session', run: async () => void (await fleet.cutDatabase()) },
    { name: 'cut every PostgreSQL session', run: async () => void (await fleet.cutDatabase()) },
    ...(fleet.postgres
      ? [{ name: 'restart PostgreSQL', run: () => fleet.restartPostgres(downMs()) }]
      : []),
  ];
  return Array.from({ length: cycles }, () => shuffle(cycle(), random)).flat();
}

/** Publishes a message that no consumer can parse; returns its JetStream sequence. */
async function publishPoison(nc: NatsConnection, subject: string, body: string): Promise<number> {
  const js = jetstream(nc);
  for (let attempt = 1; ; attempt++) {
    try {
      return (await js.publish(subject, body, { timeout: 5000 })).seq;
    } catch (err) {
      if (attempt >= 60) throw err;
      await sleep(1000);
    }
  }
}

/**
 * Why the api-gateway does not serve `<prefix>.inbound.networkinterfaces.*`, or undefined when it
 * does (any reply counts).
 */
async function inboundUnserved(nc: NatsConnection, prefix: string): Promise<string | undefined> {
  const subject = `${prefix}.inbound.networkinterfaces.upsert`;
  let last = '';
  for (let attempt = 0; attempt < 10; attempt++) {
    try {
      await nc.request(subject, '{}', { timeout: 2000 });
      return undefined;
    } catch (err) {
      last = (err as Error).message;
      await sleep(500);
    }
  }
  return `the api-gateway does not answer requests on ${subject} (10 tries; last: ${last})`;
}

/** Why the api-gateway does not serve the IP pool API, or undefined when it does. */
async function poolsUnserved(gatewayUrl: string): Promise<string | undefined> {
  const url = `${gatewayUrl}/apis/natgw.ironcore.dev/v1alpha1/ippools`;
  const answer = await rawRequest(url, { method: 'GET', timeoutMs: 15_000 });
  if (answer.kind !== 'response')
    return `GET ${url} got no answer (${answer.kind}: ${answer.error})`;
  if (answer.status !== 200)
    return `GET ${url} answered ${answer.status}: ${answer.body.slice(0, 200)}`;
  return undefined;
}

describe(`natgw under faults (${profile.name} profile: ${profile.operations} operations, seed ${seed})`, () => {
  let fleet: FaultFleet;
  let nc: NatsConnection;
  const ledger = new FaultLedger();
  /** Why a required operation kind (inbound NATS writes, IP pool operations) could not run. */
  const unservedPaths: string[] = [];
  /** What the report should say beyond the checks (e.g. the dataplanes' rule counts). */
  const notes: string[] = [];
  const poison: number[] = [];
  let workload: FaultWorkload;
  let plannedFaults = 0;
  let settled: Error | undefined;
  let query: QueryFn;
  const timings: Record<string, number> = {};
  const checks: Record<string, 'ok' | string[]> = {};

  beforeAll(async () => {
    assertNetnsPrerequisites();
    const t0 = Date.now();
    fleet = await FaultFleet.start(
      `faults_${profile.name}`,
      {
        PUBLIC_PREFIXES: '203.0.113.0/24,2001:db8:ffff::/120',
        RECONCILE_INTERVAL_SECONDS: '2',
        ALLOCATOR_RESYNC_SECONDS: '5',
      },
      { privatePostgres: profile.privatePostgres },
    );
    query = (sql, params) => fleet.query(sql, params);
    nc = await connect({
      servers: fleet.nats.url,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
    });
    timings.startMs = Date.now() - t0;
    const prefix = fleet.system.nats.prefix;
    // Both are required: when one is not served, the workload runs without it and the
    // "required operation kinds" test fails with the reason.
    const inboundProblem = await inboundUnserved(nc, prefix);
    const inbound = inboundProblem === undefined;
    if (inboundProblem) unservedPaths.push(inboundProblem);
    const poolsProblem = await poolsUnserved(await fleet.gateways[0].url);
    const poolsServed = poolsProblem === undefined;
    if (poolsProblem) unservedPaths.push(poolsProblem);

    const random = seededRandom(seed ^ 0x5eed);
    const plan = faultPlan(fleet, random, profile.cycles);
    plannedFaults = plan.length;
    const n = profile.operations;
    const spacing = n / (plan.length + 1);
    const triggers = plan.map((_, k) =>
      Math.round((k + 1) * spacing + (random() - 0.5) * spacing * 0.5),
    );
    let reached = 0;
    let done = 0;
    let wake: Array<() => void> = [];
    const wakeAll = () => {
      const w = wake;
      wake = [];
      for (const f of w) f();
    };
    workload = new FaultWorkload(fleet, ledger, {
      operations: n,
      clients: profile.clients,
      namespaces: profile.namespaces,
      seed,
      pools: poolsServed,
      ...(inbound ? { inbound: { nc, prefix } } : {}),
      // Operations past the next fault's point wait until the current fault is over,
      // so the faults spread over the whole workload instead of trailing it.
      beforeOperation: async (i) => {
        reached = Math.max(reached, i + 1);
        wakeAll();
        while (done < plan.length && i >= (triggers[done + 1] ?? Infinity))
          await new Promise<void>((r) => wake.push(r));
      },
    });
    await workload.setUp();
    fleet.markStart();
    ledger.startedAt = Date.now();
    const subject = `${prefix}.events.allocation.NATSlotAssigned`;
    poison.push(await publishPoison(nc, subject, '{"specversion": "1.0", not json'));
    const injector = (async () => {
      for (let k = 0; k < plan.length; k++) {
        while (reached < triggers[k]) await new Promise<void>((r) => wake.push(r));
        await plan[k].run();
        if (k === Math.floor(plan.length / 2))
          poison.push(await publishPoison(nc, subject, JSON.stringify({ not: 'a CloudEvent' })));
        done = k + 1;
        wakeAll();
      }
    })();
    const t1 = Date.now();
    await Promise.all([workload.run(), injector]);
    timings.workloadMs = Date.now() - t1;
    await fleet.allReady();
    const t2 = Date.now();
    let last = '';
    try {
      await eventually(
        async () => {
          const s = await allocationSnapshot(query);
          const fingerprint = allocationFingerprint(s);
          const problems = [
            ...allocationProblems(s).slice(0, 5),
            ...(await laggingCheckpoints(query, settledCheckpoints(fleet.system.nats.stream))),
            ...(
              await dataplaneProblems(fleet.system.databaseUrl, query, {
                nftables: { node: 'node-a', netns: fleet.nftablesNamespace },
                memory: { node: 'node-b' },
              })
            ).problems,
          ];
          const stable = fingerprint === last;
          last = fingerprint;
          if (problems.length > 0) throw new Error(problems.join('; '));
          return stable;
        },
        { timeoutMs: 300_000, intervalMs: 2000, what: 'the system to settle' },
      );
    } catch (err) {
      settled = err as Error;
    }
    timings.settleMs = Date.now() - t2;
  });

  afterAll(async () => {
    try {
      await report();
    } finally {
      await nc?.close().catch(() => undefined);
      await fleet?.destroy();
    }
  });

  /** Prints what happened; the full profile also writes bench/results/faults.json. */
  async function report(): Promise<void> {
    const [events] = fleet
      ? await query<{ n: number }>('SELECT count(*)::int AS n FROM natgw_events').catch(() => [])
      : [];
    const summary = {
      profile: profile.name,
      seed,
      operations: ledger.operations,
      acknowledgedWrites: ledger.acked.length,
      writesBy: workload?.byVia,
      operationsByKind: Object.fromEntries(workload?.byKind ?? []),
      faults: fleet?.faults,
      outcomes: Object.fromEntries(ledger.outcomes()),
      violations: ledger.violations,
      poison,
      events: events?.n,
      timings,
      checks,
      unservedPaths,
    };
    process.stdout.write(
      `\nfault suite (${profile.name}, seed ${seed}): ${ledger.operations} operations, ${ledger.acked.length} acknowledged writes, ${fleet?.faults.length ?? 0} faults, ${events?.n ?? '?'} events\n${ledger.summary()}\noperations: ${JSON.stringify(summary.operationsByKind)}; writes ${JSON.stringify(summary.writesBy)}\nfaults: ${(fleet?.faults ?? []).map((f) => `${f.kind} ${f.target} at +${(f.at / 1000).toFixed(1)}s`).join(', ')}\ntimings: ${JSON.stringify(timings)}\n${[...unservedPaths, ...notes].join('\n')}\n`,
    );
    if (profile.name === 'full')
      writeFileSync(
        join(__dirname, '..', '..', 'bench', 'results', 'faults.json'),
        `${JSON.stringify(summary, null, 2)}\n`,
      );
  }

  /** Records a check's result for the report, then asserts it found no problem. */
  function check(name: string, problems: string[]): void {
    checks[name] = problems.length === 0 ? 'ok' : problems.slice(0, 10);
    expect(problems).toEqual([]);
  }

  it('ran the whole workload through every kind of fault', () => {
    expect(ledger.operations).toBe(profile.operations);
    expect(fleet.faults).toHaveLength(plannedFaults);
    const kinds = new Set(fleet.faults.map((f) => f.kind));
    expect([...kinds].sort()).toEqual(
      [
        'cut-database',
        'kill',
        'kill-relay-holder',
        'restart-nats',
        ...(profile.privatePostgres ? ['restart-postgres'] : []),
      ].sort(),
    );
    // Most writes were acknowledged: the faults were survived, not just endured.
    expect(ledger.acked.length).toBeGreaterThan(profile.operations / 2);
  });

  it('ran every required operation kind: NIC writes over the inbound NATS subject, IP pool creates, updates and deletes', () => {
    const acked = (what: (write: AckedWrite) => boolean) => ledger.acked.filter(what).length;
    const problems = [...unservedPaths];
    if (acked((w) => w.via === 'nats') === 0) {
      problems.push('no NIC write over the inbound NATS subject was acknowledged');
    }
    for (const verb of ['POST', 'PATCH', 'DELETE']) {
      if (acked((w) => w.what.startsWith(`${verb} ippool `)) === 0) {
        problems.push(`no ${verb} of an IP pool was acknowledged`);
      }
    }
    check('required operation kinds', problems);
  });

  it('clients saw only 2xx, 409, 429 or 503 with Retry-After: no 500, no hang, no unexplained dropped connection', () => {
    // A 500 names its correlation id: show what the server logged for it.
    const explained = ledger.violations.map((v) => {
      const id = /correlation id ([^)\\"]+)\)/.exec(v)?.[1];
      const lines = id ? fleet.linesContaining(id).slice(0, 3) : [];
      return lines.length > 0 ? `${v}\n  server: ${lines.join('\n  server: ')}` : v;
    });
    // A service that died by itself (not killed by the fleet) leaves a fatal line or a stack.
    const crashes =
      explained.length > 0
        ? fleet
            .linesContaining('')
            .filter((l) => /"level":60|Unhandled|uncaught|^\S+: \s*at |Error: /.test(l))
            .slice(0, 20)
        : [];
    check('client answers', [...explained, ...crashes.map((l) => `service output: ${l}`)]);
  });

  it('settles: allocations stop changing, read models, relay and both dataplanes catch up', () => {
    check('settles', settled ? [settled.message] : []);
  });

  it('keeps the allocation invariants: no shared address or port, every eligible NIC served', async () => {
    check('allocation invariants', allocationProblems(await allocationSnapshot(query)));
  });

  it("makes each executor's dataplane equal the desired state (nftables node-a, memory node-b)", async () => {
    const { problems, rules, rejected } = await dataplaneProblems(fleet.system.databaseUrl, query, {
      nftables: { node: 'node-a', netns: fleet.nftablesNamespace },
      memory: { node: 'node-b' },
    });
    check('dataplanes equal the desired state', problems);
    // Networks reuse private ranges, so the shared-mode nodes see clashes: only those are left out.
    notes.push(
      `dataplane: programmed ${JSON.stringify(rules)}, rejected (address clashes) ${JSON.stringify(rejected)}`,
    );
    // Both nodes really serve NICs.
    expect(rules['node-a']).toBeGreaterThan(0);
    expect(rules['node-b']).toBeGreaterThan(0);
  });

  it('has every acknowledged write in the log exactly once, and no trace of refused ones', async () => {
    check('acknowledged writes exactly once', await acknowledgedWriteProblems(query, ledger));
  });

  it('has a log without gaps or duplicates', async () => {
    check('log without gaps or duplicates', await logIntegrityProblems(query));
  });

  it('dead-lettered exactly the poison messages', async () => {
    const { problems } = await deadLetterProblems(query, fleet.system.nats.stream, poison);
    check('dead letters are the poison', problems);
  });

  it('has every projection equal to its rebuild from the log', async () => {
    // Quiet first: a rebuild compares a still log with its read models.
    await Promise.all(fleet.all.map((p) => p.kill('SIGTERM')));
    const { problems, rows } = await projectionRebuildProblems(fleet.system.databaseUrl, query);
    check('projections equal their rebuild', problems);
    expect(rows).toBeGreaterThan(profile.operations / 4);
  });
});
