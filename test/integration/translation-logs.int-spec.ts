// Translation logs with real packets (issue 17.5): VMs open TCP and UDP flows through the gateway
// namespace that natgw's nftables backend programs; the executor's TranslationLogService reads
// conntrack's events there and publishes a CloudEvent per translation on NATS, which this test
// receives on the translation-log subject.
import { randomBytes } from 'node:crypto';
import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import {
  TRANSLATION_LOG_CLOUD_EVENT_TYPE,
  type TranslationLogCloudEvent,
  allTranslationLogsSubject,
} from '@natgw/contracts';
import type { NatRule } from '@natgw/domain';
import { connectNats } from '@natgw/messaging';
import { Metrics, NATGW_METRICS } from '@natgw/platform';
import type { NodeNatGateway } from '@natgw/projections';
import {
  type LabServer,
  type NatTopology,
  assertNetnsPrerequisites,
  buildNatTopology,
} from '@natgw/testing';
import { NftablesBackend } from '../../apps/dataplane-executor/src/backends';
import type { ExecutorConfig } from '../../apps/dataplane-executor/src/executor.config';
import type { DataplaneService } from '../../apps/dataplane-executor/src/reconciler/dataplane.service';
import { TranslationLogService } from '../../apps/dataplane-executor/src/translation-log/translation-log.service';

jest.setTimeout(120_000);

const TCP = 8280;
const UDP = 8281;
const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const GW_ALL = '11111111-1111-4111-8111-111111111111';
const GW_ERRORS = '22222222-2222-4222-8222-222222222222';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('translation logs with real packets', () => {
  let topo: NatTopology;
  let backend: NftablesBackend;
  let server4: LabServer;
  let server6: LabServer;
  let nc: NatsConnection;
  let sub: Subscription;
  const received: TranslationLogCloudEvent[] = [];
  const services: TranslationLogService[] = [];
  const prefix = `tlog${randomBytes(4).toString('hex')}`;
  let rules: NatRule[];
  const gateways: Record<string, NodeNatGateway> = {
    [GW_ALL]: { namespace: 'default', name: 'gw-all', logging: { enabled: true, filter: 'All' } },
    [GW_ERRORS]: {
      namespace: 'default',
      name: 'gw-errors',
      logging: { enabled: true, filter: 'ErrorsOnly' },
    },
  };

  function startService(rate: number, metrics: Metrics): TranslationLogService {
    const config = {
      NODE_NAME: 'node-a',
      DATAPLANE_BACKEND: 'nftables',
      DATAPLANE_NETNS: topo.gateway.ns,
      TRANSLATION_LOG_RATE_PER_SECOND: rate,
      NATS_SUBJECT_PREFIX: prefix,
    } as ExecutorConfig;
    const dataplane = {
      reconciler: { desiredGateways: gateways, programmedRules: rules },
    } as unknown as DataplaneService;
    const service = new TranslationLogService(config, dataplane, metrics, nc);
    services.push(service);
    service.onApplicationBootstrap();
    return service;
  }

  async function until(check: () => boolean, ms = 15_000): Promise<void> {
    const end = Date.now() + ms;
    while (!check()) {
      if (Date.now() > end) throw new Error('timed out');
      await sleep(100);
    }
  }

  const rule = (vm: 0 | 1, family: 'IPv4' | 'IPv6', gw: string, port: number): NatRule => ({
    nicUid: `nic-vm${vm + 1}`,
    nicName: `vm${vm + 1}-nic0`,
    gatewayUid: gw,
    family,
    privateIp: family === 'IPv4' ? (topo.vms[vm]?.ipv4 as string) : (topo.vms[vm]?.ipv6 as string),
    natIp: family === 'IPv4' ? '203.0.113.1' : '2001:db8:100::1',
    port,
    endPort: port + 1023,
  });

  async function flow(vm: 0 | 1, family: 'IPv4' | 'IPv6', proto: 'tcp' | 'udp', token: string) {
    const host = family === 'IPv4' ? topo.internet.ipv4 : topo.internet.ipv6;
    const result = await topo.lab.probe(
      topo.vms[vm]?.ns as string,
      proto,
      host,
      proto === 'tcp' ? TCP : UDP,
      token,
    );
    expect(result).toEqual({ ok: true });
    return (family === 'IPv4' ? server4 : server6).flow(token);
  }

  beforeAll(async () => {
    assertNetnsPrerequisites();
    topo = await buildNatTopology(2);
    try {
      backend = new NftablesBackend({ netns: topo.gateway.ns, uplinks: [topo.gateway.uplink] });
      server4 = await topo.lab.serve(topo.internet.ns, topo.internet.ipv4, TCP, UDP);
      server6 = await topo.lab.serve(topo.internet.ns, topo.internet.ipv6, TCP, UDP);
      rules = [
        rule(0, 'IPv4', GW_ALL, 1024),
        rule(1, 'IPv4', GW_ERRORS, 2048),
        rule(0, 'IPv6', GW_ALL, 1024),
      ];
      await backend.apply(rules);
      nc = await connectNats({ servers: NATS_URL, name: 'translation-logs-int-spec' });
      sub = nc.subscribe(allTranslationLogsSubject(prefix));
      void (async () => {
        for await (const m of sub) received.push(m.json<TranslationLogCloudEvent>());
      })();
    } catch (error) {
      await topo.lab.destroy();
      throw error;
    }
  });

  afterAll(async () => {
    for (const s of services) await s.beforeApplicationShutdown();
    await nc?.drain();
    await topo?.lab.destroy();
  });

  it('publishes a CloudEvent per TCP and UDP translation with the right public ip:port, and none for ErrorsOnly', async () => {
    const service = startService(1000, new Metrics({ service: 'test', defaultMetrics: false }));
    await until(() => service.reading);
    await sleep(1_000); // conntrack -E subscribes to the kernel's events
    // The ErrorsOnly gateway's NIC first: its successful flows must give nothing.
    await flow(1, 'IPv4', 'tcp', 'e1');
    await flow(1, 'IPv4', 'udp', 'e2');
    const seen = [
      { family: 'IPv4', proto: 'tcp', flow: await flow(0, 'IPv4', 'tcp', 'a1') },
      { family: 'IPv4', proto: 'udp', flow: await flow(0, 'IPv4', 'udp', 'a2') },
      { family: 'IPv6', proto: 'tcp', flow: await flow(0, 'IPv6', 'tcp', 'a3') },
      { family: 'IPv6', proto: 'udp', flow: await flow(0, 'IPv6', 'udp', 'a4') },
    ] as const;
    const opened = () => received.filter((e) => e.data.event === 'Opened');
    await until(() => opened().length >= 4);
    await sleep(500);
    for (const { family, proto, flow: f } of seen) {
      const vm = topo.vms[0] as { ipv4: string; ipv6: string };
      const match = opened().filter(
        (e) =>
          e.data.protocol === proto &&
          (e.data.kind === 'Translation' ? e.data.publicPort : undefined) === f?.port &&
          e.data.publicIP === f?.address,
      );
      expect({ family, proto, records: match.length }).toEqual({ family, proto, records: 1 });
      const event = match[0] as TranslationLogCloudEvent;
      expect(event).toMatchObject({
        specversion: '1.0',
        type: TRANSLATION_LOG_CLOUD_EVENT_TYPE,
        source: '/natgw/dataplane-executor/node-a',
        subject: 'default/gw-all',
        datacontenttype: 'application/json',
      });
      expect(event.data).toMatchObject({
        kind: 'Translation',
        node: 'node-a',
        gateway: { uid: GW_ALL, namespace: 'default', name: 'gw-all' },
        networkInterface: { uid: 'nic-vm1', name: 'vm1-nic0' },
        privateIP: family === 'IPv4' ? vm.ipv4 : vm.ipv6,
        destinationIP: family === 'IPv4' ? topo.internet.ipv4 : topo.internet.ipv6,
        destinationPort: proto === 'tcp' ? TCP : UDP,
      });
      expect(
        event.data.kind === 'Translation' ? event.data.publicPort : undefined,
      ).toBeGreaterThanOrEqual(1024);
      expect(
        event.data.kind === 'Translation' ? event.data.publicPort : undefined,
      ).toBeLessThanOrEqual(2047);
      expect(Number.isNaN(Date.parse(event.time))).toBe(false);
    }
    expect(received.filter((e) => e.data.gateway.uid === GW_ERRORS)).toEqual([]);
    expect(received.every((e) => e.data.gateway.uid === GW_ALL)).toBe(true);
    await service.beforeApplicationShutdown();
  });

  it('drops what exceeds the per-gateway rate and counts it', async () => {
    received.length = 0;
    const metrics = new Metrics({ service: 'test', defaultMetrics: false });
    const service = startService(2, metrics);
    await until(() => service.reading);
    await sleep(1_000);
    // Ten flows at once: their records arrive within far less than a second.
    await Promise.all(Array.from({ length: 10 }, (_, i) => flow(0, 'IPv4', 'udp', `r${i}`)));
    await until(() => service.published + service.dropped >= 10);
    await sleep(300);
    // 2 a second, a burst of 2: far fewer than the 10 flows' records get through.
    expect(service.dropped).toBeGreaterThanOrEqual(3);
    expect(service.published + service.dropped).toBeGreaterThanOrEqual(10);
    expect(received.length).toBe(service.published);
    const dropped = await metrics.counter(NATGW_METRICS.translationLogsDropped).get();
    const counted = dropped.values.find(
      (v) => v.labels.gateway === 'gw-all' && v.labels.reason === 'rate_limit',
    );
    expect(counted?.value).toBe(service.dropped);
    await service.beforeApplicationShutdown();
    expect(service.reading).toBe(false);
  });

  it('reads conntrack only while a gateway on the node logs', async () => {
    const service = startService(1000, new Metrics({ service: 'test', defaultMetrics: false }));
    await until(() => service.reading);
    for (const g of Object.values(gateways)) g.logging = { enabled: false, filter: 'All' };
    service.sync();
    await until(() => !service.reading);
    received.length = 0;
    await flow(0, 'IPv4', 'udp', 'off1');
    await sleep(1_000);
    expect(received).toEqual([]);
    await service.beforeApplicationShutdown();
  });
});
