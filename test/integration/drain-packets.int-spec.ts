// Drain with real packets (issue 17.1): the allocation comes from the real planner and decider,
// the node's rules from the NAT table as the executor builds them (retiring slots make no rule),
// the nftables backend programs a gateway namespace, and at the deadline the executor's
// ConntrackFlusher deletes the retiring slot's connections. Checked with a long-lived TCP
// connection, new connections, and a packet counter in the "internet" namespace.
import {
  type AllocationEvent,
  type AllocationState,
  decideAllocation,
  type DrainRequest,
  foldAllocation,
  initialAllocationState,
  natRulesForNode,
  natTableOf,
  planAllocation,
} from '@natgw/domain';
import {
  type LabServer,
  type LongLivedFlow,
  type NatTopology,
  assertNetnsPrerequisites,
  buildNatTopology,
  countPacketsFrom,
  openLongLivedFlow,
  serveWho,
} from '@natgw/testing';
import { NftablesBackend } from '../../apps/dataplane-executor/src/backends';
import { ConntrackFlusher } from '../../apps/dataplane-executor/src/drain/conntrack-flush';

jest.setTimeout(90_000);

const DRAINED = '203.0.113.1';
const NEXT = '203.0.113.2';
const LONG_PORT = 9000;
const TCP = 8080;
const UDP = 8081;
const T0 = Date.parse('2026-12-07T12:00:00Z');

describe('drain with real packets (nftables, conntrack)', () => {
  let topo: NatTopology;
  let backend: NftablesBackend;
  let flusher: ConntrackFlusher;
  let server: LabServer;
  let state: AllocationState = initialAllocationState();
  let now = T0;
  let drainIPs: DrainRequest[] = [];
  let client: LongLivedFlow;
  let packetsFrom: (ip: string) => Promise<number>;
  let tokens = 0;

  /** One reconcile of the allocator for the single VM's NIC, then the node's apply. */
  async function reconcile(): Promise<AllocationEvent[]> {
    const vm = topo.vms[0];
    const plan = planAllocation({
      gateway: { uid: 'gw', ipFamily: 'IPv4', portsPerNetworkInterface: 1024 },
      nics: [
        {
          uid: 'nic-vm1',
          namespace: 'default',
          name: 'vm1-nic0',
          privateIp: vm?.ipv4 as string,
          nodeName: 'node-a',
          createdAt: '2026-12-07T11:00:00Z',
        },
      ],
      current: state,
      bounds: { minPublicIPs: 1, maxPublicIPs: 1 },
      freeIps: [DRAINED, NEXT].filter((ip) => !state.ips.includes(ip)),
      drainIPs,
      now,
    });
    const events = decideAllocation({ type: 'ApplyAllocationPlan', plan }, state);
    state = foldAllocation(state, events);
    await backend.apply(natRulesForNode('gw', natTableOf(state), 'node-a'));
    for (const event of events)
      if (event.type === 'NATRetiringSlotReleased') await flusher.flush(event.data);
    return events;
  }

  const answers = () => client.answers;

  async function newConnectionLeavesAs(): Promise<string | undefined> {
    const token = `t${(tokens += 1)}`;
    const result = await topo.lab.probe(
      topo.vms[0]?.ns as string,
      'tcp',
      topo.internet.ipv4,
      TCP,
      token,
    );
    expect(result.ok).toBe(true);
    return server.flow(token)?.address;
  }

  beforeAll(async () => {
    assertNetnsPrerequisites();
    topo = await buildNatTopology(1);
    try {
      backend = new NftablesBackend({ netns: topo.gateway.ns, uplinks: [topo.gateway.uplink] });
      flusher = new ConntrackFlusher(topo.gateway.ns);
      server = await topo.lab.serve(topo.internet.ns, topo.internet.ipv4, TCP, UDP);
      await serveWho(topo.lab, topo.internet.ns, topo.internet.ipv4, LONG_PORT);
      packetsFrom = await countPacketsFrom(topo.lab, topo.internet.ns, [DRAINED, NEXT]);
    } catch (error) {
      await topo.lab.destroy();
      throw error;
    }
  });

  afterAll(async () => {
    await topo?.lab.destroy();
  });

  it('keeps a long-lived connection on the drained IP until the deadline, new ones take the new slot, and nothing leaves as the drained IP afterwards', async () => {
    await reconcile();
    expect(state.ips).toEqual([DRAINED]);
    expect(await newConnectionLeavesAs()).toBe(DRAINED);

    client = await openLongLivedFlow(
      topo.lab,
      topo.vms[0]?.ns as string,
      topo.internet.ipv4,
      LONG_PORT,
    );
    expect(answers()[0]?.from).toMatch(new RegExp(`^${DRAINED.replace(/\./g, '\\.')}:`));
    const longLived = answers()[0]?.from;

    // Drain with a deadline: the slot retires, the NIC gets a slot on the next IP.
    drainIPs = [{ ip: DRAINED, deadlineSeconds: 350 }];
    const started = await reconcile();
    expect(started.map((e) => e.type)).toEqual([
      'NATIPDrainStarted',
      'NATSlotRetiring',
      'NATGatewayIPAssigned',
      'NATSlotAssigned',
    ]);
    expect(state.slots.get('nic-vm1')?.ip).toBe(NEXT);

    // The long-lived connection keeps its mapping (conntrack) while its slot retires...
    await client.waitForAnswers(answers().length + 3);
    expect(new Set(answers().map((a) => a.from))).toEqual(new Set([longLived]));
    // ...and a new connection from the same NIC leaves as the new slot.
    expect(await newConnectionLeavesAs()).toBe(NEXT);

    // The deadline: the retiring slot is released, its connections deleted, the IP given back.
    now = T0 + 350_000;
    const ended = await reconcile();
    expect(ended.map((e) => e.type)).toEqual(['NATRetiringSlotReleased', 'NATGatewayIPReleased']);
    const conntrack = await topo.lab.exec(topo.gateway.ns, 'conntrack', ['-L', '-q', DRAINED]);
    expect(conntrack.stdout.trim()).toBe('');

    // From now on nothing leaves as the drained IP: the long-lived client keeps writing, but
    // without its conntrack entry its packets are translated by the current rule (and the server,
    // which knows no such connection, refuses them); new connections take the new slot.
    const before = await packetsFrom(DRAINED);
    const answered = answers().length;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(await newConnectionLeavesAs()).toBe(NEXT);
    expect(await packetsFrom(DRAINED)).toBe(before);
    expect(answers().length).toBeLessThanOrEqual(answered + 1); // at most one answer in flight
    expect(await packetsFrom(NEXT)).toBeGreaterThan(0);
  });
});
