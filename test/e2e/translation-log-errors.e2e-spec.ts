// Translation logs' Error records end to end (issue 17.5, ErrorsOnly): the whole system with the
// nftables backend and real packets. A NIC behind a gateway with 4 ports per NIC and
// spec.logging {enabled, filter: ErrorsOnly} opens 5 TCP connections to one destination held
// open by an "internet" namespace: the 5th is dropped (no free port), the executor's port-usage
// count sees the slot exhausted and publishes one Error record (NIC, private IP, public IP and
// slot, destination, time) on the gateway's translation-log subject; the 4 translations that
// succeeded give no record under ErrorsOnly.
import type { NatsConnection } from '@nats-io/nats-core';
import type { TranslationLogCloudEvent } from '@natgw/contracts';
import { connectNats } from '@natgw/messaging';
import { eventually } from '@natgw/testing';
import { http, manifests } from './support/natgw-system';
import { HeldConnectionsLab } from './support/held-connections-lab';

jest.setTimeout(240_000);

const HOLD_PORT = 8094;
const UDP_PORT = 8095;

describe('translation-log Error records (ErrorsOnly), with nftables and real packets', () => {
  let lab: HeldConnectionsLab;
  let nc: NatsConnection | undefined;
  const received: TranslationLogCloudEvent[] = [];
  const api = () => lab.api();

  beforeAll(async () => {
    lab = await HeldConnectionsLab.start('tlog_errors', { tcp: HOLD_PORT, udp: UDP_PORT });
    try {
      nc = await connectNats({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' });
      const sub = nc.subscribe(`${lab.system.nats.prefix}.translationlogs.>`);
      void (async () => {
        for await (const m of sub) received.push(m.json<TranslationLogCloudEvent>());
      })();
      const base = await api();
      const gateway = manifests.gateway('gw4', 'net', 4, 'IPv4');
      const created = await http('POST', `${base}/natgateways`, {
        ...gateway,
        spec: { ...gateway.spec, logging: { enabled: true, filter: 'ErrorsOnly' } },
      });
      // 503: recorded, the read model behind (a loaded machine); the object shows up anyway.
      expect([201, 503]).toContain(created.status);
      await eventually(
        async () => {
          const res = await http('GET', `${base}/networkinterfaces/vm1`);
          const status = (res.body.status ?? {}) as { conditions?: Array<Record<string, string>> };
          return (status.conditions ?? []).some(
            (c) => c.type === 'NATProgrammed' && c.status === 'True',
          );
        },
        { what: 'vm1 NATProgrammed', timeoutMs: 60_000 },
      );
    } catch (err) {
      await nc?.drain();
      await lab.destroy();
      throw err;
    }
  });

  afterAll(async () => {
    await nc?.drain();
    await lab?.destroy();
  });

  it('publishes one Error record when the slot runs out of ports, and no translation record', async () => {
    expect(await lab.hold(5)).toEqual({ opened: 4, failed: 1 });
    const errors = () => received.filter((e) => e.data.kind === 'Error');
    await eventually(async () => (errors().length > 0 ? true : undefined), {
      what: 'an Error record on NATS',
      timeoutMs: 30_000,
    });
    const res = await http('GET', `${await api()}/networkinterfaces/vm1`);
    const status = (res.body.status ?? {}) as {
      nat?: Array<{ ip: string; port: number; endPort: number }>;
    };
    const nat = (status.nat ?? [])[0] as { ip: string; port: number; endPort: number };
    const [record] = errors();
    expect(record).toMatchObject({
      specversion: '1.0',
      type: 'dev.ironcore.natgw.translationlog.translation.v1',
      subject: 'default/gw4',
      data: {
        kind: 'Error',
        event: 'Exhausted',
        gateway: { namespace: 'default', name: 'gw4' },
        networkInterface: { name: expect.any(String) },
        protocol: 'tcp',
        privateIP: lab.topo.vms[0].ipv4,
        publicIP: nat.ip,
        slot: { port: nat.port, endPort: nat.endPort },
        inUse: 4,
        destinationIP: lab.topo.internet.ipv4,
        destinationPort: HOLD_PORT,
      },
    });
    expect(Number.isNaN(Date.parse(record?.time ?? ''))).toBe(false);
    // One episode, one record; ErrorsOnly publishes no translation made.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(errors()).toHaveLength(1);
    expect(received.filter((e) => e.data.kind === 'Translation')).toEqual([]);
  });
});
