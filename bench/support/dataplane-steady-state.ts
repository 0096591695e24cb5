// The dataplane-executor's steady state: the reconciler (real PostgreSQL, the nat-slots
// projection runner, the nftables backend in a scratch namespace) holding 50,000 NICs that do not
// change, one pass every RECONCILE_INTERVAL_SECONDS as the service runs it. Measures the CPU of
// this process and of its children (nft, ip, the nft monitor) over a minute.
import { readdirSync, readFileSync } from 'node:fs';
import { openDatabase, PostgresEventStore, ProjectionRunner } from '@natgw/event-store';
import { ALL_NODES, NatSlotsProjection } from '@natgw/projections';
import { NATGW_SCHEMA } from '@natgw/schema';
import { createTestDatabase, dropTestDatabase, type NetnsLab } from '@natgw/testing';
import { NftablesBackend } from '../../apps/dataplane-executor/src/backends';
import { DataplaneReconciler } from '../../apps/dataplane-executor/src/reconciler/dataplane-reconciler';

const TICK_MS = 10;

/** CPU seconds (user + system) in /proc/<pid>/stat: fields 14-15, and 16-17 for reaped children. */
function statCpu(pid: number | 'self', withReaped: boolean): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    const own = Number(fields[11]) + Number(fields[12]);
    const reaped = withReaped ? Number(fields[13]) + Number(fields[14]) : 0;
    return (own + reaped) * TICK_MS;
  } catch {
    return 0; // the process is gone
  }
}

/** Milliseconds of CPU used by this process, its reaped children, and its live children. */
function cpuMs(): number {
  let live = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const fields = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      if (Number(fields[1]) === process.pid) live += statCpu(Number(entry), true);
    } catch {
      // gone meanwhile
    }
  }
  return statCpu('self', true) + live;
}

export interface SteadyState {
  nics: number;
  intervalMs: number;
  seconds: number;
  passes: number;
  /** CPU of the steady minute, as a percentage of one core. */
  percentOfCore: number;
  /** CPU of one verification pass (read-back of the table and re-read of the log's table). */
  verifyPassMs: number;
  verifyIntervalMs: number;
  /** The minute plus the verification's share, as a percentage of one core. */
  percentWithVerify: number;
}

/** Runs the steady state in namespace `ns` of `lab`; removes its database afterwards. */
export async function measureSteadyState(
  lab: NetnsLab,
  options: { nics: number; intervalMs: number; seconds: number; verifyIntervalMs: number },
): Promise<SteadyState> {
  const ns = await lab.namespace('steady');
  const url = await createTestDatabase('bench_dp_steady');
  const ds = await openDatabase({ url, ...NATGW_SCHEMA });
  const backend = new NftablesBackend({ netns: ns, uplinks: ['up0'] });
  try {
    // The projection's rows written directly (50 NICs per gateway): what is measured is the
    // executor holding them, not the pipeline that made them.
    await ds.query(
      `INSERT INTO natgw_allocation_versions (gateway_uid, version)
       SELECT ('11111111-0000-4000-8000-' || lpad(to_hex(g), 12, '0'))::uuid, 1
         FROM generate_series(0, $1::int / 50) g`,
      [options.nics],
    );
    await ds.query(
      `INSERT INTO natgw_nat_slots (gateway_uid, nic_uid, nic_name, namespace, node_name, family,
                                    private_ip, nat_ip, port, end_port)
       SELECT ('11111111-0000-4000-8000-' || lpad(to_hex(i / 50), 12, '0'))::uuid,
              ('00000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid,
              'nic-' || i, 'default', NULL, 'IPv4',
              '10.' || ((i >> 16) & 255) || '.' || ((i >> 8) & 255) || '.' || (i & 255),
              '198.18.' || ((i / 31) >> 8) || '.' || ((i / 31) & 255),
              1024 + (i % 31) * 2048, 1024 + (i % 31) * 2048 + 2047
         FROM generate_series(0, $1::int - 1) i`,
      [options.nics],
    );
    const store = new PostgresEventStore(ds);
    const slots = new ProjectionRunner(ds, store, new NatSlotsProjection());
    let clock = 0;
    const reconciler = new DataplaneReconciler(ds, store, backend, ALL_NODES, {
      desiredVersion: () => `${slots.checkpoint.transactionId}/${slots.checkpoint.globalPosition}`,
      verifyIntervalMs: options.verifyIntervalMs,
      now: () => Date.now() + clock,
    });
    // What DataplaneService does on every pass.
    const pass = async (reason: string) => {
      await slots.catchUp();
      return reconciler.reconcile(reason);
    };
    const first = await pass('start');
    if (first.rules !== options.nics || first.rejected > 0) {
      throw new Error(`steady state: ${first.rules} rules, ${first.rejected} rejected`);
    }
    // The pass after a full sync reads the table back once (the watch was restarted).
    await pass('interval');
    await pass('interval');
    const cpu0 = cpuMs();
    const start = Date.now();
    let passes = 0;
    while (Date.now() - start < options.seconds * 1000) {
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
      const result = await pass('interval');
      if (result.applied || result.drift) throw new Error('steady state: a pass changed something');
      passes += 1;
    }
    const seconds = (Date.now() - start) / 1000;
    const percentOfCore = (cpuMs() - cpu0) / 10 / seconds;
    // One verification pass, as the schedule makes every verifyIntervalMs.
    clock += options.verifyIntervalMs;
    const cpu1 = cpuMs();
    const verified = await pass('interval');
    if (verified.applied || verified.drift) throw new Error('steady state: verification drifted');
    const verifyPassMs = cpuMs() - cpu1;
    return {
      nics: options.nics,
      intervalMs: options.intervalMs,
      seconds,
      passes,
      percentOfCore,
      verifyPassMs,
      verifyIntervalMs: options.verifyIntervalMs,
      percentWithVerify: percentOfCore + (verifyPassMs / options.verifyIntervalMs) * 100,
    };
  } finally {
    await backend.remove().catch(() => undefined);
    await backend.close();
    await ds.destroy();
    await dropTestDatabase(url);
  }
}
