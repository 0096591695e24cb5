// docs/asyncapi.yaml against the code: it parses with @asyncapi/parser, it
// documents every event type the code can emit (with the subject and
// CloudEvents type the code uses) and nothing else, and real payloads validate
// against its schemas. Here the payloads come from the real deciders (pools,
// allocation, incl. PublicPrefixRemoved, which no service emits yet) and the
// real dataplane reconciler (drift, repair, apply failure, programmed), folded
// through the nat-slots projection on a real database. The e2e test
// (test/e2e/events-contract.e2e-spec.ts) validates what real processes publish.
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import {
  NewEvent,
  toCloudEvent,
  toTranslationLogCloudEvent,
  type TranslationLogRecord,
  translationLogSubject,
} from '@natgw/contracts';
import {
  AllocationState,
  decideAllocation,
  DrainRequest,
  decidePool,
  eligibleNicsForGateway,
  foldAllocation,
  foldPool,
  initialAllocationState,
  initialIpPoolState,
  IpPoolState,
  NatGatewayInput,
  NetworkInterfaceInput,
  NatSlot,
  planAllocation,
  PlanAllocationInput,
} from '@natgw/domain';
import { openDatabase, PostgresEventStore, rebuildProjection } from '@natgw/event-store';
import { ClaimStreams, NAT_PORT_USAGE_REPORTED, NatSlotsProjection } from '@natgw/projections';
import { createTestDatabase, dropTestDatabase, eventually } from '@natgw/testing';
import { MemoryBackend } from '../../apps/dataplane-executor/src/backends';
import { DataplaneReconciler } from '../../apps/dataplane-executor/src/reconciler/dataplane-reconciler';
import { portUsageReports } from '../../apps/dataplane-executor/src/usage/port-usage-report';
import { SlotIndex } from '../../apps/dataplane-executor/src/usage/slot-index';
import { parseConntrackLine } from '../../apps/dataplane-executor/src/conntrack';
import { translationRecord } from '../../apps/dataplane-executor/src/translation-log/translation-record';
import { exhaustionRecord } from '../../apps/dataplane-executor/src/translation-log/exhaustion-record';
import { UsageTracker } from '../../apps/dataplane-executor/src/usage/usage-tracker';
import {
  contractProblems,
  emittedEventTypes,
  EventContract,
  expectedWire,
  loadEventContract,
  loadMessageValidator,
} from './events-contract-support';
import { natGatewayCreated } from './event-fixtures';
import { NATGW_SCHEMA } from '@natgw/schema';

jest.setTimeout(120_000);

const GW = '55555555-5555-4555-8555-555555555555';
const GW2 = '55555555-5555-4555-8555-555555555556';

describe('the event contract (docs/asyncapi.yaml)', () => {
  let contract: EventContract;

  beforeAll(async () => {
    contract = await loadEventContract();
  });

  it('parses without errors', () => {
    expect(contract.errors).toEqual([]);
    expect(contract.events.size).toBeGreaterThan(0);
  });

  it('documents every event type the code emits, on the subject and CloudEvents type it uses', () => {
    const problems: string[] = [];
    for (const emitted of emittedEventTypes()) {
      const documented = contract.events.get(emitted.type);
      if (!documented) {
        problems.push(`${emitted.type} (${emitted.from}) is not documented`);
        continue;
      }
      const wire = expectedWire(emitted);
      if (documented.address !== wire.address)
        problems.push(
          `${emitted.type}: documented on ${documented.address}, published on ${wire.address}`,
        );
      if (documented.cloudEventType !== wire.cloudEventType)
        problems.push(
          `${emitted.type}: documented type ${documented.cloudEventType}, published ${wire.cloudEventType}`,
        );
    }
    expect(problems).toEqual([]);
  });

  it('documents no event type the code does not emit', () => {
    const emitted = new Set(emittedEventTypes().map((t) => t.type));
    expect([...contract.events.keys()].filter((t) => !emitted.has(t))).toEqual([]);
  });

  it('documents the translation-log subject and validates the CloudEvent the executor builds (issue 17.5)', async () => {
    const documented = await loadMessageValidator('TranslationLog');
    expect(documented?.address).toBe('natgw.translationlogs.{gatewayUid}');
    const rule = {
      nicUid: 'nic-1',
      nicName: 'vm1-nic0',
      gatewayUid: '11111111-1111-4111-8111-111111111111',
      family: 'IPv4' as const,
      privateIp: '10.0.0.2',
      natIp: '203.0.113.1',
      port: 1024,
      endPort: 2047,
      vni: 100,
    };
    const entry = parseConntrackLine(
      '[1765100000.123456]\t    [NEW] ipv4     2 tcp      6 120 SYN_SENT src=10.0.0.2 dst=198.51.100.2 sport=40000 dport=443 [UNREPLIED] src=198.51.100.2 dst=203.0.113.1 sport=443 dport=1500',
    );
    const record = translationRecord(
      entry as NonNullable<typeof entry>,
      new SlotIndex([rule]),
      {
        [rule.gatewayUid]: {
          namespace: 'default',
          name: 'gw',
          logging: { enabled: true, filter: 'All' },
        },
      },
      'node-1',
    );
    expect(record).toBeDefined();
    const event = JSON.parse(
      JSON.stringify(toTranslationLogCloudEvent(randomUUID(), record as TranslationLogRecord)),
    ) as unknown;
    const validate = documented?.validate;
    expect(validate?.(event)).toBe(true);
    expect(translationLogSubject('natgw', rule.gatewayUid)).toBe(
      `natgw.translationlogs.${rule.gatewayUid}`,
    );
    // Not vacuous: a record without its public port, or with an unknown kind, is refused.
    const broken = event as { data: Record<string, unknown> };
    expect(validate?.({ ...broken, data: { ...broken.data, publicPort: undefined } })).toBe(false);
    expect(validate?.({ ...broken, data: { ...broken.data, kind: 'Other' } })).toBe(false);
    // Error records (ErrorsOnly, All): an exhaustion episode as the executor builds it.
    const usage = {
      rule,
      size: 1024,
      connections: 1024,
      inUse: 1024,
      peak: 1024,
      exhausted: true,
      destination: { protocolNumber: 6, ip: '198.51.100.2', port: 443 },
    };
    const gateways = {
      [rule.gatewayUid]: {
        namespace: 'default',
        name: 'gw',
        logging: { enabled: true, filter: 'ErrorsOnly' as const },
      },
    };
    const error = exhaustionRecord(usage, gateways, 'node-1', Date.now());
    expect(error).toBeDefined();
    const errorEvent = JSON.parse(
      JSON.stringify(toTranslationLogCloudEvent(randomUUID(), error as TranslationLogRecord)),
    ) as { data: Record<string, unknown> };
    expect(validate?.(errorEvent)).toBe(true);
    // Not vacuous: an Error record without its slot, or a Translation record without ports.
    expect(validate?.({ ...errorEvent, data: { ...errorEvent.data, slot: undefined } })).toBe(
      false,
    );
    expect(validate?.({ ...errorEvent, data: { ...errorEvent.data, kind: 'Translation' } })).toBe(
      false,
    );
  });

  it('documents the inbound request subjects', () => {
    expect(contract.addresses).toEqual(
      expect.arrayContaining([
        'natgw.inbound.networkinterfaces.upsert',
        'natgw.inbound.networkinterfaces.delete',
      ]),
    );
  });

  it('rejects a payload that breaks the schema (the validators are not vacuous)', () => {
    const created = contract.events.get('NATGatewayCreated');
    const ok = {
      specversion: '1.0',
      id: '0b9a3c1e-3f7d-4f55-9d7a-1f2a3b4c5d6e',
      source: '/natgw/api-gateway',
      type: 'dev.ironcore.natgw.natgateway.created.v1',
      subject: 'default/gw',
      time: '2026-11-26T10:42:00.000Z',
      datacontenttype: 'application/json',
      natgwtype: 'NATGatewayCreated',
      natgwstream: 'natgateway:default/gw',
      natgwversion: 1,
      natgwposition: '1',
      natgwtxid: '800',
      data: natGatewayCreated(GW, 'gw').data,
    };
    expect(created?.validate(ok)).toBe(true);
    const broken = (patch: (ce: typeof ok) => unknown) =>
      created?.validate(patch(structuredClone(ok)));
    expect(
      broken((ce) => ({
        ...ce,
        data: { ...ce.data, spec: { ...ce.data.spec, ipFamily: 'IPv5' } },
      })),
    ).toBe(false);
    expect(broken((ce) => ({ ...ce, data: { ...ce.data, surprise: 1 } }))).toBe(false);
    expect(broken((ce) => ({ ...ce, type: 'dev.ironcore.natgw.natgateway.updated.v1' }))).toBe(
      false,
    );
    expect(broken(({ natgwposition: _dropped, ...ce }) => ce)).toBe(false);
  });

  describe('payloads of the real deciders and the dataplane reconciler', () => {
    let url: string;
    let ds: DataSource;
    let store: PostgresEventStore;

    beforeAll(async () => {
      url = await createTestDatabase('events-contract');
      ds = await openDatabase({ url, ...NATGW_SCHEMA });
      store = new PostgresEventStore(ds);
    });

    afterAll(async () => {
      await ds?.destroy();
      if (url) await dropTestDatabase(url);
    });

    it('validate against the documented schemas', async () => {
      // readAll shows a commit only once every older transaction of the cluster ended
      // (other test files run beside this one): wait until everything is visible.
      const allVisible = async () => {
        const [{ n }] = await ds.query<Array<{ n: number }>>(
          'SELECT count(*)::int AS n FROM natgw_events',
        );
        return eventually(
          async () => {
            const { events } = await store.readAll({ limit: 10_000 });
            return events.length === n ? events : undefined;
          },
          { what: `all ${n} events visible to readAll` },
        );
      };
      const meta = { source: '/natgw/allocator', correlationId: 'contract-test' };
      const append = (stream: string, events: Array<{ type: string; data: unknown }>) =>
        events.length === 0
          ? Promise.resolve()
          : store.append(
              stream,
              events.map((e): NewEvent => ({ ...e, metadata: meta })),
            );

      // Pool: add two prefixes, claim for the gateway.
      let pool: IpPoolState = initialIpPoolState();
      const poolCommand = async (command: Parameters<typeof decidePool>[0]) => {
        const events = decidePool(command, pool);
        pool = foldPool(pool, events);
        await append('ippool:default', events);
      };
      await poolCommand({ type: 'AddPrefix', prefix: '203.0.113.0/30' });
      await poolCommand({ type: 'AddPrefix', prefix: '198.51.100.0/30' });

      // Allocation: two NICs on one node, then one more than fits (pending), then close.
      const gateway: NatGatewayInput = {
        uid: GW,
        namespace: 'default',
        name: 'gw',
        networkName: 'net',
        ipFamily: 'IPv4',
        portsPerNetworkInterface: 32768,
        createdAt: '2026-11-26T10:00:00Z',
      };
      const nic = (n: number): NetworkInterfaceInput => ({
        uid: `66666666-6666-4666-8666-00000000000${n}`,
        namespace: 'default',
        name: `nic-${n}`,
        networkName: 'net',
        ips: [`10.0.0.${n}`],
        nodeName: 'node-1',
        createdAt: `2026-11-26T10:0${n}:00Z`,
      });
      let allocation: AllocationState = initialAllocationState();
      const allocate = async (
        nics: NetworkInterfaceInput[],
        drain: {
          drainIPs: DrainRequest[];
          now: number;
          dynamicPorts?: PlanAllocationInput['dynamicPorts'];
        } = { drainIPs: [], now: Date.now() },
      ) => {
        const plan = planAllocation({
          ...drain,
          gateway,
          nics: eligibleNicsForGateway(gateway, [gateway], nics),
          current: allocation,
          bounds: { minPublicIPs: 1, maxPublicIPs: 1 },
          freeIps: [...pool.prefixes].length > 0 ? ['203.0.113.1', '203.0.113.2'] : [],
          existingNicUids: new Set(nics.map((n) => n.uid)),
          vni: 4242,
        });
        for (const ip of plan.claimIps)
          await poolCommand({ type: 'ClaimIp', gatewayUid: GW, family: 'IPv4', ip });
        const events = decideAllocation({ type: 'ApplyAllocationPlan', plan }, allocation);
        allocation = foldAllocation(allocation, events);
        await append(`allocation:${GW}`, events);
        for (const ip of plan.releaseIps)
          await poolCommand({ type: 'ReleaseIp', gatewayUid: GW, ip });
      };
      await allocate([nic(1)]);
      await allocate([nic(1), nic(2)]); // one slot per IP at 32768 ports, max 1 IP: pending
      await allocate([nic(2)]); // nic 1 leaves: nic 2 gets its slot, satisfied again
      // Drain (spec.drainIPs): nic 2's IP drains with deadline 0 (its slot retires, a new IP
      // and slot), ends at the next reconcile; then the new IP drains and the drain is cancelled.
      const first = allocation.ips[0] as string;
      const now = Date.now();
      await allocate([nic(2)], { drainIPs: [{ ip: first, deadlineSeconds: 0 }], now });
      await allocate([nic(2)], { drainIPs: [{ ip: first, deadlineSeconds: 0 }], now });
      const second = allocation.ips[0] as string;
      await allocate([nic(2)], { drainIPs: [{ ip: second, deadlineSeconds: 600 }], now });
      await allocate([nic(2)], { drainIPs: [], now });
      // Dynamic port allocation (issue 17.4): the 32768-port slot is a valid block of 16384..32768
      // and stays; idle for shrinkAfterSeconds it halves (PortsShrunk), then a full report grows
      // it back in place (PortsGrown).
      const config = {
        minPorts: 16384,
        maxPorts: 32768,
        growAtPercent: 80,
        shrinkAfterSeconds: 10,
      };
      const held = [...allocation.slots.values()][0] as NatSlot;
      await allocate([nic(2)], {
        drainIPs: [],
        now: now + 10_000,
        dynamicPorts: {
          config,
          usage: new Map([[held.nicUid, { ...held, peak: 0, idleSince: now }]]),
        },
      });
      const half = [...allocation.slots.values()][0] as NatSlot;
      expect(half.endPort - half.port + 1).toBe(16384);
      await allocate([nic(2)], {
        drainIPs: [],
        now: now + 10_000,
        dynamicPorts: { config, usage: new Map([[half.nicUid, { ...half, peak: 16384 }]]) },
      });
      expect([...allocation.slots.values()][0]).toMatchObject({
        port: held.port,
        endPort: held.endPort,
      });
      // nic 1 comes back into the lone 16384 block (33792..50175), which cannot grow in place,
      // and max 1 IP leaves it nowhere to move: its grant is refused, then withdrawn.
      await allocate([nic(1), nic(2)], {
        drainIPs: [],
        now: now + 10_000,
        dynamicPorts: { config },
      });
      const lone = allocation.slots.get(nic(1).uid) as NatSlot;
      expect([lone.port, lone.endPort]).toEqual([33792, 50175]);
      await allocate([nic(1), nic(2)], {
        drainIPs: [],
        now: now + 10_000,
        dynamicPorts: { config, usage: new Map([[lone.nicUid, { ...lone, peak: 16384 }]]) },
      });
      expect(allocation.refusedGrants).toEqual(new Map([[lone.nicUid, 32768]]));
      await allocate([nic(1), nic(2)], {
        drainIPs: [],
        now: now + 10_000,
        dynamicPorts: { config },
      });
      expect(allocation.refusedGrants).toBeUndefined();

      // A NIC of another gateway on node-1 with nic-2's private address: in shared mode the
      // node rejects one of the two rules (NATRulesRejected, NATTableProgrammed.rejected).
      await append(`allocation:${GW2}`, [
        {
          type: 'NATSlotAssigned',
          data: {
            gatewayUid: GW2,
            nicUid: '66666666-6666-4666-8666-000000000009',
            nicName: 'nic-9',
            namespace: 'default',
            privateIp: '10.0.0.2',
            nodeName: 'node-1',
            ip: '198.51.100.1',
            port: 1024,
            endPort: 33791,
          },
        },
      ]);

      // The dataplane of node-1: programmed, drift repaired, an apply failure.
      const projection = new NatSlotsProjection();
      await allVisible();
      await rebuildProjection(ds, store, projection);
      const backend = new MemoryBackend();
      const reconciler = new DataplaneReconciler(ds, store, backend, 'node-1');
      await reconciler.reconcile('start');
      backend.tamper((rules) =>
        rules.map((r) => ({ ...r, port: r.port + 1, endPort: r.endPort + 1 })),
      );
      await reconciler.reconcile('interval');
      const close = decideAllocation(
        { type: 'CloseAllocation', gatewayUid: GW, reason: 'GatewayDeleted' },
        allocation,
      );
      await append(`allocation:${GW}`, close);
      await poolCommand({ type: 'ReleaseGatewayIps', gatewayUid: GW });
      await poolCommand({ type: 'RemovePrefix', prefix: '198.51.100.0/30' });
      await allVisible();
      await rebuildProjection(ds, store, projection);
      backend.failNextApplies(1, 'nft: simulated failure');
      await expect(reconciler.reconcile('event')).rejects.toThrow('simulated failure');

      const events = await allVisible();
      const seen = new Set(events.map((e) => e.type));
      expect([...seen].sort()).toEqual(
        [
          'AllocationClosed',
          'AllocationPending',
          'AllocationSatisfied',
          'DataplaneApplyFailed',
          'DriftDetected',
          'DriftRepaired',
          'NATGatewayIPAssigned',
          'NATGatewayIPReleased',
          'NATIPDrainCancelled',
          'NATIPDrainStarted',
          'NATPortGrantsRefused',
          'NATRetiringSlotReleased',
          'NATRulesRejected',
          'NATSlotRetiring',
          'NATSlotAssigned',
          'NATSlotReleased',
          'NATTableProgrammed',
          'PublicIPClaimed',
          'PublicIPReleased',
          'PublicPrefixAdded',
          'PublicPrefixRemoved',
        ].sort(),
      );
      const problems = events.flatMap((e) => {
        const ce = toCloudEvent(e, '/natgw/test');
        return contractProblems(
          contract,
          {
            subject: `natgw.events.${e.streamId.split(':')[0]}.${e.type}`,
            msgId: ce.id,
            cloudEvent: JSON.parse(JSON.stringify(ce)) as Record<string, unknown>,
          },
          'natgw',
        );
      });
      expect(problems).toEqual([]);
    });

    it('validate for the claims of VNIs and private addresses, as the services build them', async () => {
      const claims = new ClaimStreams(store);
      const meta = { source: '/natgw/api-gateway', correlationId: 'contract-claims' };
      const network = { uid: GW, namespace: 'default', name: 'net', vni: 16_777_215 };
      const nic = {
        uid: '77777777-7777-4777-8777-777777777777',
        namespace: 'default',
        name: 'nic-1',
        network: 'net',
        ips: ['fd00::7'],
      };
      const appends = [
        claims.claimVni(network, 'no-stream', meta),
        claims.claimAddress(nic, 'fd00::7', 'no-stream', meta),
      ];
      await ds.transaction((m) => store.appendToStreams(appends, m));
      const releases = [
        ...(await claims.releaseAddresses(nic, ['fd00::7'], meta)),
        ...[await claims.releaseVni(network, meta)].flatMap((r) => (r ? [r] : [])),
      ];
      expect(releases).toHaveLength(2);
      await ds.transaction((m) => store.appendToStreams(releases, m));
      const events = [
        ...(await store.readStream('vni:16777215')),
        ...(await store.readStream('networkaddress:default/net/fd00::7')),
      ];
      expect(events.map((e) => e.type).sort()).toEqual([
        'NetworkInterfaceAddressClaimed',
        'NetworkInterfaceAddressReleased',
        'NetworkVNIClaimed',
        'NetworkVNIReleased',
      ]);
      const problems = events.flatMap((e) => {
        const ce = toCloudEvent(e, '/natgw/test');
        return contractProblems(
          contract,
          {
            subject: `natgw.events.${e.streamId.split(':')[0]}.${e.type}`,
            msgId: ce.id,
            cloudEvent: JSON.parse(JSON.stringify(ce)) as Record<string, unknown>,
          },
          'natgw',
        );
      });
      expect(problems).toEqual([]);
    });

    it('validate for NATPortUsageReported, as the executor builds it (port usage, issue 17.3)', async () => {
      const tracker = new UsageTracker(900_000);
      const rules = [
        {
          nicUid: '88888888-8888-4888-8888-000000000001',
          nicName: 'nic-u1',
          gatewayUid: GW,
          family: 'IPv4' as const,
          privateIp: '10.0.0.1',
          natIp: '203.0.113.1',
          port: 1024,
          endPort: 1027,
        },
      ];
      const index = new SlotIndex(rules);
      tracker.observe(0, index, {
        bySlot: new Map([[index.slots[0], { connections: 5, inUse: 4, exhausted: true }]]),
        entries: 5,
        foreign: 0,
      });
      const { reports } = portUsageReports(
        'node-1',
        new Date('2026-12-07T18:00:00Z'),
        900,
        tracker.changed(),
        () => ({ namespace: 'default', name: 'gw' }),
      );
      await store.append(
        'dataplane:node-1',
        reports.map((data) => ({
          type: NAT_PORT_USAGE_REPORTED,
          data,
          metadata: { source: '/natgw/dataplane-executor', correlationId: 'contract-usage' },
        })),
      );
      const events = (await store.readStream('dataplane:node-1')).filter(
        (e) => e.type === NAT_PORT_USAGE_REPORTED,
      );
      expect(events).toHaveLength(1);
      const problems = events.flatMap((e) => {
        const ce = toCloudEvent(e, '/natgw/test');
        return contractProblems(
          contract,
          {
            subject: `natgw.events.dataplane.${e.type}`,
            msgId: ce.id,
            cloudEvent: JSON.parse(JSON.stringify(ce)) as Record<string, unknown>,
          },
          'natgw',
        );
      });
      expect(problems).toEqual([]);
    });
  });
});
