import type { RecordedEvent } from '@natgw/contracts';
import { LOG_START } from '@natgw/event-store';
import { syntheticTenantHistory } from '@natgw/testing';
import { ResourceBatch, ResourceChange } from '../resource-batch';
import { ResourceProjection } from '../resource-projection';

// ResourceBatch.updateStatus hands status mutations a shallow copy of the stored status:
// a mutation that changed a value inside it in place (an array, a condition, an entry)
// would change the stored status too. Every recorded status is frozen here, deeply, so
// such a mutation throws (strict mode) while the log below is folded.

function deepFreeze(value: unknown): void {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
}

function recorded(
  events: Array<{ stream: string; type: string; data: Record<string, unknown> }>,
): RecordedEvent[] {
  const versions = new Map<string, number>();
  return events.map((e, i) => {
    const version = (versions.get(e.stream) ?? 0) + 1;
    versions.set(e.stream, version);
    return {
      id: String(i),
      streamId: e.stream,
      version,
      type: e.type,
      data: e.data,
      metadata: { source: 'test' } as RecordedEvent['metadata'],
      globalPosition: String(i + 1),
      transactionId: '1',
      recordedAt: new Date(Date.UTC(2026, 0, 1) + i * 1000),
    };
  });
}

describe('status mutations', () => {
  afterEach(() => jest.restoreAllMocks());

  it('never change the stored status in place (a shallow copy is all they get)', async () => {
    const record = ResourceBatch.prototype.record;
    let frozen = 0;
    jest.spyOn(ResourceBatch.prototype, 'record').mockImplementation(function (
      this: ResourceBatch,
      change: ResourceChange,
    ) {
      deepFreeze(change.object.status);
      frozen += 1;
      return record.call(this, change);
    });
    const history = [0, 1, 2].flatMap((c) =>
      syntheticTenantHistory(c, '2026-01-01T00:00:00Z', { nics: 6, updates: 2, deletes: 2 }),
    );
    // Tenant 0's gateway then drains its IP: a slot retires, a new IP takes it, the
    // allocation waits and is satisfied, the retiring slot and the IP are released.
    const gw = history.find((e) => e.type === 'NATGatewayCreated')!.data.uid as string;
    const ip = history.find((e) => e.type === 'NATGatewayIPAssigned')!.data.ip as string;
    const slot = history.find((e) => e.type === 'NATSlotAssigned')!.data;
    const allocation = (type: string, data: Record<string, unknown>) => ({
      stream: `allocation:${gw}`,
      type,
      data: { gatewayUid: gw, ...data },
    });
    const deadline = '2026-01-01T01:00:00Z';
    const events = recorded([
      ...history,
      allocation('NATIPDrainStarted', { ip, deadline, deadlineSeconds: 3600 }),
      allocation('NATSlotRetiring', { ...slot, deadline, reason: 'Drained' }),
      allocation('AllocationPending', {
        waiting: 1,
        reason: 'PublicIPPoolExhausted',
        missingIps: 1,
      }),
      allocation('NATGatewayIPAssigned', { ip: '11.200.0.1' }),
      allocation('NATSlotAssigned', { ...slot, ip: '11.200.0.1' }),
      allocation('AllocationSatisfied', {}),
      allocation('NATRetiringSlotReleased', { ...slot, reason: 'Drained' }),
      allocation('NATGatewayIPReleased', { ip, reason: 'Drained' }),
      allocation('AllocationClosed', { reason: 'GatewayDeleted' }),
    ]);
    const fold = new ResourceProjection().fold(undefined as never, { checkpoint: LOG_START });
    await fold.apply(events);
    expect(frozen).toBeGreaterThan(events.length / 2);
    const gateway = (
      fold.snapshot!().slice(1) as Array<
        Array<{ uid: string; object: { status: { usedSlots?: number } } }>
      >
    )
      .flat()
      .find((s) => s.uid === gw);
    expect(gateway?.object.status.usedSlots).toBe(0);
  });
});
