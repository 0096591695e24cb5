// The dataplane status applier through the real resource projection: a node's
// NATTableProgrammed report moves each listed gateway's programmed version only
// forward, leaves unlisted and already-current gateways alone (the applier finds
// the ones behind in one query over every gateway the report names), and sets
// DataplaneProgrammed from it.
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { openDatabase, PostgresEventStore, rebuildProjection } from '@natgw/event-store';
import { NAT_TABLE_PROGRAMMED, ResourceProjection } from '@natgw/projections';
import { createTestDatabase, dropTestDatabase, eventually } from '@natgw/testing';
import { NATGW_SCHEMA } from '@natgw/schema';

jest.setTimeout(120_000);

describe('NATTableProgrammed status', () => {
  let url: string;
  let ds: DataSource;
  let store: PostgresEventStore;
  const gateways = Array.from({ length: 300 }, (_, i) => ({ name: `gw-${i}`, uid: randomUUID() }));

  async function report(node: string, versions: Record<string, number>) {
    await store.append(
      `dataplane:${node}`,
      [{ type: NAT_TABLE_PROGRAMMED, data: { node, rules: 0, gateways: versions }, metadata: {} }],
      { expectedVersion: 'any' },
    );
  }

  async function programmed(): Promise<Map<string, Record<string, number>>> {
    const rows: Array<{ name: string; programmed: Record<string, number> | null }> = await ds.query(
      `SELECT name, subresources #> '{dataplane,programmed}' AS programmed
           FROM natgw_resources WHERE kind = 'NATGateway'`,
    );
    return new Map(rows.map((r) => [r.name, r.programmed ?? {}]));
  }

  beforeAll(async () => {
    url = await createTestDatabase('dataplane_status_applier');
    ds = await openDatabase({ url, ...NATGW_SCHEMA });
    store = new PostgresEventStore(ds);
    for (const g of gateways) {
      await store.append(
        `natgateway:default/${g.name}`,
        [
          {
            type: 'NATGatewayCreated',
            data: {
              uid: g.uid,
              namespace: 'default',
              name: g.name,
              labels: {},
              annotations: {},
              finalizers: [],
              spec: {
                type: 'Public',
                ipFamily: 'IPv4',
                portsPerNetworkInterface: 64,
                networkRef: { name: 'net' },
              },
              generation: 1,
              creationTimestamp: '2026-01-01T00:00:00Z',
            },
            metadata: {},
          },
        ],
        { expectedVersion: 'no-stream' },
      );
    }
  });

  afterAll(async () => {
    await ds?.destroy();
    await dropTestDatabase(url);
  });

  it('moves programmed versions forward only, per node, for the gateways a report names', async () => {
    const [a, b, c] = gateways;
    // Every gateway at version 3 on node-a, then one report moving only b, one trying to move c back.
    await report('node-a', Object.fromEntries(gateways.map((g) => [g.uid, 3])));
    await report('node-a', { [a.uid]: 3, [b.uid]: 5 });
    await report('node-a', { [c.uid]: 2 });
    await report('node-b', { [a.uid]: 1, 'not-a-uid': 9, [randomUUID()]: 4 });
    // A transaction open elsewhere on the server can hold the reports back for a
    // moment: rebuild until the rebuild includes them.
    const applied = await eventually(
      async () => {
        const n = await rebuildProjection(ds, store, new ResourceProjection());
        return n === gateways.length + 4 && n;
      },
      { what: 'a rebuild with every report' },
    );
    expect(applied).toBe(gateways.length + 4);
    const state = await programmed();
    expect(state.get(a.name)).toEqual({ 'node-a': 3, 'node-b': 1 });
    expect(state.get(b.name)).toEqual({ 'node-a': 5 });
    expect(state.get(c.name)).toEqual({ 'node-a': 3 });
    expect(state.get(gateways[299].name)).toEqual({ 'node-a': 3 });
  });

  it('sets DataplaneProgrammed from the reports', async () => {
    const [row] = await ds.query(
      `SELECT object -> 'status' -> 'conditions' AS conditions FROM natgw_resources WHERE name = 'gw-1'`,
    );
    const condition = (row.conditions as Array<{ type: string; status: string }>).find(
      (x) => x.type === 'DataplaneProgrammed',
    );
    expect(condition?.status).toBe('True');
  });
});
