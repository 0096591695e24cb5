// What the real services publish, checked against docs/asyncapi.yaml: a short
// scenario through REST, the IPPool and NATGatewayQuota admin APIs, inbound NATS requests and a
// poison message drives api-gateway, allocator and dataplane-executor (real
// processes from dist/); every CloudEvent in the stream must be of a
// documented type, on its documented subject, with Nats-Msg-Id = id, and
// validate against its schema. Drift and apply failures cannot be caused from
// outside a process; test/integration/events-contract.int-spec.ts covers them.
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { headers as natsHeaders, NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { eventually } from '@natgw/testing';
import { readWholeStream, StoredMessage } from '../integration/nats-stream-reader';
import {
  contractProblems,
  emittedEventTypes,
  EventContract,
  loadEventContract,
} from '../integration/events-contract-support';
import { http, manifests, NatgwSystem } from './support/natgw-system';

jest.setTimeout(300_000);

// Every type the code emits, except what only an executor's own dataplane can cause
// (the integration contract test records those from the real reconciler), and the port-usage
// report, which needs the nftables backend's conntrack table (the integration contract test
// validates the payload the executor builds; port-usage.e2e-spec.ts has it from real packets),
// and a refused DPA grant, which needs those usage reports too (the integration contract test
// appends one from the real planner's refusal and validates it).
const EXPECTED_TYPES = emittedEventTypes()
  .map((t) => t.type)
  .filter(
    (t) =>
      ![
        'DriftDetected',
        'DriftRepaired',
        'DataplaneApplyFailed',
        'NATRulesRejected',
        'NATPortUsageReported',
        'NATPortGrantsRefused',
      ].includes(t),
  );

describe('published events against docs/asyncapi.yaml (real processes)', () => {
  let system: NatgwSystem;
  let contract: EventContract;
  let nc: NatsConnection;
  let api: string;
  let pools: string;
  const garbageSubject = () => `${system.nats.prefix}.events.allocation.NotACloudEvent`;

  const stream = async (): Promise<StoredMessage[]> =>
    readWholeStream(await jetstreamManager(nc), jetstream(nc), system.nats.stream);
  const waitForTypes = (types: string[], what: string) =>
    eventually(
      async () => {
        const seen = new Set((await stream()).map((m) => String(m.cloudEvent?.natgwtype)));
        return types.every((t) => seen.has(t)) ? seen : undefined;
      },
      { what, timeoutMs: 90_000, intervalMs: 250 },
    );
  const ok = async (method: string, url: string, body?: unknown, type?: string) => {
    const r = await http(method, url, body, type);
    if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };

  beforeAll(async () => {
    contract = await loadEventContract();
    system = await NatgwSystem.create('events_contract');
    await system.start('api-gateway');
    await system.start('allocator');
    await system.start('dataplane-executor');
    api = await system.api('default');
    pools = `${await system.services[0].url}/apis/natgw.ironcore.dev/v1alpha1/ippools`;
    nc = await connect({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' });
  });

  afterAll(async () => {
    await nc?.close();
    await system?.destroy();
  });

  it('runs the scenario', async () => {
    // Resources, allocation and the dataplane.
    await ok('POST', `${api}/networks`, manifests.network('net'));
    await ok('POST', `${api}/natgateways`, manifests.gateway('gw', 'net', 64));
    await ok('POST', `${api}/natgatewayautoscalers`, manifests.autoscaler('gw-as', 'gw', 1, 2));
    await ok('POST', `${api}/networkinterfaces`, manifests.nic('nic-a', 'net', ['10.0.0.1']));
    await ok('POST', `${api}/networkinterfaces`, manifests.nic('nic-b', 'net', ['10.0.0.2']));
    await waitForTypes(['NATSlotAssigned', 'NATTableProgrammed'], 'slots and programming');
    await ok('PUT', `${api}/networks/net`, {
      ...manifests.network('net'),
      metadata: { name: 'net', labels: { tier: 'prod' } },
    });
    await ok('PUT', `${api}/networkinterfaces/nic-a`, {
      ...manifests.nic('nic-a', 'net', ['10.0.0.1']),
      metadata: { name: 'nic-a', labels: { app: 'web' } },
    });
    await ok(
      'PUT',
      `${api}/natgatewayautoscalers/gw-as`,
      manifests.autoscaler('gw-as', 'gw', 1, 1),
    );
    await ok('PUT', `${api}/natgateways/gw`, manifests.gateway('gw', 'net', 128));
    // A gateway that cannot serve every NIC (one 32768-port slot per IP, one IP): pending.
    await ok('POST', `${api}/networks`, manifests.network('net-2'));
    await ok('POST', `${api}/natgateways`, manifests.gateway('gw-2', 'net-2', 32768));
    await ok('POST', `${api}/natgatewayautoscalers`, manifests.autoscaler('gw-2-as', 'gw-2', 1, 1));
    await ok('POST', `${api}/networkinterfaces`, manifests.nic('nic-c', 'net-2', ['10.1.0.1']));
    await ok('POST', `${api}/networkinterfaces`, manifests.nic('nic-d', 'net-2', ['10.1.0.2']));
    await waitForTypes(['AllocationPending'], 'a pending allocation');
    await ok('DELETE', `${api}/networkinterfaces/nic-d`);
    await waitForTypes(['AllocationSatisfied', 'NetworkInterfaceDeleted'], 'satisfied again');
    // Drain (spec.drainIPs): gw-2's IP drains with deadline 0 and ends at once (the allocator's
    // timer); then its next IP starts to drain and the drain is cancelled.
    type GatewayIps = { ips?: Array<{ ip: string; state: string }> };
    const ipsOf = async () =>
      ((await ok('GET', `${api}/natgateways/gw-2`)).status as GatewayIps).ips ?? [];
    const drain = (drainIPs: Array<{ ip: string; deadlineSeconds: number }>) =>
      ok(
        'PATCH',
        `${api}/natgateways/gw-2`,
        { spec: { drainIPs } },
        'application/merge-patch+json',
      );
    const first = { ip: (await ipsOf())[0]?.ip as string, deadlineSeconds: 0 };
    await drain([first]);
    await waitForTypes(
      ['NATIPDrainStarted', 'NATSlotRetiring', 'NATRetiringSlotReleased'],
      'a drain',
    );
    const next = await eventually(
      async () => (await ipsOf()).find((x) => x.state === 'Active')?.ip,
      {
        what: "gw-2's next IP",
      },
    );
    await drain([first, { ip: next, deadlineSeconds: 600 }]);
    await eventually(
      async () => (await ipsOf()).some((x) => x.ip === next && x.state === 'Draining'),
      {
        what: `${next} draining`,
      },
    );
    await drain([first]);
    await waitForTypes(['NATIPDrainCancelled'], 'a cancelled drain');
    await ok('DELETE', `${api}/natgatewayautoscalers/gw-as`);
    await ok('DELETE', `${api}/natgateways/gw`);
    await ok('POST', `${api}/networks`, manifests.network('net-x'));
    await ok('DELETE', `${api}/networks/net-x`);

    // A pool that shrinks.
    await ok('POST', pools, {
      apiVersion: 'natgw.ironcore.dev/v1alpha1',
      kind: 'IPPool',
      metadata: { name: 'edge' },
      spec: { prefixes: ['192.0.2.0/32', '198.51.100.0/31'] },
    });
    await ok(
      'PATCH',
      `${pools}/edge`,
      { spec: { prefixes: ['192.0.2.0/32'] } },
      'application/merge-patch+json',
    );

    // A quota, set and deleted.
    const quotas = `${await system.services[0].url}/apis/natgw.ironcore.dev/v1alpha1/namespaces/default/natgatewayquotas`;
    await ok('POST', quotas, { metadata: { name: 'q' }, spec: { hard: { natgateways: 10 } } });
    await ok('DELETE', `${quotas}/q`);

    // Inbound NATS: one answered request, one failing without a reply subject.
    const subject = `${system.nats.prefix}.inbound.networkinterfaces.upsert`;
    const upsert = await nc.request(
      subject,
      JSON.stringify({ requestId: 'e2e-1', object: manifests.nic('nic-e', 'net', ['10.0.0.5']) }),
      { timeout: 20_000 },
    );
    expect(upsert.headers?.get('Natgw-Status-Code')).toBe('200');
    const h = natsHeaders();
    h.set('Nats-Msg-Id', 'e2e-rejected-1');
    nc.publish(subject, JSON.stringify({ object: manifests.nic('nic-f', 'net', ['nope']) }), {
      headers: h,
    });

    // A poison message where the executor (and the allocator) consume.
    await jetstream(nc).publish(garbageSubject(), 'this is not a CloudEvent');

    await waitForTypes(EXPECTED_TYPES, `every expected type; logs:\n${system.logs()}`);
  });

  it('publishes only documented, valid CloudEvents on their documented subjects', async () => {
    const messages = (await stream()).filter((m) => m.subject !== garbageSubject());
    expect(messages.length).toBeGreaterThan(EXPECTED_TYPES.length);
    const problems = messages.flatMap((m) => contractProblems(contract, m, system.nats.prefix));
    expect(problems).toEqual([]);
    // The envelope the issue asks for, on one example.
    const created = messages.find(
      (m) => m.cloudEvent?.natgwtype === 'NATGatewayCreated',
    )?.cloudEvent;
    expect(created).toMatchObject({
      specversion: '1.0',
      source: '/natgw/api-gateway',
      type: 'dev.ironcore.natgw.natgateway.created.v1',
      subject: 'default/gw',
      datacontenttype: 'application/json',
      natgwstream: 'natgateway:default/gw',
      natgwversion: 1,
    });
    expect(created?.correlationid).toEqual(expect.any(String));
    expect(created?.natgwposition).toMatch(/^[0-9]+$/);
    const slot = messages.find((m) => m.cloudEvent?.natgwtype === 'NATSlotAssigned')?.cloudEvent;
    expect(slot?.subject).toMatch(/^allocation\/[0-9a-f-]{36}$/);
    expect(slot?.source).toBe('/natgw/allocator');
  });
});
