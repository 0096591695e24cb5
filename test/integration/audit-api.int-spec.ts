// The audit endpoints over HTTP: natlookup (query checks, "nobody", a holder),
// nattable?at next to the live nattable, and authorization (natlookup spans
// namespaces), 410 Expired before the log's retention window. The history is
// appended with a controlled clock.
import { NewEvent } from '@natgw/contracts';
import { PostgresEventStore } from '@natgw/event-store';
import { startTestApi, TestApi } from './api-test-app';
import { natGatewayCreated } from './event-fixtures';

jest.setTimeout(120_000);

const GW = '33333333-3333-4333-8333-333333333333';
const NIC = '44444444-4444-4444-8444-444444444444';
const IP = '203.0.113.7';
const LOOKUP = '/apis/natgw.ironcore.dev/v1alpha1/natlookup';
const TABLE = '/apis/networking.ironcore.dev/v1alpha1/namespaces/default/natgateways/gw-h/nattable';

const TOKENS = `tokens:
  - token: admin-token
    user: admin
    namespaces: ["*"]
    verbs: [read, write]
  - token: team-token
    user: team
    namespaces: [default]
    verbs: [read]
`;

const slot = {
  gatewayUid: GW,
  nicUid: NIC,
  nicName: 'nic-h',
  namespace: 'default',
  privateIp: '10.0.0.9',
  nodeName: 'node-2',
  ip: IP,
  port: 40064,
  endPort: 40127,
};

describe('audit endpoints', () => {
  let api: TestApi;
  const get = async (path: string, token = 'admin-token') => {
    const res = await fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    api = await startTestApi('audit-api', { tokensYaml: TOKENS });
    let now = new Date('2026-11-26T10:00:00Z');
    const store = new PostgresEventStore(api.dataSource, () => now);
    const record = async (iso: string, stream: string, events: NewEvent[]) => {
      now = new Date(iso);
      await store.append(stream, events);
    };
    await record('2026-11-26T10:00:00Z', 'natgateway:default/gw-h', [
      natGatewayCreated(GW, 'gw-h'),
    ]);
    await record('2026-11-26T10:30:00Z', `allocation:${GW}`, [
      { type: 'NATGatewayIPAssigned', data: { gatewayUid: GW, ip: IP } },
      { type: 'NATSlotAssigned', data: slot },
    ]);
    await record('2026-11-26T11:00:00Z', `allocation:${GW}`, [
      { type: 'NATSlotReleased', data: { ...slot, reason: 'NetworkInterfaceDeleted' } },
    ]);
  });

  afterAll(async () => {
    await api?.close();
  });

  it('answers who held the address and port at the instant', async () => {
    const r = await get(`${LOOKUP}?ip=${IP}&port=40123&at=2026-11-26T10:42:00Z&protocol=tcp`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      kind: 'NATLookup',
      found: true,
      query: { ip: IP, port: 40123, at: '2026-11-26T10:42:00.000Z', protocol: 'tcp' },
      holder: {
        networkInterface: {
          namespace: 'default',
          name: 'nic-h',
          uid: NIC,
          privateIP: '10.0.0.9',
          nodeName: 'node-2',
        },
        natGateway: { namespace: 'default', name: 'gw-h', uid: GW },
        slot: { ip: IP, port: 40064, endPort: 40127 },
        assignedAt: '2026-11-26T10:30:00.000Z',
      },
    });
  });

  it('answers nobody (200, found false) before and after the slot was held', async () => {
    for (const at of ['2026-11-26T10:29:59Z', '2026-11-26T11:00:00Z']) {
      const r = await get(`${LOOKUP}?ip=${IP}&port=40123&at=${at}`);
      expect(r.status).toBe(200);
      expect(r.body.found).toBe(false);
      expect(r.body.holder).toBeUndefined();
      expect(r.body.message).toContain('nobody held');
    }
  });

  it.each([
    ['ip=203.0.113.7&port=1', 'at', 'FieldValueRequired'],
    ['port=1&at=2026-11-26T10:42:00Z', 'ip', 'FieldValueRequired'],
    ['ip=203.0.113&port=1&at=2026-11-26T10:42:00Z', 'ip', 'FieldValueInvalid'],
    ['ip=203.0.113.7&port=65536&at=2026-11-26T10:42:00Z', 'port', 'FieldValueInvalid'],
    ['ip=203.0.113.7&port=-1&at=2026-11-26T10:42:00Z', 'port', 'FieldValueInvalid'],
    ['ip=203.0.113.7&port=1&at=2026-11-26T10:42:00', 'at', 'FieldValueInvalid'],
    [
      'ip=203.0.113.7&port=1&at=2026-11-26T10:42:00Z&protocol=icmp',
      'protocol',
      'FieldValueInvalid',
    ],
  ])('rejects %s with a 400 Status naming %s', async (query, field, reason) => {
    const r = await get(`${LOOKUP}?${query}`);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ kind: 'Status', code: 400, reason: 'BadRequest' });
    expect(r.body.message).toContain(`"${field}"`);
    expect(r.body.details).toEqual({ causes: [expect.objectContaining({ field, reason })] });
  });

  it('needs a token for every namespace: a lookup spans them', async () => {
    const q = `${LOOKUP}?ip=${IP}&port=40123&at=2026-11-26T10:42:00Z`;
    expect((await get(q, 'team-token')).status).toBe(403);
    expect((await get(q, 'wrong')).status).toBe(401);
  });

  it('serves the NAT table as it was, and the live one without at', async () => {
    const then = await get(`${TABLE}?at=2026-11-26T10:42:00Z`, 'team-token');
    expect(then.status).toBe(200);
    expect(then.body).toMatchObject({
      kind: 'NATTable',
      metadata: { name: 'gw-h', namespace: 'default', uid: GW, at: '2026-11-26T10:42:00.000Z' },
      ips: [
        {
          ip: IP,
          sections: [
            {
              ip: '10.0.0.9',
              port: 40064,
              endPort: 40127,
              targetRef: { name: 'nic-h', uid: NIC, nodeName: 'node-2' },
            },
          ],
        },
      ],
    });
    const later = await get(`${TABLE}?at=2026-11-26T11:30:00Z`);
    expect(later.body.ips).toEqual([{ ip: IP, sections: [] }]);
    // Without `at`: the live table of the read model (the projection saw no allocator here).
    const live = await get(TABLE);
    expect(live.status).toBe(200);
    expect(live.body).toMatchObject({ kind: 'NATTable', metadata: { name: 'gw-h' } });
    expect(live.body.metadata).not.toHaveProperty('at');
    const bad = await get(`${TABLE}?at=soon`);
    expect(bad.status).toBe(400);
    expect((await get(`${TABLE}?at=2026-11-26T09:00:00Z`)).status).toBe(404);
  });

  it('answers 410 Expired for an instant before the retention window, exactly inside it', async () => {
    // The horizon as `log:prune` stores it (what it removes: log-retention.int-spec.ts).
    await api.dataSource.query(
      `INSERT INTO natgw_log_retention (retained_since, transaction_id, global_position)
       VALUES ('2026-11-26T10:40:00Z', '0'::xid8, 0)`,
    );
    try {
      const inside = await get(`${LOOKUP}?ip=${IP}&port=40123&at=2026-11-26T10:42:00Z`);
      expect(inside).toMatchObject({ status: 200, body: { found: true } });
      for (const path of [
        `${LOOKUP}?ip=${IP}&port=40123&at=2026-11-26T10:35:00Z`,
        `${TABLE}?at=2026-11-26T10:35:00Z`,
      ]) {
        const before = await get(path);
        expect(before.status).toBe(410);
        expect(before.body).toMatchObject({
          kind: 'Status',
          code: 410,
          reason: 'Expired',
          details: { causes: [{ field: 'at', reason: 'FieldValueInvalid' }] },
        });
        expect(before.body.message).toContain('2026-11-26T10:40:00.000Z');
      }
    } finally {
      await api.dataSource.query('DELETE FROM natgw_log_retention');
    }
  });
});
