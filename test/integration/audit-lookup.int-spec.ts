// Audit lookups over the log with a controlled clock: a gateway assigns a slot,
// moves it (portsPerNetworkInterface change), releases it and assigns the range
// again; the gateway is deleted and a new one of the same name takes the IP.
// natlookup, nattable?at and `natgw-cli replay` must answer for instants
// before, between and after those changes.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import { NewEvent } from '@natgw/contracts';
import type { AllocationEvent, NatSlot } from '@natgw/domain';
import { openDatabase, PostgresEventStore } from '@natgw/event-store';
import { AllocationHistoryReader } from '@natgw/projections';
import { createTestDatabase, dropTestDatabase } from '@natgw/testing';
import { ApiError } from '../../apps/api-gateway/src/http/api-error';
import { natGatewayCreated } from './event-fixtures';
import { GetNatTableAt } from '../../apps/api-gateway/src/audit/nat-table-at';
import { NatLookup } from '../../apps/api-gateway/src/audit/nat-lookup';
import { NATGW_SCHEMA } from '@natgw/schema';

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '..', '..');
const GW1 = '11111111-1111-4111-8111-111111111111';
const GW2 = '22222222-2222-4222-8222-222222222222';
const IP = '203.0.113.7';

const t = (minute: number, second = 0) => new Date(Date.UTC(2026, 10, 26, 10, minute, second));

function slot(nic: string, port: number, endPort: number): NatSlot {
  return {
    nicUid: `aaaaaaaa-0000-4000-8000-00000000000${nic.charCodeAt(0) - 96}`,
    nicName: `nic-${nic}`,
    namespace: 'default',
    privateIp: `10.0.0.${nic.charCodeAt(0) - 96}`,
    nodeName: 'node-1',
    ip: IP,
    port,
    endPort,
  };
}

const assigned = (gatewayUid: string, s: NatSlot): AllocationEvent => ({
  type: 'NATSlotAssigned',
  data: { gatewayUid, ...s },
});
const released = (
  gatewayUid: string,
  s: NatSlot,
  reason: 'PortsPerNetworkInterfaceChanged' | 'NetworkInterfaceDeleted' | 'GatewayDeleted',
): AllocationEvent => ({ type: 'NATSlotReleased', data: { gatewayUid, ...s, reason } });

describe('audit lookups over the log (controlled clock)', () => {
  let url: string;
  let ds: DataSource;
  let lookup: NatLookup;
  let tableAt: GetNatTableAt;
  let reader: AllocationHistoryReader;

  beforeAll(async () => {
    url = await createTestDatabase('audit-lookup');
    ds = await openDatabase({ url, ...NATGW_SCHEMA });
    let now = t(0);
    const store = new PostgresEventStore(ds, () => now);
    const record = async (when: Date, stream: string, events: NewEvent[]) => {
      now = when;
      await store.append(stream, events);
    };
    const gateway = 'natgateway:default/gw-a';
    await record(t(1), gateway, [natGatewayCreated(GW1, 'gw-a')]);
    await record(t(10), `allocation:${GW1}`, [
      { type: 'NATGatewayIPAssigned', data: { gatewayUid: GW1, ip: IP } },
      assigned(GW1, slot('a', 1024, 1087)),
    ]);
    // ppni 64 -> 128: every slot is recomputed (a moves, b gets the next range).
    await record(t(20), `allocation:${GW1}`, [
      released(GW1, slot('a', 1024, 1087), 'PortsPerNetworkInterfaceChanged'),
      assigned(GW1, slot('a', 1024, 1151)),
      assigned(GW1, slot('b', 1152, 1279)),
    ]);
    await record(t(30), `allocation:${GW1}`, [
      released(GW1, slot('a', 1024, 1151), 'NetworkInterfaceDeleted'),
    ]);
    await record(t(40), `allocation:${GW1}`, [assigned(GW1, slot('c', 1024, 1151))]);
    // The gateway is deleted; a new one of the same name gets the same IP.
    await record(t(49), gateway, [
      {
        type: 'NATGatewayDeletionRequested',
        data: { uid: GW1, deletionTimestamp: t(49).toISOString() },
      },
    ]);
    await record(t(50), `allocation:${GW1}`, [
      released(GW1, slot('b', 1152, 1279), 'GatewayDeleted'),
      released(GW1, slot('c', 1024, 1151), 'GatewayDeleted'),
      { type: 'NATGatewayIPReleased', data: { gatewayUid: GW1, ip: IP } },
      { type: 'AllocationClosed', data: { gatewayUid: GW1, reason: 'GatewayDeleted' } },
    ]);
    await record(t(50, 1), gateway, [{ type: 'NATGatewayDeleted', data: { uid: GW1 } }]);
    await record(t(55), gateway, [natGatewayCreated(GW2, 'gw-a')]);
    await record(t(56), `allocation:${GW2}`, [
      { type: 'NATGatewayIPAssigned', data: { gatewayUid: GW2, ip: IP } },
      assigned(GW2, slot('d', 1024, 1087)),
    ]);
    // Unrelated events after everything: never part of an earlier answer.
    await record(t(59), 'network:default/net', [
      { type: 'NetworkUpdated', data: { uid: 'x', generation: 2 } },
    ]);
    reader = new AllocationHistoryReader(ds);
    lookup = new NatLookup(reader);
    tableAt = new GetNatTableAt(reader);
  });

  afterAll(async () => {
    await ds?.destroy();
    if (url) await dropTestDatabase(url);
  });

  const who = async (port: number, minute: number, second = 0) => {
    const r = await lookup.execute({ ip: IP, port, at: t(minute, second) });
    return r.holder ? `${r.holder.networkInterface.name}@${r.holder.natGateway.uid}` : 'nobody';
  };

  it('answers nobody before the first assignment', async () => {
    const r = await lookup.execute({ ip: IP, port: 1030, at: t(5), protocol: 'tcp' });
    expect(r).toEqual({
      apiVersion: 'natgw.ironcore.dev/v1alpha1',
      kind: 'NATLookup',
      query: { ip: IP, port: 1030, at: t(5).toISOString(), protocol: 'tcp' },
      found: false,
      message: `nobody held ${IP} port 1030 at ${t(5).toISOString()}`,
    });
  });

  it('names the NIC, its node and the gateway while the slot is held', async () => {
    const r = await lookup.execute({ ip: IP, port: 1030, at: t(15) });
    expect(r.found).toBe(true);
    expect(r.holder).toEqual({
      networkInterface: {
        namespace: 'default',
        name: 'nic-a',
        uid: slot('a', 0, 0).nicUid,
        privateIP: '10.0.0.1',
        nodeName: 'node-1',
      },
      natGateway: { uid: GW1, namespace: 'default', name: 'gw-a' },
      slot: { ip: IP, port: 1024, endPort: 1087 },
      assignedAt: t(10).toISOString(),
    });
    expect(r.message).toContain(
      'NetworkInterface default/nic-a (10.0.0.1) via NATGateway default/gw-a',
    );
  });

  it('follows the slot through the move, the release and the re-assignment', async () => {
    expect(await who(1100, 15)).toBe('nobody');
    expect(await who(1100, 20)).toBe(`nic-a@${GW1}`);
    expect(await who(1200, 25)).toBe(`nic-b@${GW1}`);
    expect(await who(1030, 29, 59)).toBe(`nic-a@${GW1}`);
    expect(await who(1030, 30)).toBe('nobody');
    expect(await who(1030, 40)).toBe(`nic-c@${GW1}`);
    expect(await who(1030, 49, 30)).toBe(`nic-c@${GW1}`);
  });

  it('answers for the gateway that held the IP then, across a delete and a re-create', async () => {
    expect(await who(1030, 52)).toBe('nobody');
    expect(await who(1030, 57)).toBe(`nic-d@${GW2}`);
    expect(await who(1100, 57)).toBe('nobody');
  });

  it('accepts any spelling of an IPv6 address and finds nobody on other addresses', async () => {
    const r = await lookup.execute({ ip: '203.0.113.8', port: 1030, at: t(15) });
    expect(r.found).toBe(false);
    const v6 = await lookup.execute({ ip: '2001:0db8::0001', port: 1030, at: t(15) });
    expect(v6.query.ip).toBe('2001:db8::1');
    expect(v6.found).toBe(false);
  });

  it('gives the NAT table of the gateway incarnation that existed then', async () => {
    const sections = async (minute: number) =>
      (await tableAt.execute('default', 'gw-a', t(minute))).ips.map((i) => [
        i.ip,
        i.sections.map((s) => `${s.targetRef.name}:${s.port}-${s.endPort}`),
      ]);
    expect(await sections(5)).toEqual([]);
    expect(await sections(15)).toEqual([[IP, ['nic-a:1024-1087']]]);
    expect(await sections(25)).toEqual([[IP, ['nic-a:1024-1151', 'nic-b:1152-1279']]]);
    expect(await sections(35)).toEqual([[IP, ['nic-b:1152-1279']]]);
    expect(await sections(45)).toEqual([[IP, ['nic-c:1024-1151', 'nic-b:1152-1279']]]);
    expect(await sections(57)).toEqual([[IP, ['nic-d:1024-1087']]]);
    const table = await tableAt.execute('default', 'gw-a', t(45));
    expect(table.metadata).toEqual({
      name: 'gw-a',
      namespace: 'default',
      resourceVersion: '',
      uid: GW1,
      at: t(45).toISOString(),
    });
    expect((await tableAt.execute('default', 'gw-a', t(57))).metadata.uid).toBe(GW2);
  });

  it('is 404 for a gateway name with no incarnation at that instant', async () => {
    for (const when of [t(0), t(52)]) {
      const err = await tableAt.execute('default', 'gw-a', when).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).status).toMatchObject({
        code: 404,
        reason: 'NotFound',
        message: `natgateways.networking.ironcore.dev "gw-a" did not exist at ${when.toISOString()}`,
      });
    }
  });

  it('reads through the audit indexes', async () => {
    const plan = async (sql: string, params: unknown[]) =>
      ds.transaction(async (m) => {
        await m.query('SET LOCAL enable_seqscan = off');
        const rows: Array<{ 'QUERY PLAN': string }> = await m.query(`EXPLAIN ${sql}`, params);
        return rows.map((r) => r['QUERY PLAN']).join('\n');
      });
    expect(
      await plan(
        `SELECT 1 FROM natgw_events WHERE type IN ('NATSlotAssigned', 'NATSlotReleased')
          AND data->>'ip' = $1 AND recorded_at <= $2`,
        [IP, t(30)],
      ),
    ).toContain('natgw_events_slot_ip_idx');
    expect(
      await plan(
        `SELECT 1 FROM natgw_events WHERE stream_id LIKE 'allocation:%' AND recorded_at <= $1`,
        [t(30)],
      ),
    ).toContain('natgw_events_allocation_time_idx');
    expect(
      await plan(
        `SELECT 1 FROM natgw_events WHERE type = 'NATGatewayCreated' AND data->>'uid' = ANY($1::text[])`,
        [[GW1]],
      ),
    ).toContain('natgw_events_gateway_uid_idx');
  });

  describe('npm run replay (natgw-cli replay)', () => {
    const cli = (...args: string[]) =>
      spawnSync(
        process.execPath,
        ['scripts/run-ts.js', 'apps/cli/src/main.ts', 'replay', ...args],
        {
          cwd: ROOT,
          env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'silent' },
          encoding: 'utf8',
        },
      );

    it('prints every open gateway with its slots as they were', () => {
      const r = cli('--at', t(25).toISOString());
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(`NAT tables at ${t(25).toISOString()}: 1 gateway(s)`);
      expect(r.stdout).toContain(`NATGateway default/gw-a uid=${GW1}`);
      expect(r.stdout).toMatch(/1024-1151 +10\.0\.0\.1 +nic=nic-a/);
      expect(r.stdout).toMatch(/1152-1279 +10\.0\.0\.2 +nic=nic-b/);
    });

    it('leaves out closed gateways and gives JSON on request', () => {
      const r = cli(`--at=${t(57).toISOString()}`, '--json');
      expect(r.status).toBe(0);
      const out = JSON.parse(r.stdout) as {
        gateways: Array<{
          uid: string;
          name: string;
          table: { ips: Array<{ sections: unknown[] }> };
        }>;
      };
      expect(out.gateways.map((g) => [g.uid, g.name])).toEqual([[GW2, 'gw-a']]);
      expect(out.gateways[0].table.ips[0].sections).toHaveLength(1);
    });

    it('rejects a missing or malformed --at with exit code 2', () => {
      expect(cli().status).toBe(2);
      const bad = cli('--at', 'yesterday');
      expect(bad.status).toBe(2);
      expect(bad.stderr).toContain('not an RFC 3339 timestamp');
    });
  });
});
