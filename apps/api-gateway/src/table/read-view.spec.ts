import { QueryParams } from '../http/query-params';
import { ReadView } from './read-view';
import { IP_POOL_COLUMNS, RESOURCE_COLUMNS } from './table-columns';

const NOW = new Date('2026-11-26T10:05:00Z');
const TABLE = { as: 'Table', version: 'v1' } as const;

const gateway = {
  apiVersion: 'networking.ironcore.dev/v1alpha1',
  kind: 'NATGateway',
  metadata: {
    name: 'gw',
    namespace: 'default',
    resourceVersion: '7',
    creationTimestamp: '2026-11-26T10:00:00Z',
    labels: { tier: 'edge' },
  },
  spec: {
    type: 'Public',
    ipFamily: 'IPv4',
    portsPerNetworkInterface: 64,
    networkRef: { name: 'net' },
  },
  status: {
    ips: [
      { name: 'a', ip: '203.0.113.1' },
      { name: 'b', ip: '203.0.113.2' },
    ],
    conditions: [{ type: 'Ready', status: 'True' }],
    requestedNICs: 3,
    usedSlots: 2,
    totalSlots: 2016,
  },
};

const view = (query: Record<string, string> = {}, columns = RESOURCE_COLUMNS.NATGateway) =>
  new ReadView(TABLE, columns, new QueryParams(query), () => NOW);

describe('ReadView', () => {
  it('shows drain state: a draining IP with the time left, a released one', () => {
    const draining = {
      ...gateway,
      status: {
        ...gateway.status,
        ips: [
          { name: 'ip1', ip: '203.0.113.1', state: 'Active' },
          {
            name: 'ip2',
            ip: '203.0.113.2',
            state: 'Draining',
            drainDeadline: '2026-11-26T10:10:50Z',
          },
          { name: 'released1', ip: '203.0.113.9', state: 'Released' },
        ],
      },
    };
    const table = view().object(draining) as { rows: Array<{ cells: unknown[] }> };
    const cells = table.rows[0]?.cells ?? [];
    expect(cells[2]).toBe('203.0.113.1,203.0.113.2');
    expect(cells.at(-1)).toBe('203.0.113.2 draining (5m50s left),203.0.113.9 released');
  });

  it('turns a NATGateway into a Table row: IPs comma-joined, NICs served/requesting, Ready, Age', () => {
    expect(view().object(gateway)).toMatchObject({
      kind: 'Table',
      apiVersion: 'meta.k8s.io/v1',
      metadata: { resourceVersion: '7' },
      rows: [
        {
          cells: [
            'gw',
            'net',
            '203.0.113.1,203.0.113.2',
            '64',
            '2/3',
            'True',
            '5m',
            'IPv4',
            '2/2016',
            '0/0',
            0,
            'None',
          ],
          object: {
            kind: 'PartialObjectMetadata',
            apiVersion: 'meta.k8s.io/v1',
            metadata: gateway.metadata,
          },
        },
      ],
    });
  });

  it('shows None without IPs and Unknown without a Ready condition', () => {
    const bare = { ...gateway, status: {} };
    const table = view().object(bare) as { rows: Array<{ cells: unknown[] }> };
    expect(table.rows[0].cells.slice(2, 6)).toEqual(['None', '64', '0/0', 'Unknown']);
  });

  it('shows min-max ports per NIC with dynamic port allocation (issue 17.4)', () => {
    const dpa = {
      ...gateway,
      spec: {
        ...gateway.spec,
        dynamicPortAllocation: {
          enabled: true,
          minPortsPerNetworkInterface: 32,
          maxPortsPerNetworkInterface: 4096,
        },
      },
    };
    const table = view().object(dpa) as { rows: Array<{ cells: unknown[] }> };
    expect(table.rows[0].cells[3]).toBe('32-4096');
    const off = {
      ...dpa,
      spec: { ...dpa.spec, dynamicPortAllocation: { enabled: false } },
    };
    expect((view().object(off) as { rows: Array<{ cells: unknown[] }> }).rows[0].cells[3]).toBe(
      '64',
    );
  });

  it('shows a NetworkInterface with its network, IPs, node and NAT slots', () => {
    const nic = {
      metadata: { name: 'nic-1', creationTimestamp: '2026-11-26T10:04:30Z' },
      spec: { networkRef: { name: 'net' }, ips: ['10.0.0.5', 'fd00::5'], nodeName: 'node-1' },
      status: {
        nat: [
          {
            ipFamily: 'IPv4',
            natGatewayRef: { name: 'gw' },
            ip: '203.0.113.1',
            port: 1024,
            endPort: 1087,
          },
        ],
      },
    };
    const table = view({}, RESOURCE_COLUMNS.NetworkInterface).object(nic) as {
      rows: Array<{ cells: unknown[] }>;
    };
    expect(table.rows[0].cells).toEqual([
      'nic-1',
      'net',
      '10.0.0.5,fd00::5',
      'node-1',
      '203.0.113.1:1024-1087',
      '30s',
      '<none>',
      'gw',
      '<none>',
    ]);
  });

  it('sums IPPool usage over the prefixes, beyond what a JSON number holds', () => {
    const pool = {
      metadata: { name: 'pool' },
      spec: { prefixes: ['203.0.113.0/28', '2001:db8::/64'] },
      status: {
        prefixes: [
          { prefix: '203.0.113.0/28', used: 2, free: '14' },
          { prefix: '2001:db8::/64', used: 1, free: '18446744073709551615' },
        ],
      },
    };
    const table = view({}, IP_POOL_COLUMNS).object(pool) as { rows: Array<{ cells: unknown[] }> };
    expect(table.rows[0].cells).toEqual([
      'pool',
      '203.0.113.0/28,2001:db8::/64',
      '3',
      '18446744073709551629',
      '<unknown>',
    ]);
  });

  it('carries the whole object or none in the rows, as includeObject asks', () => {
    const whole = view({ includeObject: 'Object' }).object(gateway) as {
      rows: Array<{ object: unknown }>;
    };
    expect(whole.rows[0].object).toBe(gateway);
    const none = view({ includeObject: 'None' }).object(gateway) as { rows: object[] };
    expect(none.rows[0]).toEqual({ cells: expect.any(Array) });
    expect(() => view({ includeObject: 'Everything' })).toThrow(/includeObject/);
  });

  it('keeps the list metadata (resourceVersion, continue) on a list Table', () => {
    const table = view().list({
      apiVersion: 'networking.ironcore.dev/v1alpha1',
      kind: 'NATGatewayList',
      metadata: { resourceVersion: '9', continue: 'abc' },
      items: [gateway, gateway],
    }) as { metadata: object; rows: object[] };
    expect(table.metadata).toEqual({ resourceVersion: '9', continue: 'abc' });
    expect(table.rows).toHaveLength(2);
  });

  it('sends the column definitions with the first watch event only; ERROR passes unchanged', () => {
    const v = view();
    const first = v.event({ type: 'ADDED', object: gateway }).object as object;
    const second = v.event({ type: 'MODIFIED', object: gateway }).object as object;
    expect(first).toHaveProperty('columnDefinitions');
    expect(second).not.toHaveProperty('columnDefinitions');
    const bookmark = v.event({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '12' } } });
    expect(bookmark.object).toMatchObject({
      kind: 'Table',
      metadata: { resourceVersion: '12' },
      rows: [],
    });
    const error = { type: 'ERROR' as const, object: { kind: 'Status', code: 410 } };
    expect(v.event(error)).toBe(error);
  });

  it('leaves objects, lists and events alone without a conversion', () => {
    const plain = new ReadView(
      { as: 'Object' },
      RESOURCE_COLUMNS.NATGateway,
      new QueryParams({}),
      () => NOW,
    );
    expect(plain.object(gateway)).toBe(gateway);
    const event = { type: 'ADDED' as const, object: gateway };
    expect(plain.event(event)).toBe(event);
  });

  it('answers PartialObjectMetadata and PartialObjectMetadataList', () => {
    const partial = new ReadView(
      { as: 'PartialObjectMetadata', version: 'v1' },
      RESOURCE_COLUMNS.NATGateway,
      new QueryParams({}),
      () => NOW,
    );
    expect(partial.object(gateway)).toEqual({
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1',
      metadata: gateway.metadata,
    });
    expect(
      partial.list({
        apiVersion: 'x',
        kind: 'NATGatewayList',
        metadata: { resourceVersion: '1' },
        items: [gateway],
      }),
    ).toMatchObject({
      kind: 'PartialObjectMetadataList',
      items: [{ kind: 'PartialObjectMetadata' }],
    });
  });
});
