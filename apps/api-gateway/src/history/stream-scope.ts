/**
 * Whose a log stream is, for authorization: the namespace it belongs to, the
 * gateway whose allocation it is (that gateway's namespace, looked up), or the
 * cluster (IP pools, nodes' dataplanes, VNIs, dead letters, inbound rejections:
 * tokens with the "*" namespace grant only).
 */
export type StreamScope =
  { kind: 'namespace'; namespace: string } | { kind: 'gateway'; uid: string } | { kind: 'cluster' };

/** Categories whose stream id is `<category>:<namespace>/...`. */
const NAMESPACED = new Set([
  'network',
  'networkinterface',
  'natgateway',
  'natgatewayautoscaler',
  'natgatewayquota',
  'networkaddress',
]);

export function streamScope(streamId: string): StreamScope {
  const colon = streamId.indexOf(':');
  if (colon <= 0) return { kind: 'cluster' };
  const category = streamId.slice(0, colon);
  const rest = streamId.slice(colon + 1);
  if (category === 'allocation' && rest.length > 0 && !rest.includes('/')) {
    return { kind: 'gateway', uid: rest };
  }
  const slash = rest.indexOf('/');
  if (NAMESPACED.has(category) && slash > 0) {
    return { kind: 'namespace', namespace: rest.slice(0, slash) };
  }
  return { kind: 'cluster' };
}
