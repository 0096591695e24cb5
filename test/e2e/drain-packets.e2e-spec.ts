// Drain end to end (issue 17.1): the whole system from dist/ (api-gateway, allocator, an
// nftables executor in a gateway namespace), driven only through the REST API, checked with
// real packets. A long-lived TCP connection keeps the drained IP until the deadline, a new
// connection from the same NIC leaves as its new slot, the allocator ends the drain by itself at
// the deadline, the executor deletes the retiring slot's connections, and nothing leaves as the
// drained IP afterwards.
import {
  assertNetnsPrerequisites,
  buildNatTopology,
  countPacketsFrom,
  eventually,
  LabServer,
  NatTopology,
  openLongLivedFlow,
  serveWho,
} from '@natgw/testing';
import { http, manifests, NatgwSystem } from './support/natgw-system';

jest.setTimeout(240_000);

const TCP = 8080;
const UDP = 8081;
const LONG_PORT = 9000;
const DEADLINE_SECONDS = 10;
const PREFIX_IPS = Array.from({ length: 16 }, (_, i) => `203.0.113.${i}`);

interface Nat {
  ipFamily: string;
  ip: string;
  port: number;
  endPort: number;
  retiringUntil?: string;
}

describe('drain end to end with nftables and real packets', () => {
  let topo: NatTopology;
  let system: NatgwSystem;
  let server: LabServer;
  let packetsFrom: (ip: string) => Promise<number>;
  let tokens = 0;
  const api = () => system.api('default');

  async function nats(): Promise<Nat[]> {
    const res = await http('GET', `${await api()}/networkinterfaces/vm1`);
    return ((res.body.status as { nat?: Nat[] } | undefined)?.nat ?? []) as Nat[];
  }

  async function newConnectionLeavesAs(): Promise<string | undefined> {
    const token = `drain${(tokens += 1)}`;
    const result = await topo.lab.probe(topo.vms[0].ns, 'tcp', topo.internet.ipv4, TCP, token);
    expect(result.ok).toBe(true);
    return server.flow(token)?.address;
  }

  beforeAll(async () => {
    assertNetnsPrerequisites();
    topo = await buildNatTopology(1);
    try {
      server = await topo.lab.serve(topo.internet.ns, topo.internet.ipv4, TCP, UDP);
      await serveWho(topo.lab, topo.internet.ns, topo.internet.ipv4, LONG_PORT);
      packetsFrom = await countPacketsFrom(topo.lab, topo.internet.ns, PREFIX_IPS);
      system = await NatgwSystem.create('drain_packets', {
        PUBLIC_PREFIXES: '203.0.113.0/28',
        RECONCILE_INTERVAL_SECONDS: '1',
      });
      await system.startOnGateway(topo.gateway);
      const base = await api();
      await http('POST', `${base}/networks`, manifests.network('net'));
      await http(
        'POST',
        `${base}/networkinterfaces`,
        manifests.nic('vm1', 'net', [topo.vms[0].ipv4]),
      );
      await http('POST', `${base}/natgateways`, manifests.gateway('gw', 'net', 1024, 'IPv4'));
    } catch (err) {
      await system?.destroy();
      await topo.lab.destroy();
      throw err;
    }
  });

  afterAll(async () => {
    await system?.destroy();
    await topo?.lab.destroy();
  });

  it('drains a public IP: old connections until the deadline, new ones on the new slot, nothing after', async () => {
    const [before] = await eventually(
      async () => {
        const slots = await nats();
        return slots.length === 1 ? slots : undefined;
      },
      { what: 'the NIC slot', timeoutMs: 60_000 },
    );
    const drained = before.ip;
    await eventually(async () => (await newConnectionLeavesAs()) === drained, {
      what: `new connections leaving as ${drained}`,
      timeoutMs: 30_000,
    });
    const client = await openLongLivedFlow(topo.lab, topo.vms[0].ns, topo.internet.ipv4, LONG_PORT);
    const longLived = client.answers[0]?.from;
    expect(longLived?.startsWith(`${drained}:`)).toBe(true);

    const patched = await http(
      'PATCH',
      `${await api()}/natgateways/gw`,
      { spec: { drainIPs: [{ ip: drained, deadlineSeconds: DEADLINE_SECONDS }] } },
      'application/merge-patch+json',
    );
    expect(patched.status).toBe(200);
    const drainStarted = Date.now();

    // The NIC moves: a new active slot, the old one retiring; new connections take the new one.
    const moved = await eventually(
      async () => {
        const slots = await nats();
        const active = slots.find((s) => s.retiringUntil === undefined);
        return active !== undefined && active.ip !== drained && slots.length === 2
          ? active
          : undefined;
      },
      { what: 'a new slot next to the retiring one', timeoutMs: 30_000 },
    );
    await eventually(async () => (await newConnectionLeavesAs()) === moved.ip, {
      what: `new connections leaving as ${moved.ip}`,
      timeoutMs: 30_000,
    });
    // The long-lived connection still leaves as the drained IP.
    const count = client.answers.length;
    await client.waitForAnswers(count + 3);
    expect(new Set(client.answers.map((a) => a.from))).toEqual(new Set([longLived]));
    expect(Date.now() - drainStarted).toBeLessThan(DEADLINE_SECONDS * 1000);

    // At the deadline: no other trigger, the allocator ends the drain and the executor deletes
    // the retiring slot's connections.
    const gw = await eventually(
      async () => {
        const res = await http('GET', `${await api()}/natgateways/gw`);
        const ips = (res.body.status as { ips: Array<{ ip: string; state: string }> }).ips;
        return ips.some((x) => x.ip === drained && x.state === 'Released') ? res.body : undefined;
      },
      { what: `${drained} Released`, timeoutMs: (DEADLINE_SECONDS + 60) * 1000 },
    );
    expect(Date.now() - drainStarted).toBeGreaterThanOrEqual(DEADLINE_SECONDS * 1000);
    expect((gw.spec as { drainIPs: unknown[] }).drainIPs).toHaveLength(1);
    await eventually(
      async () => {
        const listed = await topo.lab.exec(topo.gateway.ns, 'conntrack', ['-L', '-q', drained]);
        return listed.stdout.trim() === '';
      },
      { what: `no conntrack entry of ${drained}`, timeoutMs: 30_000 },
    );
    expect((await nats()).map((s) => s.ip)).toEqual([moved.ip]);
    const from = await packetsFrom(drained);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(await newConnectionLeavesAs()).toBe(moved.ip);
    expect(await packetsFrom(drained)).toBe(from);
  });
});
