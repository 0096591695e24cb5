// The allocator's one-statement read of a network (ResourceInputs.network, issue 14): the
// network's gateways and NICs only (not another network's), the namespace's autoscaler bounds
// with the oldest live autoscaler winning, the Network with its VNI, and each gateway's
// allocation stream version (0 before its first allocation), on a real database through the API.
import { eventually } from '@natgw/testing';
import { allocationStreamId } from '../../apps/allocator/src/allocation/reconcile-network';
import { ResourceInputs } from '../../apps/allocator/src/state/resource-inputs';
import { createObject, seedTestPool, testAllocator } from './allocator-test-kit';
import { startTestApi, TestApi } from './api-test-app';

jest.setTimeout(120_000);

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const NS = 'inputs';

describe('ResourceInputs.network (one statement per network)', () => {
  let api: TestApi;
  const uids: Record<string, string> = {};

  const post = async (plural: string, body: Body) => {
    const res = await createObject(api, NS, plural, body);
    expect(res.status).toBe(201);
    uids[body.metadata.name] = res.body.metadata.uid;
  };
  const gateway = (name: string, network: string) =>
    post('natgateways', {
      kind: 'NATGateway',
      metadata: { name },
      spec: { type: 'Public', ipFamily: 'IPv4', networkRef: { name: network } },
    });
  const autoscaler = (name: string, min: number, max: number) =>
    post('natgatewayautoscalers', {
      kind: 'NATGatewayAutoscaler',
      metadata: { name },
      spec: { natGatewayRef: { name: 'gw-a' }, minPublicIPs: min, maxPublicIPs: max },
    });
  const read = () => new ResourceInputs(api.dataSource.manager).network(NS, 'net');

  beforeAll(async () => {
    api = await startTestApi('alloc_net_inputs');
    await seedTestPool(api, ['198.51.100.0/28']);
    for (const name of ['net', 'other'])
      await post('networks', { kind: 'Network', metadata: { name } });
    await gateway('gw-a', 'net');
    await gateway('gw-b', 'net');
    await gateway('gw-other', 'other');
    for (const [name, network, ip] of [
      ['vm-1', 'net', '10.0.0.1'],
      ['vm-2', 'other', '10.0.0.2'],
    ])
      await post('networkinterfaces', {
        kind: 'NetworkInterface',
        metadata: { name },
        spec: { networkRef: { name: network }, ips: [ip], nodeName: 'node-1' },
      });
    // The older autoscaler of gw-a wins; a later one naming the same gateway is ignored.
    await autoscaler('first', 1, 2);
    await autoscaler('second', 3, 4);
    await eventually(
      async () => {
        const inputs = await read();
        return inputs.network?.vni !== undefined && inputs.bounds.size > 0 && inputs;
      },
      { what: 'the network, its VNI and the autoscalers in the read model' },
    );
  });

  afterAll(async () => {
    await api?.close();
  });

  it("reads the network's gateways and NICs, the oldest autoscaler's bounds and the Network", async () => {
    const inputs = await read();
    expect(inputs.gateways.map((g) => g.name).sort()).toEqual(['gw-a', 'gw-b']);
    expect(inputs.nics.map((n) => n.name)).toEqual(['vm-1']);
    expect(inputs.bounds).toEqual(new Map([['gw-a', { minPublicIPs: 1, maxPublicIPs: 2 }]]));
    expect(inputs.network).toMatchObject({ name: 'net', uid: uids.net, deleting: false });
    expect(typeof inputs.network?.vni).toBe('number');
    // No allocation yet: version 0 for both gateways.
    expect(inputs.allocationVersions).toEqual(
      new Map([
        [uids['gw-a'], 0],
        [uids['gw-b'], 0],
      ]),
    );
  });

  it("gives each gateway's allocation stream version once it has one", async () => {
    await testAllocator(api, { minPublicIPs: 1, maxPublicIPs: 2 }).run({
      namespace: NS,
      network: 'net',
    });
    const inputs = await read();
    for (const name of ['gw-a', 'gw-b']) {
      const version = await api.store.streamVersion(allocationStreamId(uids[name]));
      expect(version).toBeGreaterThan(0);
      expect(inputs.allocationVersions.get(uids[name])).toBe(version);
    }
  });

  it('reads no Network when it does not exist', async () => {
    const inputs = await new ResourceInputs(api.dataSource.manager).network(NS, 'missing');
    expect(inputs).toMatchObject({ gateways: [], nics: [], network: undefined });
    expect(inputs.bounds.get('gw-a')).toEqual({ minPublicIPs: 1, maxPublicIPs: 2 });
  });
});
