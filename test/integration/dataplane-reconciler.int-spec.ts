import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { openDatabase, PostgresEventStore, ProjectionRunner } from '@natgw/event-store';
import { NAT_SLOTS_PROJECTION_NAME, NatSlotsProjection } from '@natgw/projections';
import { createTestDatabase, dropTestDatabase, eventually } from '@natgw/testing';
import { MemoryBackend } from '../../apps/dataplane-executor/src/backends';
import {
  DataplaneReconciler,
  dataplaneStreamId,
} from '../../apps/dataplane-executor/src/reconciler/dataplane-reconciler';
import { ReconcileLoop } from '../../apps/dataplane-executor/src/reconciler/reconcile-loop';
import { NATGW_SCHEMA } from '@natgw/schema';

jest.setTimeout(60_000);

describe('DataplaneReconciler (memory backend, real PostgreSQL)', () => {
  let url: string;
  let ds: DataSource;
  let store: PostgresEventStore;
  let slots: ProjectionRunner;
  const gatewayUid = randomUUID();
  let version = 0;

  async function assign(nicUid: string, privateIp: string, port: number, nodeName?: string) {
    version++;
    await store.append(`allocation:${gatewayUid}`, [
      {
        type: 'NATSlotAssigned',
        data: {
          gatewayUid,
          nicUid,
          nicName: `nic-${port}`,
          namespace: 'default',
          privateIp,
          ip: '203.0.113.1',
          port,
          endPort: port + 63,
          ...(nodeName ? { nodeName } : {}),
        },
      },
    ]);
    await eventually(
      async () =>
        (await slots.catchUp()) >= 0 &&
        (await ds.query(`SELECT 1 FROM natgw_nat_slots WHERE nic_uid = $1`, [nicUid])).length === 1,
    );
  }

  async function eventTypes(node = '*'): Promise<string[]> {
    return (await store.readStream(dataplaneStreamId(node))).map((e) => e.type);
  }

  beforeAll(async () => {
    url = await createTestDatabase('dataplane_reconciler');
    ds = await openDatabase({ url, ...NATGW_SCHEMA });
    store = new PostgresEventStore(ds);
    slots = new ProjectionRunner(ds, store, new NatSlotsProjection());
    expect(slots.projection.name).toBe(NAT_SLOTS_PROJECTION_NAME);
    await assign(randomUUID(), '10.0.0.1', 1024, 'node-a');
    await assign(randomUUID(), '10.0.0.2', 1088, 'node-b');
  });

  afterAll(async () => {
    await ds?.destroy();
    await dropTestDatabase(url);
  });

  it('programs an empty dataplane at start, recording it as drift repaired and the versions programmed', async () => {
    const backend = new MemoryBackend();
    const reconciler = new DataplaneReconciler(ds, store, backend, '*');
    expect(await reconciler.reconcile('start')).toEqual({
      drift: true,
      applied: true,
      rules: 2,
      rejected: 0,
    });
    expect((await backend.read()).map((r) => r.privateIp).sort()).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(await eventTypes()).toEqual(['DriftDetected', 'DriftRepaired', 'NATTableProgrammed']);
    const programmed = (await store.readStream(dataplaneStreamId('*')))[2];
    expect(programmed.data).toEqual({
      node: '*',
      gateways: { [gatewayUid]: version },
      rules: 2,
      rejected: [],
    });
    // Nothing changed: a second pass records nothing.
    expect(await reconciler.reconcile('interval')).toEqual({
      drift: false,
      applied: false,
      rules: 2,
      rejected: 0,
    });
    expect(await eventTypes()).toHaveLength(3);
  });

  it('programs only its own node, and repairs a rule removed or changed behind its back', async () => {
    const backend = new MemoryBackend();
    const reconciler = new DataplaneReconciler(ds, store, backend, 'node-a');
    await reconciler.reconcile('start');
    expect((await backend.read()).map((r) => r.privateIp)).toEqual(['10.0.0.1']);
    backend.tamper((rules) => rules.map((r) => ({ ...r, port: 5000, endPort: 5063 })));
    const result = await reconciler.reconcile('interval');
    expect(result).toEqual({ drift: true, applied: true, rules: 1, rejected: 0 });
    expect((await backend.read())[0]).toMatchObject({ port: 1024, endPort: 1087 });
    const drift = (await store.readStream(dataplaneStreamId('node-a')))
      .filter((e) => e.type === 'DriftDetected')
      .pop();
    expect(drift?.data).toMatchObject({
      node: 'node-a',
      reason: 'interval',
      missing: 0,
      extra: 0,
      changed: 1,
    });
  });

  it('retries a failing apply with backoff, records the failure once, and never throws out of the loop', async () => {
    const backend = new MemoryBackend();
    const reconciler = new DataplaneReconciler(ds, store, backend, 'node-b');
    await reconciler.reconcile('start');
    backend.failNextApplies(3, 'nft: Could not process rule: No such file or directory');
    await assign(randomUUID(), '10.0.0.3', 1152, 'node-b');
    const loop = new ReconcileLoop((reason) => reconciler.reconcile(reason), {
      intervalMs: 60_000,
      maxBackoffMs: 2_000,
    });
    loop.request('event');
    try {
      await eventually(async () => (await backend.read()).length === 2, {
        timeoutMs: 30_000,
        what: 'the apply to succeed after retries',
      });
    } finally {
      await loop.stop();
    }
    const failures = (await eventTypes('node-b')).filter((t) => t === 'DataplaneApplyFailed');
    expect(failures).toHaveLength(1);
    expect(backend.appliedCount).toBeGreaterThanOrEqual(2);
  });

  it('between verifications, reads neither side while the log and the dataplane are unchanged, and reads as soon as either may have changed', async () => {
    // A memory backend that can vouch for itself, as the nftables one does with its ruleset watch.
    class VouchingBackend extends MemoryBackend {
      untouched = true;
      reads = 0;
      override async read() {
        this.reads += 1;
        return super.read();
      }
      async unchangedSinceLastSync() {
        return this.untouched;
      }
    }
    const backend = new VouchingBackend();
    let version = 'v1';
    let clock = 0;
    const reconciler = new DataplaneReconciler(ds, store, backend, 'node-c', {
      desiredVersion: () => version,
      verifyIntervalMs: 60_000,
      now: () => clock,
    });
    await assign(randomUUID(), '10.0.0.4', 1216, 'node-c');
    await reconciler.reconcile('start');
    // The empty dataplane is drift: read, repaired, read again to confirm.
    expect(backend.reads).toBe(2);
    const appliedAtStart = backend.appliedCount;

    // Nothing changed: no read-back, no apply.
    clock += 10_000;
    expect(await reconciler.reconcile('interval')).toEqual({
      drift: false,
      applied: false,
      rules: 1,
      rejected: 0,
    });
    expect(backend.reads).toBe(2);

    // A new slot while the version says unchanged is not seen (the log's table is not read)...
    await assign(randomUUID(), '10.0.0.5', 1280, 'node-c');
    clock += 10_000;
    await reconciler.reconcile('interval');
    expect((await backend.read()).length).toBe(1);
    // ...and is, once the version moves: applied without a read-back.
    version = 'v2';
    const readsBefore = backend.reads;
    clock += 10_000;
    expect(await reconciler.reconcile('event')).toMatchObject({ applied: true, rules: 2 });
    expect(backend.reads).toBe(readsBefore);
    expect(backend.appliedCount).toBe(appliedAtStart + 1);

    // Tampering the backend cannot vouch for is read back and repaired at once.
    backend.tamper(() => []);
    backend.untouched = false;
    clock += 10_000;
    expect(await reconciler.reconcile('interval')).toMatchObject({ drift: true, applied: true });
    expect((await backend.read()).length).toBe(2);

    // Tampering it would vouch for (a watch that missed it) is found by the next verification.
    backend.untouched = true;
    backend.tamper(() => []);
    clock += 10_000;
    expect(await reconciler.reconcile('interval')).toMatchObject({ drift: false, applied: false });
    clock += 60_000;
    expect(await reconciler.reconcile('interval')).toMatchObject({ drift: true, applied: true });
    expect((await backend.read()).length).toBe(2);
  });
});
