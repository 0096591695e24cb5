import { streamScope } from './stream-scope';

describe('streamScope', () => {
  it('puts resource, quota and address-claim streams in their namespace', () => {
    expect(streamScope('natgateway:team-a/gw')).toEqual({ kind: 'namespace', namespace: 'team-a' });
    expect(streamScope('networkinterface:default/vm.1')).toEqual({
      kind: 'namespace',
      namespace: 'default',
    });
    expect(streamScope('natgatewayquota:team-b/q')).toEqual({
      kind: 'namespace',
      namespace: 'team-b',
    });
    expect(streamScope('networkaddress:team-a/net/10.0.0.1')).toEqual({
      kind: 'namespace',
      namespace: 'team-a',
    });
  });

  it('ties an allocation stream to its gateway', () => {
    expect(streamScope('allocation:8d7c0a1e-2b1f-4b0c-9e0e-1f6f4c2d9a10')).toEqual({
      kind: 'gateway',
      uid: '8d7c0a1e-2b1f-4b0c-9e0e-1f6f4c2d9a10',
    });
  });

  it('keeps everything else, and anything malformed, cluster-scoped', () => {
    for (const id of [
      'ippool:default',
      'dataplane:node-a',
      'vni:42',
      'deadletter:allocator',
      'inbound:networkinterfaces',
      'natgateway:no-slash',
      'natgateway:/gw',
      'allocation:',
      'allocation:a/b',
      'nocolon',
      ':x/y',
    ]) {
      expect(streamScope(id)).toEqual({ kind: 'cluster' });
    }
  });
});
