// The nat-slots projection writes a batch's net change in a few statements (applyBatch):
// the same rows as applying its events one at a time, whatever the batch's split, with
// slots assigned, re-assigned, released, retiring and a gateway's allocation closed (and
// assigned again after the close) inside one batch.
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { RecordedEvent } from '@natgw/contracts';
import { openDatabase } from '@natgw/event-store';
import { NatSlotsProjection } from '@natgw/projections';
import { createTestDatabase, dropTestDatabase } from '@natgw/testing';
import { NATGW_SCHEMA } from '@natgw/schema';

jest.setTimeout(120_000);

const GATEWAYS = [randomUUID(), randomUUID(), randomUUID()];
const NICS = Array.from({ length: 6 }, () => randomUUID());

/** A deterministic pseudo-random sequence (a linear congruential generator). */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31;
  };
}

/** A varied allocation history of the three gateways, with each stream's versions in order. */
function history(seed: number, length: number): RecordedEvent[] {
  const next = random(seed);
  const versions = new Map<string, number>();
  const events: RecordedEvent[] = [];
  for (let i = 0; i < length; i++) {
    const gatewayUid = GATEWAYS[Math.floor(next() * GATEWAYS.length)];
    const nicUid = NICS[Math.floor(next() * NICS.length)];
    const slot = {
      gatewayUid,
      nicUid,
      nicName: `nic-${NICS.indexOf(nicUid)}`,
      namespace: 'ns',
      privateIp: `10.0.0.${NICS.indexOf(nicUid) + 2}`,
      nodeName: next() < 0.5 ? 'node-a' : 'node-b',
      ip: next() < 0.5 ? '198.18.0.1' : '2001:db8::1',
      port: 1024 + Math.floor(next() * 60) * 1024,
      endPort: 0,
      ...(next() < 0.5 ? { vni: 7 } : {}),
    };
    slot.endPort = slot.port + 1023;
    const r = next();
    const [type, data]: [string, unknown] =
      r < 0.45
        ? ['NATSlotAssigned', slot]
        : r < 0.6
          ? ['NATSlotReleased', { ...slot, reason: 'NetworkInterfaceDeleted' }]
          : r < 0.7
            ? ['NATSlotRetiring', { ...slot, deadline: '2026-01-01T00:00:00Z' }]
            : r < 0.8
              ? ['AllocationClosed', { gatewayUid, reason: 'GatewayDeleted' }]
              : r < 0.9
                ? ['NATGatewayIPAssigned', { gatewayUid, ip: '198.18.0.1' }]
                : ['AllocationSatisfied', { gatewayUid }];
    const version = (versions.get(gatewayUid) ?? 0) + 1;
    versions.set(gatewayUid, version);
    events.push({
      id: randomUUID(),
      streamId: `allocation:${gatewayUid}`,
      version,
      type,
      data,
      metadata: {},
      globalPosition: String(i + 1),
      transactionId: '1',
      recordedAt: new Date(0),
    } as RecordedEvent);
  }
  return events;
}

describe('NatSlotsProjection.applyBatch', () => {
  let url: string;
  let ds: DataSource;
  const projection = new NatSlotsProjection();

  beforeAll(async () => {
    url = await createTestDatabase('nat_slots_batch');
    ds = await openDatabase({ url, poolSize: 2, ...NATGW_SCHEMA });
  });

  afterAll(async () => {
    await ds?.destroy();
    await dropTestDatabase(url);
  });

  /** The read model after applying `events` in batches of `split(i)` events. */
  async function applied(events: RecordedEvent[], split: (i: number) => number) {
    return ds.transaction(async (manager) => {
      await projection.reset(manager);
      for (let i = 0, b = 0; i < events.length; b++) {
        const size = Math.max(1, split(b));
        await projection.applyBatch(events.slice(i, i + size), manager);
        i += size;
      }
      const slots = await manager.query(
        `SELECT gateway_uid::text, nic_uid::text, nic_name, namespace, node_name, family,
                private_ip, nat_ip, port, end_port, vni
           FROM natgw_nat_slots ORDER BY gateway_uid, nic_uid`,
      );
      const versions = await manager.query(
        `SELECT gateway_uid::text, version, closed FROM natgw_allocation_versions ORDER BY gateway_uid`,
      );
      return { slots, versions };
    });
  }

  it('leaves the rows that applying the events one at a time leaves, however they are split', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const events = history(seed, 200);
      const oneByOne = await applied(events, () => 1);
      expect(oneByOne.slots.length).toBeGreaterThan(0);
      expect(await applied(events, () => events.length)).toEqual(oneByOne);
      const sizes = random(seed * 31);
      expect(await applied(events, () => 1 + Math.floor(sizes() * 17))).toEqual(oneByOne);
    }
  });

  it('a close inside the batch drops what the batch assigned before it, not after it', async () => {
    const [gw] = GATEWAYS;
    const slot = (nicUid: string, port: number) => ({
      gatewayUid: gw,
      nicUid,
      nicName: 'n',
      namespace: 'ns',
      privateIp: '10.0.0.2',
      ip: '198.18.0.1',
      port,
      endPort: port + 1023,
    });
    const event = (version: number, type: string, data: unknown) =>
      ({
        id: randomUUID(),
        streamId: `allocation:${gw}`,
        version,
        type,
        data,
        metadata: {},
        globalPosition: String(version),
        transactionId: '1',
        recordedAt: new Date(0),
      }) as RecordedEvent;
    const before = [event(1, 'NATSlotAssigned', slot(NICS[0], 1024))];
    const batch = [
      event(2, 'NATSlotAssigned', slot(NICS[1], 2048)),
      event(3, 'NATSlotReleased', { ...slot(NICS[2], 3072), reason: 'NetworkInterfaceDeleted' }),
      event(4, 'AllocationClosed', { gatewayUid: gw, reason: 'GatewayDeleted' }),
      event(5, 'NATSlotAssigned', slot(NICS[3], 4096)),
    ];
    const result = await ds.transaction(async (manager) => {
      await projection.reset(manager);
      await projection.applyBatch(before, manager);
      await projection.applyBatch(batch, manager);
      return {
        slots: await manager.query(`SELECT nic_uid::text, port FROM natgw_nat_slots`),
        versions: await manager.query(`SELECT version, closed FROM natgw_allocation_versions`),
      };
    });
    expect(result.slots).toEqual([{ nic_uid: NICS[3], port: 4096 }]);
    expect(result.versions).toEqual([{ version: 5, closed: false }]);
  });
});
