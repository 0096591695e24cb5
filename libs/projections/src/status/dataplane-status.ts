import type { StoredResource } from '../stored-resource';
import { NAT_TABLE_SUBRESOURCE } from './status-applier';

/** The subresource that records which allocation version each node has programmed. */
export const DATAPLANE_SUBRESOURCE = 'dataplane';

/** The condition the dataplane executors own. */
export const DATAPLANE_CONDITION = 'DataplaneProgrammed';

/** The node name a single-node executor (no NODE_NAME) reports: it programs every NIC. */
export const ALL_NODES = '*';

/** What the executors reported for one gateway. */
export interface DataplaneProgress {
  /** The allocation stream version the latest allocation event of the gateway had. */
  allocationVersion: number;
  /** Programmed allocation version by node. */
  programmed: Record<string, number>;
}

/** The recorded progress of a gateway (empty when nothing was reported). */
export function dataplaneProgress(gateway: StoredResource): DataplaneProgress {
  const p = gateway.subresources[DATAPLANE_SUBRESOURCE] as Partial<DataplaneProgress> | undefined;
  return { allocationVersion: p?.allocationVersion ?? 0, programmed: { ...(p?.programmed ?? {}) } };
}

/** The nodes that serve the gateway's NICs, from its NAT table. */
export function servingNodes(gateway: StoredResource): string[] {
  const table = gateway.subresources[NAT_TABLE_SUBRESOURCE] as
    { ips: Array<{ sections: Array<{ targetRef: { nodeName?: string } }> }> } | undefined;
  const nodes = new Set<string>();
  for (const ip of table?.ips ?? [])
    for (const s of ip.sections) nodes.add(s.targetRef.nodeName ?? ALL_NODES);
  return [...nodes].sort();
}

/**
 * DataplaneProgrammed: True once every node serving the gateway's NICs has
 * programmed the gateway's current allocation; else False, naming the nodes behind.
 */
export function dataplaneCondition(
  progress: DataplaneProgress,
  nodes: string[],
): { status: 'True' | 'False'; reason: string; message: string } {
  const done = (node: string) =>
    (progress.programmed[node] ?? 0) >= progress.allocationVersion ||
    (progress.programmed[ALL_NODES] ?? 0) >= progress.allocationVersion;
  const behind = nodes.filter((n) => !done(n));
  if (behind.length === 0) {
    return {
      status: 'True',
      reason: 'Programmed',
      message:
        nodes.length === 0
          ? 'no network interface needs NAT on any node'
          : `programmed on ${nodes.join(', ')} at allocation version ${progress.allocationVersion}`,
    };
  }
  const names = behind.map((n) => (n === ALL_NODES ? 'the single-node executor' : `node ${n}`));
  return {
    status: 'False',
    reason: 'DataplaneNotProgrammed',
    message: `${names.join(', ')} ha${behind.length === 1 ? 's' : 've'} not programmed allocation version ${progress.allocationVersion} yet`,
  };
}
