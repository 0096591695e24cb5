// Stream snapshots (issue 19.4): a fold that starts from a snapshot plus the events after it
// must give exactly the state of the fold from the first event, for any history (drains and
// retiring slots included). The oracle is the fold from scratch; states are compared with
// every Map turned into its entries in order (insertion order decides what the planner sees).
import fc from 'fast-check';
import type { RecordedEvent } from '@natgw/contracts';
import {
  AllocationEvent,
  AllocationState,
  compactableVersions,
  CompactableStream,
  natTablesAt,
  slotHolderAt,
  foldAllocation,
  foldPool,
  initialAllocationState,
  initialIpPoolState,
  IpPoolEvent,
  IpPoolState,
} from '@natgw/domain';
import type {
  PostgresEventStore,
  StoredStreamSnapshot,
  StreamSnapshotStore,
  StreamSnapshotWrite,
} from '@natgw/event-store';
import { POOL_SNAPSHOT_CODEC } from '../pools/pool-snapshot-codec';
import { ALLOCATION_SNAPSHOT_CODEC } from './allocation-snapshot-codec';
import { FoldedStreamCache } from './folded-stream';
import { SnapshotCodec } from './snapshot-codec';

/** A state with Maps as ordered entry lists and bigints as strings: what must survive. */
function ordered(value: unknown): unknown {
  if (value instanceof Map) return { map: [...value].map(([k, v]) => [ordered(k), ordered(v)]) };
  if (typeof value === 'bigint') return `${value}n`;
  if (Array.isArray(value)) return value.map(ordered);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, ordered(v)]));
  return value;
}

/** What jsonb does to a document: keys reordered (by length, then bytes), numbers kept. */
function throughJsonb(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(throughJsonb);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .sort(([a], [b]) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => [k, throughJsonb(v)]),
    );
  return JSON.parse(JSON.stringify(value)) as unknown;
}

// --- random histories ---------------------------------------------------------------------

const GW = 'gw-1';
const nicArb = fc.constantFrom('nic-a', 'nic-b', 'nic-c', 'nic-d');
const ipArb = fc.constantFrom('192.0.2.1', '192.0.2.2', '192.0.2.3', '2001:db8::1', '2001:db8::2');
const portArb = fc.constantFrom(1024, 2048, 33792);
const deadlineArb = fc
  .integer({ min: 0, max: 10_000 })
  .map((s) => new Date(Date.UTC(2026, 0, 1) + s * 1000).toISOString());
const slotArb = fc.record(
  {
    nicUid: nicArb,
    nicName: fc.constantFrom('vm-1', 'vm-2'),
    namespace: fc.constant('ns'),
    privateIp: fc.constantFrom('10.0.0.1', '10.0.0.2'),
    nodeName: fc.constantFrom('node-1', 'node-2'),
    vni: fc.integer({ min: 1, max: 16_777_215 }),
    ip: ipArb,
    port: portArb,
    endPort: fc.constant(2047),
  },
  { requiredKeys: ['nicUid', 'nicName', 'namespace', 'privateIp', 'ip', 'port', 'endPort'] },
);

const allocationEventArb: fc.Arbitrary<AllocationEvent> = fc.oneof(
  ipArb.map((ip) => ({ type: 'NATGatewayIPAssigned' as const, data: { gatewayUid: GW, ip } })),
  fc.record({ ip: ipArb, drained: fc.boolean() }).map(({ ip, drained }) => ({
    type: 'NATGatewayIPReleased' as const,
    data: { gatewayUid: GW, ip, ...(drained ? { reason: 'Drained' as const } : {}) },
  })),
  {
    weight: 3,
    arbitrary: slotArb.map((slot) => ({
      type: 'NATSlotAssigned' as const,
      data: { ...slot, gatewayUid: GW },
    })),
  },
  slotArb.map((slot) => ({
    type: 'NATSlotReleased' as const,
    data: { ...slot, gatewayUid: GW, reason: 'NetworkInterfaceDeleted' as const },
  })),
  fc
    .record({
      waiting: fc.nat(5),
      reason: fc.constantFrom(
        'PublicIPPoolExhausted' as const,
        'MaxPublicIPsReached' as const,
        'QuotaExceeded' as const,
      ),
      missingIps: fc.nat(3),
    })
    .map((p) => ({ type: 'AllocationPending' as const, data: { ...p, gatewayUid: GW } })),
  fc.constant({ type: 'AllocationSatisfied' as const, data: { gatewayUid: GW } }),
  {
    weight: 1,
    arbitrary: fc.constant({
      type: 'AllocationClosed' as const,
      data: { gatewayUid: GW, reason: 'GatewayDeleted' as const },
    }),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({ ip: ipArb, deadline: deadlineArb, deadlineSeconds: fc.nat(3600) })
      .map((d) => ({ type: 'NATIPDrainStarted' as const, data: { ...d, gatewayUid: GW } })),
  },
  ipArb.map((ip) => ({ type: 'NATIPDrainCancelled' as const, data: { gatewayUid: GW, ip } })),
  {
    weight: 2,
    arbitrary: fc.record({ slot: slotArb, deadline: deadlineArb }).map(({ slot, deadline }) => ({
      type: 'NATSlotRetiring' as const,
      data: { ...slot, gatewayUid: GW, deadline, reason: 'Drained' as const },
    })),
  },
  slotArb.map((slot) => ({
    type: 'NATRetiringSlotReleased' as const,
    data: { ...slot, gatewayUid: GW, reason: 'Drained' as const },
  })),
);

const POOL_PREFIXES = ['192.0.2.0/30', '198.51.100.0/31', '2001:db8::/126'];
const POOL_IPS = [
  '192.0.2.0',
  '192.0.2.1',
  '192.0.2.3',
  '198.51.100.1',
  '2001:db8::',
  '2001:db8::2',
];
const poolEventArb: fc.Arbitrary<IpPoolEvent> = fc.oneof(
  fc.constantFrom(...POOL_PREFIXES).map((prefix) => ({
    type: 'PublicPrefixAdded' as const,
    data: { prefix },
  })),
  {
    weight: 1,
    arbitrary: fc.constantFrom(...POOL_PREFIXES).map((prefix) => ({
      type: 'PublicPrefixRemoved' as const,
      data: { prefix },
    })),
  },
  {
    weight: 4,
    arbitrary: fc
      .record({ ip: fc.constantFrom(...POOL_IPS), gatewayUid: fc.constantFrom('gw-1', 'gw-2') })
      .map((data) => ({ type: 'PublicIPClaimed' as const, data })),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({ ip: fc.constantFrom(...POOL_IPS), gatewayUid: fc.constantFrom('gw-1', 'gw-2') })
      .map((data) => ({ type: 'PublicIPReleased' as const, data })),
  },
);

// --- an in-memory log and snapshot table ----------------------------------------------------

/**
 * One stream's log — of which the first `length` events are written so far, and whose
 * `pruned` versions are gone — and a snapshot table with the real table's rules.
 */
function memoryLog<E extends { type: string; data: unknown }>(history: E[]) {
  const all: RecordedEvent[] = history.map((e, i) => ({
    id: `00000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`,
    streamId: 's',
    version: i + 1,
    type: e.type,
    data: e.data,
    metadata: {},
    globalPosition: String(i + 1),
    transactionId: String(i + 1),
    recordedAt: new Date(0),
  }));
  const log = { length: all.length, pruned: new Set<number>() };
  const table = new Map<string, StoredStreamSnapshot>();
  const store = {
    readStream: async (_id: string, o: { fromVersion?: number }) =>
      all
        .slice(0, log.length)
        .filter((e) => !log.pruned.has(e.version) && e.version >= (o.fromVersion ?? 1)),
  } as unknown as PostgresEventStore;
  const snapshots = {
    read: async (id: string) => {
      const s = table.get(id);
      return s && { ...s, state: throughJsonb(s.state) };
    },
    // As the table: only for an event stored with that id, only upwards.
    write: async (w: StreamSnapshotWrite) => {
      const event = all.slice(0, log.length)[w.streamVersion - 1];
      if (event?.id !== w.lastEventId) return false;
      if ((table.get(w.streamId)?.streamVersion ?? 0) >= w.streamVersion) return false;
      table.set(w.streamId, {
        ...w,
        globalPosition: event.globalPosition,
        transactionId: event.transactionId,
        recordedAt: event.recordedAt,
        state: JSON.parse(JSON.stringify(w.state)) as unknown,
      });
      return true;
    },
  } as unknown as StreamSnapshotStore;
  /** What log:prune removes below the snapshot: the compactable events, never the last one. */
  const prune = (kind: CompactableStream, upTo: number) => {
    const run = all.filter((e) => !log.pruned.has(e.version) && e.version <= upTo);
    for (const v of compactableVersions(kind, run)) log.pruned.add(v);
  };
  return { store, snapshots, table, log, all, prune };
}

interface Kind<S, E> {
  name: CompactableStream;
  codec: SnapshotCodec<S>;
  initial: () => S;
  fold: (state: S, events: E[]) => S;
  events: fc.Arbitrary<E>;
}

const KINDS: Array<Kind<AllocationState, AllocationEvent> | Kind<IpPoolState, IpPoolEvent>> = [
  {
    name: 'allocation',
    codec: ALLOCATION_SNAPSHOT_CODEC,
    initial: initialAllocationState,
    fold: foldAllocation,
    events: allocationEventArb,
  },
  {
    name: 'ippool',
    codec: POOL_SNAPSHOT_CODEC,
    initial: initialIpPoolState,
    fold: foldPool,
    events: poolEventArb,
  },
];

describe.each(KINDS as Array<Kind<unknown, { type: string; data: unknown }>>)(
  '$name stream snapshots',
  (kind) => {
    const scratch = (events: Array<{ type: string; data: unknown }>) =>
      kind.fold(kind.initial(), events);

    it('snapshot at any version + the events after it = the fold from the first event', () => {
      fc.assert(
        fc.property(fc.array(kind.events, { maxLength: 80 }), fc.nat(), (history, cut) => {
          const at = cut % (history.length + 1);
          const stored = throughJsonb(kind.codec.encode(scratch(history.slice(0, at))));
          const resumed = kind.fold(kind.codec.decode(stored), history.slice(at));
          expect(ordered(resumed)).toEqual(ordered(scratch(history)));
        }),
        { numRuns: 300 },
      );
    });

    it('a cache with snapshots, after a prune below them, folds what a cache without them folds', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(kind.events, { minLength: 1, maxLength: 120 }),
          fc.integer({ min: 1, max: 20 }),
          fc.array(fc.integer({ min: 1, max: 120 }), { maxLength: 6 }),
          async (history, every, reads) => {
            const { store, snapshots, table, log, prune } = memoryLog(history);
            const settings = { store: snapshots, codec: kind.codec, every };
            const cache = () =>
              new FoldedStreamCache(store, kind.initial, kind.fold, undefined, settings);
            // Allocators that start while the stream grows: each folds its snapshot and the rest.
            for (const upTo of [...reads.sort((a, b) => a - b), history.length]) {
              log.length = Math.min(upTo, history.length);
              const started = cache();
              await started.load('s');
              await started.flushSnapshots();
            }
            const snapshotted = table.get('s')?.streamVersion ?? 0;
            if (history.length >= every) expect(snapshotted).toBeGreaterThan(0);
            const oracle = ordered(scratch(history));
            expect(ordered((await cache().load('s')).state)).toEqual(oracle);
            // log:prune below the snapshot (never the stream's last event): with the snapshot,
            // and with the snapshot deleted (the remaining events fold the same).
            prune(kind.name, Math.min(snapshotted, history.length - 1));
            const loaded = await cache().load('s');
            expect(loaded.version).toBe(history.length);
            expect(ordered(loaded.state)).toEqual(oracle);
            table.clear();
            expect(ordered((await cache().load('s')).state)).toEqual(oracle);
          },
        ),
        { numRuns: 150 },
      );
    });

    it('ignores a snapshot of another layout or that does not parse, and folds the events', async () => {
      const history = fc.sample(kind.events, { numRuns: 40, seed: 7 });
      const oracle = ordered(scratch(history));
      const bad = [
        { schemaVersion: kind.codec.schemaVersion + 1, state: kind.codec.encode(scratch(history)) },
        { schemaVersion: kind.codec.schemaVersion, state: { prefixes: 'x', slots: 3 } },
        { schemaVersion: kind.codec.schemaVersion, state: null },
        { schemaVersion: kind.codec.schemaVersion, state: [] },
      ];
      for (const { schemaVersion, state } of bad) {
        const { store, snapshots, table } = memoryLog(history);
        // A snapshot claiming a wrong state at the stream's head: trusted, it would win.
        table.set('s', {
          streamId: 's',
          schemaVersion,
          streamVersion: history.length,
          lastEventId: 'x',
          globalPosition: '1',
          transactionId: '1',
          recordedAt: new Date(0),
          state,
        });
        const warnings: string[] = [];
        const cache = new FoldedStreamCache(store, kind.initial, kind.fold, undefined, {
          store: snapshots,
          codec: kind.codec,
          every: 0,
          warn: (m) => warnings.push(m),
        });
        expect(ordered((await cache.load('s')).state)).toEqual(oracle);
        expect(warnings).toHaveLength(1);
        expect(warnings[0]).toMatch(/snapshot of s/);
      }
    });

    it('deleting the snapshots changes no fold, before and after a prune', async () => {
      const history = fc.sample(kind.events, { numRuns: 60, seed: 11 });
      const { store, snapshots, table, log, prune } = memoryLog(history);
      const settings = { store: snapshots, codec: kind.codec, every: 25 };
      const cache = () =>
        new FoldedStreamCache(store, kind.initial, kind.fold, undefined, settings);
      const oracle = ordered(scratch(history));
      const first = cache();
      await first.load('s');
      await first.flushSnapshots();
      expect(table.get('s')?.streamVersion).toBe(60);
      table.clear();
      const refolded = cache();
      expect(ordered((await refolded.load('s')).state)).toEqual(oracle);
      // ...which writes the snapshot again.
      await refolded.flushSnapshots();
      expect(table.get('s')?.streamVersion).toBe(60);
      prune(kind.name, 59);
      expect(ordered((await cache().load('s')).state)).toEqual(oracle);
      table.clear();
      expect(ordered((await cache().load('s')).state)).toEqual(oracle);
      expect(log.pruned.size).toBeLessThan(60);
    });
  },
);

describe('stream snapshot codecs refuse what they did not write', () => {
  it.each([
    [
      'a non-canonical prefix',
      POOL_SNAPSHOT_CODEC,
      { prefixes: ['192.0.2.1/30'], claims: [], scanFrom: [] },
    ],
    [
      'a scan start that is no number',
      POOL_SNAPSHOT_CODEC,
      { prefixes: [], claims: [], scanFrom: [['192.0.2.0/30', '1e3']] },
    ],
    [
      'a claim twice',
      POOL_SNAPSHOT_CODEC,
      {
        prefixes: [],
        claims: [
          ['192.0.2.1', 'a'],
          ['192.0.2.1', 'b'],
        ],
        scanFrom: [],
      },
    ],
    ['an unknown status', ALLOCATION_SNAPSHOT_CODEC, { status: 'gone', ips: [], slots: [] }],
    [
      'a slot without a port',
      ALLOCATION_SNAPSHOT_CODEC,
      {
        status: 'open',
        ips: [],
        slots: [
          [
            'n',
            {
              nicUid: 'n',
              nicName: 'v',
              namespace: 'ns',
              privateIp: '10.0.0.1',
              ip: '192.0.2.1',
              endPort: 3,
            },
          ],
        ],
      },
    ],
    [
      'a retiring slot of another reason',
      ALLOCATION_SNAPSHOT_CODEC,
      {
        status: 'open',
        ips: [],
        slots: [],
        retiring: [
          [
            'k',
            {
              nicUid: 'n',
              nicName: 'v',
              namespace: 'ns',
              privateIp: '10.0.0.1',
              ip: '192.0.2.1',
              port: 1,
              endPort: 3,
              deadline: 'x',
              reason: 'Other',
            },
          ],
        ],
      },
    ],
  ] as Array<[string, SnapshotCodec<unknown>, unknown]>)('%s', (_what, codec, state) => {
    expect(() => codec.decode(state)).toThrow(/snapshot state/);
  });
});

describe('log:prune of an allocation stream keeps the audit lookups exact inside the window', () => {
  const ips = ['192.0.2.1', '192.0.2.2', '192.0.2.3', '2001:db8::1', '2001:db8::2'];
  const ports = [1024, 2048, 2500, 33792, 34000];

  it('natlookup and nattable at every instant from the window start = on the whole stream', () => {
    let droppedAny = 0;
    fc.assert(
      fc.property(
        // A live gateway's stream (a closed one is pruned by another rule).
        fc.array(
          allocationEventArb.filter((e) => e.type !== 'AllocationClosed'),
          { minLength: 20, maxLength: 100 },
        ),
        fc.nat(),
        (history, cut) => {
          // Event i is recorded at second i; the window starts at second `start`.
          const timed = history.map((event, i) => ({ event, recordedAt: new Date(i * 1000) }));
          const start = cut % (history.length + 1);
          const run = history
            .map((e, i) => ({ version: i + 1, type: e.type, data: e.data }))
            .slice(0, Math.min(start, history.length - 1));
          const dropped = new Set(compactableVersions('allocation', run));
          droppedAny += dropped.size;
          const kept = timed.filter((_e, i) => !dropped.has(i + 1));
          for (let second = start; second <= history.length; second++) {
            const at = new Date(second * 1000);
            expect(ordered(natTablesAt(kept, at))).toEqual(ordered(natTablesAt(timed, at)));
            for (const ip of ips)
              for (const port of ports)
                expect(slotHolderAt(kept, { ip, port }, at)).toEqual(
                  slotHolderAt(timed, { ip, port }, at),
                );
          }
        },
      ),
      { numRuns: 100 },
    );
    // Not vacuous: the histories do have events to drop.
    expect(droppedAny).toBeGreaterThan(100);
  });
});
