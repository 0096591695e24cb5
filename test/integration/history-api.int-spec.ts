// The history endpoints over HTTP: events by stream (newest first, types,
// limit), by id, by correlation or cause around an instant; nodes; every
// parameter checked (400 naming it); and the namespace grants: a tenant reads its
// namespace's streams and its gateways' allocation streams, nothing else (403 for a
// stream, left out and counted for a correlation).
import { NewEvent } from '@natgw/contracts';
import { PostgresEventStore } from '@natgw/event-store';
import { startTestApi, TestApi } from './api-test-app';
import { natGatewayCreated } from './event-fixtures';

jest.setTimeout(120_000);

const GW_A = '55555555-5555-4555-8555-555555555555';
const GW_B = '66666666-6666-4666-8666-666666666666';
const REQUEST = 'c0ffee00-0000-4000-8000-000000000001';
const EVENTS = '/apis/natgw.ironcore.dev/v1alpha1/events';
const NODES = '/apis/natgw.ironcore.dev/v1alpha1/nodes';

const TOKENS = `tokens:
  - token: admin-token
    user: admin
    namespaces: ["*"]
    verbs: [read, write]
  - token: team-token
    user: team
    namespaces: [team-a]
    verbs: [read]
  - token: writer-token
    user: writer
    namespaces: ["*"]
    verbs: [write]
`;

interface Item {
  id: string;
  stream: string;
  version: number;
  type: string;
  time: string;
  metadata: { correlationId?: string; causationId?: string };
}

describe('history endpoints: events and nodes', () => {
  let api: TestApi;
  let createdA: string;
  const get = async (path: string, token = 'admin-token') => {
    const res = await fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const items = (body: Record<string, unknown>) => body.items as Item[];

  beforeAll(async () => {
    api = await startTestApi('history-api', { tokensYaml: TOKENS });
    let now = new Date('2026-11-26T10:00:00Z');
    const store = new PostgresEventStore(api.dataSource, () => now);
    const record = async (iso: string, stream: string, events: NewEvent[]) => {
      now = new Date(iso);
      return store.append(stream, events);
    };
    const a = natGatewayCreated(GW_A, 'gw-a');
    await record('2026-11-26T10:00:00Z', 'natgateway:team-a/gw-a', [
      {
        ...a,
        data: { ...(a.data as object), namespace: 'team-a' },
        metadata: { correlationId: REQUEST, actor: 'team' },
      },
    ]);
    createdA = (await store.readStream('natgateway:team-a/gw-a'))[0].id;
    await record('2026-11-26T10:00:01Z', 'natgateway:team-b/gw-b', [
      {
        ...natGatewayCreated(GW_B, 'gw-b'),
        data: { ...natGatewayCreated(GW_B, 'gw-b').data, namespace: 'team-b' },
        metadata: { correlationId: REQUEST },
      },
    ]);
    await record('2026-11-26T10:00:02Z', `allocation:${GW_A}`, [
      {
        type: 'NATGatewayIPAssigned',
        data: { gatewayUid: GW_A, ip: '203.0.113.7' },
        metadata: { correlationId: REQUEST, causationId: createdA },
      },
    ]);
    await record('2026-11-26T10:00:03Z', `allocation:${GW_B}`, [
      {
        type: 'NATGatewayIPAssigned',
        data: { gatewayUid: GW_B, ip: '203.0.113.8' },
        metadata: { correlationId: REQUEST },
      },
    ]);
    await record('2026-11-26T10:05:00Z', 'dataplane:node-a', [
      { type: 'NATTableProgrammed', data: {} },
      { type: 'DriftDetected', data: { missing: 1 } },
      { type: 'DriftRepaired', data: { added: 1 } },
      { type: 'NATTableProgrammed', data: {} },
    ]);
    // Far outside the window of REQUEST's instant: not part of the answer.
    await record('2026-11-28T10:00:00Z', `allocation:${GW_A}`, [
      {
        type: 'NATGatewayIPReleased',
        data: { gatewayUid: GW_A, ip: '203.0.113.7' },
        metadata: { correlationId: REQUEST },
      },
    ]);
  });

  afterAll(async () => {
    await api?.close();
  });

  it("reads a stream's newest events, of some types, oldest first", async () => {
    const all = await get(`${EVENTS}?stream=dataplane:node-a`);
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ kind: 'EventList', omitted: 0 });
    expect(items(all.body).map((e) => [e.version, e.type])).toEqual([
      [1, 'NATTableProgrammed'],
      [2, 'DriftDetected'],
      [3, 'DriftRepaired'],
      [4, 'NATTableProgrammed'],
    ]);
    const drift = await get(`${EVENTS}?stream=dataplane:node-a&type=DriftDetected,DriftRepaired`);
    expect(items(drift.body).map((e) => e.type)).toEqual(['DriftDetected', 'DriftRepaired']);
    const newest = await get(`${EVENTS}?stream=dataplane:node-a&limit=2`);
    expect(items(newest.body).map((e) => e.version)).toEqual([3, 4]);
    expect(items((await get(`${EVENTS}?stream=natgateway:default/none`)).body)).toEqual([]);
  });

  it('reads one event by id, and a correlation or its consequences within an hour of the instant', async () => {
    const one = await get(`${EVENTS}?id=${createdA}`);
    expect(items(one.body).map((e) => e.stream)).toEqual(['natgateway:team-a/gw-a']);
    expect(items((await get(`${EVENTS}?id=${REQUEST}`)).body)).toEqual([]);

    const related = await get(`${EVENTS}?related=${REQUEST}&at=2026-11-26T10:00:00Z`);
    expect(items(related.body).map((e) => e.stream)).toEqual([
      'natgateway:team-a/gw-a',
      'natgateway:team-b/gw-b',
      `allocation:${GW_A}`,
      `allocation:${GW_B}`,
    ]);
    const caused = await get(`${EVENTS}?related=${createdA}&at=2026-11-26T10:00:00Z`);
    expect(items(caused.body).map((e) => [e.type, e.metadata.causationId])).toEqual([
      ['NATGatewayIPAssigned', createdA],
    ]);
  });

  it("keeps a tenant to its namespaces: its streams and its gateways' allocations, 403 for others", async () => {
    expect((await get(`${EVENTS}?stream=natgateway:team-a/gw-a`, 'team-token')).status).toBe(200);
    const own = await get(`${EVENTS}?stream=allocation:${GW_A}`, 'team-token');
    expect(own.status).toBe(200);
    expect(items(own.body)).toHaveLength(2);
    for (const stream of [
      'natgateway:team-b/gw-b',
      `allocation:${GW_B}`,
      'allocation:77777777-7777-4777-8777-777777777777',
      'dataplane:node-a',
      'ippool:default',
    ]) {
      const r = await get(`${EVENTS}?stream=${encodeURIComponent(stream)}`, 'team-token');
      expect([stream, r.status]).toEqual([stream, 403]);
      expect(String(r.body.message)).toContain('User "team" cannot list resource "events"');
    }
    const related = await get(`${EVENTS}?related=${REQUEST}&at=2026-11-26T10:00:00Z`, 'team-token');
    expect(related.status).toBe(200);
    expect(items(related.body).map((e) => e.stream)).toEqual([
      'natgateway:team-a/gw-a',
      `allocation:${GW_A}`,
    ]);
    expect(related.body.omitted).toBe(2);
    expect((await get(`${EVENTS}?stream=natgateway:team-a/gw-a`, 'writer-token')).status).toBe(403);
    expect((await get(`${EVENTS}?stream=natgateway:team-a/gw-a`, 'nope')).status).toBe(401);
  });

  it('lists the nodes from their dataplane streams (the "*" grant only)', async () => {
    const r = await get(NODES);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      kind: 'NodeList',
      items: [{ name: 'node-a', events: 4, lastEvent: 'NATTableProgrammed' }],
    });
    expect((await get(NODES, 'team-token')).status).toBe(403);
  });

  it('rejects bad parameters with a 400 naming the field', async () => {
    const cases: Array<[string, string]> = [
      ['', 'stream'],
      ['?stream=a:b&id=55555555-5555-4555-8555-555555555555', 'stream'],
      ['?stream=nocolon', 'stream'],
      [`?stream=a:${'x'.repeat(700)}`, 'stream'],
      ['?stream=a:b&limit=0', 'limit'],
      ['?stream=a:b&limit=1001', 'limit'],
      ['?stream=a:b&limit=1e3', 'limit'],
      ['?stream=a:b&type=Drift%20Detected', 'type'],
      ['?id=not-a-uuid', 'id'],
      ["?id=1'%20OR%201=1", 'id'],
      ['?related=x%20y&at=2026-11-26T10:00:00Z', 'related'],
      [`?related=${REQUEST}`, 'at'],
      [`?related=${REQUEST}&at=yesterday`, 'at'],
    ];
    for (const [query, field] of cases) {
      const r = await get(`${EVENTS}${query}`);
      const causes = (r.body.details as { causes?: Array<{ field: string }> } | undefined)?.causes;
      expect([query, r.status, causes?.[0]?.field]).toEqual([query, 400, field]);
    }
  });
});
