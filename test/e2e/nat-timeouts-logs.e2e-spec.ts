// Issue 17.2 and 17.5 through the whole system: a NATGateway's spec.timeouts and spec.logging,
// set and changed only through the REST API, reach the nftables dataplane of the executor process
// (read back from the table and from conntrack with real packets) and its translation logs arrive
// as CloudEvents on NATS.
import type { NatsConnection } from '@nats-io/nats-core';
import type { TranslationLogCloudEvent } from '@natgw/contracts';
import { connectNats } from '@natgw/messaging';
import {
  assertNetnsPrerequisites,
  buildNatTopology,
  eventually,
  type LabServer,
  type NatTopology,
} from '@natgw/testing';
import { NftablesBackend } from '../../apps/dataplane-executor/src/backends';
import { conntrackEntries } from '../../apps/dataplane-executor/src/conntrack';
import { http, manifests, NatgwSystem } from './support/natgw-system';

jest.setTimeout(240_000);

const TCP = 8380;
const UDP = 8381;

describe('spec.timeouts and spec.logging end to end with nftables and real packets', () => {
  let topo: NatTopology;
  let system: NatgwSystem;
  let server4: LabServer;
  let gwTable: NftablesBackend;
  let nc: NatsConnection;
  const received: TranslationLogCloudEvent[] = [];
  const api = () => system.api('default');

  const profileOfVm1 = async () =>
    (await gwTable.read()).find((r) => r.privateIp === topo.vms[0]?.ipv4)?.timeouts;

  beforeAll(async () => {
    assertNetnsPrerequisites();
    topo = await buildNatTopology(1);
    try {
      server4 = await topo.lab.serve(topo.internet.ns, topo.internet.ipv4, TCP, UDP);
      gwTable = new NftablesBackend({ netns: topo.gateway.ns, uplinks: [topo.gateway.uplink] });
      system = await NatgwSystem.create('nat_timeouts_logs', {
        PUBLIC_PREFIXES: '203.0.113.0/28',
        RECONCILE_INTERVAL_SECONDS: '1',
      });
      nc = await connectNats({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' });
      const sub = nc.subscribe(`${system.nats.prefix}.translationlogs.>`);
      void (async () => {
        for await (const m of sub) received.push(m.json<TranslationLogCloudEvent>());
      })();
      await system.startOnGateway(topo.gateway);
      const base = await api();
      await http('POST', `${base}/networks`, manifests.network('net'));
      await http(
        'POST',
        `${base}/networkinterfaces`,
        manifests.nic('vm1', 'net', [topo.vms[0]?.ipv4 as string]),
      );
      const gw = manifests.gateway('gw4', 'net', 1024, 'IPv4');
      const created = await http('POST', `${base}/natgateways`, {
        ...gw,
        spec: {
          ...gw.spec,
          timeouts: { tcpEstablishedIdleSeconds: 777, udpIdleSeconds: 45 },
          logging: { enabled: true },
        },
      });
      // 503: recorded, but the read model was slower than the API waits (a loaded machine).
      expect([201, 503]).toContain(created.status);
    } catch (err) {
      await system?.destroy();
      await topo.lab.destroy();
      throw err;
    }
  });

  afterAll(async () => {
    await nc?.drain();
    await system?.destroy();
    await topo?.lab.destroy();
  });

  it('stores the defaults of the fields left out, and refuses a timeout out of bounds naming the field', async () => {
    await eventually(
      async () => (await http('GET', `${await api()}/natgateways/gw4`)).status === 200,
      {
        what: 'gw4 readable',
        timeoutMs: 30_000,
      },
    );
    const got = await http('GET', `${await api()}/natgateways/gw4`);
    expect((got.body.spec as Record<string, unknown>).timeouts).toEqual({
      tcpEstablishedIdleSeconds: 777,
      tcpTransitoryIdleSeconds: 30,
      tcpTimeWaitSeconds: 120,
      udpIdleSeconds: 45,
      icmpIdleSeconds: 30,
    });
    expect((got.body.spec as Record<string, unknown>).logging).toEqual({
      enabled: true,
      filter: 'All',
    });
    const bad = await http(
      'PATCH',
      `${await api()}/natgateways/gw4`,
      { spec: { timeouts: { udpIdleSeconds: 2 } } },
      'application/merge-patch+json',
    );
    expect(bad.status).toBe(422);
    expect(JSON.stringify(bad.body)).toContain(
      'spec.timeouts.udpIdleSeconds: Invalid value: 2: must be between 5 and 86400 seconds',
    );
  });

  it('programs the timeouts for the NIC, and a flow gets them; its translation arrives on NATS', async () => {
    await eventually(async () => (await profileOfVm1()) === '777-30-120-45', {
      what: 'the timeout profile in the table',
      timeoutMs: 60_000,
    });
    await new Promise((r) => setTimeout(r, 1_500)); // conntrack -E has started
    const result = await topo.lab.probe(
      topo.vms[0]?.ns as string,
      'udp',
      topo.internet.ipv4,
      UDP,
      'e2e-udp',
    );
    expect(result).toEqual({ ok: true });
    const seen = server4.flow('e2e-udp');
    const entries = [];
    for await (const e of conntrackEntries(['-L', '-p', 'udp', '-o', 'extended'], {
      netns: topo.gateway.ns,
    }))
      entries.push(e);
    const mine = entries.find((e) => e.original.dport === UDP);
    expect(mine?.timeout).toBeGreaterThan(30);
    expect(mine?.timeout).toBeLessThanOrEqual(45);
    await eventually(
      () =>
        received.some(
          (e) =>
            e.data.publicIP === seen?.address &&
            (e.data.kind === 'Translation' ? e.data.publicPort : undefined) === seen?.port &&
            e.data.protocol === 'udp',
        ),
      { what: 'the translation record on NATS', timeoutMs: 15_000 },
    );
    const record = received.find(
      (e) => (e.data.kind === 'Translation' ? e.data.publicPort : undefined) === seen?.port,
    );
    expect(record).toMatchObject({
      subject: 'default/gw4',
      data: { networkInterface: { name: 'vm1' }, privateIP: topo.vms[0]?.ipv4, event: 'Opened' },
    });
  });

  it('follows a change of spec.timeouts within the reconcile interval', async () => {
    const patched = await http(
      'PATCH',
      `${await api()}/natgateways/gw4`,
      { spec: { timeouts: { udpIdleSeconds: 60 } } },
      'application/merge-patch+json',
    );
    expect([200, 503]).toContain(patched.status);
    await eventually(async () => (await profileOfVm1()) === '777-30-120-60', {
      what: 'the changed profile in the table',
      timeoutMs: 30_000,
    });
  });
});
