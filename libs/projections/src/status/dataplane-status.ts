import type { StoredResource } from '../stored-resource';
import { NAT_TABLE_SUBRESOURCE } from './status-applier';

/** The subresource that records which allocation version each node has programmed. */
export const DATAPLANE_SUBRESOURCE = 'dataplane';

/** The condition the dataplane executors own. */
export const DATAPLANE_CONDITION = 'DataplaneProgrammed';

/** A NIC's condition: the node serving it programmed (or rejected) its NAT slots. */
export const NAT_PROGRAMMED_CONDITION = 'NATProgrammed';

/** How long the gateway's message naming rejected NICs may grow. */
const REJECTION_MESSAGE_LENGTH = 1000;

/** The node name a single-node executor (no NODE_NAME) reports: it programs every NIC. */
export const ALL_NODES = '*';

/** A rule a node's dataplane left out, as recorded for the NIC. */
export interface NatRuleRejection {
  nicName?: string;
  reason: string;
  message: string;
}

/** Where and since which allocation version a NIC holds a slot of the gateway. */
export interface GatewaySlotVersion {
  version: number;
  /** The node serving the NIC (ALL_NODES when it has none). */
  node: string;
}

/** What the executors reported for one gateway. */
export interface DataplaneProgress {
  /** The allocation stream version the latest allocation event of the gateway had. */
  allocationVersion: number;
  /** Programmed allocation version by node. */
  programmed: Record<string, number>;
  /** Each NIC's slot: the version that assigned it and its node (to tell which NICs a report programs). */
  slots: Record<string, GatewaySlotVersion>;
  /** The NICs whose rules each node rejected in its latest report, by node and NIC uid. */
  rejected: Record<string, Record<string, NatRuleRejection>>;
}

/**
 * A shallow copy of a record, without a prototype. The progress records are keyed
 * by uid: a copy into `{}` walks V8 through a new hidden class at every key (each
 * gateway's uids are new ones), several times slower than the dictionary an object
 * without prototype is from the start (five times in a micro-benchmark of 20-key
 * records; the copy was the top function of a rebuild's profile). Keys enumerate
 * in the same order and JSON is the same; an own `__proto__` key stays a key.
 */
function copyRecord<T>(record: Readonly<Record<string, T>> | undefined): Record<string, T> {
  const copy = Object.create(null) as Record<string, T>;
  if (!record) return copy;
  for (const key of Object.keys(record)) copy[key] = record[key];
  return copy;
}

/** The recorded progress of a gateway (empty when nothing was reported), as a copy to change. */
export function dataplaneProgress(gateway: StoredResource): DataplaneProgress {
  const p = gateway.subresources[DATAPLANE_SUBRESOURCE] as Partial<DataplaneProgress> | undefined;
  const rejected: Record<string, Record<string, NatRuleRejection>> = {};
  if (p?.rejected)
    for (const node of Object.keys(p.rejected)) rejected[node] = copyRecord(p.rejected[node]);
  return {
    allocationVersion: p?.allocationVersion ?? 0,
    programmed: copyRecord(p?.programmed),
    slots: copyRecord(p?.slots),
    rejected,
  };
}

/** The NICs the gateway's recorded progress holds a slot for (read only: not a copy). */
export function recordedSlotNics(gateway: StoredResource): string[] {
  const p = gateway.subresources[DATAPLANE_SUBRESOURCE] as Partial<DataplaneProgress> | undefined;
  return Object.keys(p?.slots ?? {});
}

/** True when a report of `reporter` covers a slot served by `node` (a single-node executor serves all). */
export function reportCovers(reporter: string, node: string): boolean {
  return reporter === ALL_NODES || reporter === node;
}

function nodeName(node: string): string {
  return node === ALL_NODES ? 'the single-node executor' : `node ${node}`;
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

/** `text`, cut to `max` characters with an ellipsis when longer. */
function capped(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** "NAT rules rejected: nic-a on node n1 (AddressConflict), ..." or undefined when none was. */
function describeRejections(progress: DataplaneProgress): string | undefined {
  const entries: string[] = [];
  for (const node of Object.keys(progress.rejected).sort()) {
    const nics = progress.rejected[node];
    for (const uid of Object.keys(nics).sort((a, b) =>
      (nics[a].nicName ?? a).localeCompare(nics[b].nicName ?? b),
    ))
      entries.push(`${nics[uid].nicName ?? uid} on ${nodeName(node)} (${nics[uid].reason})`);
  }
  if (entries.length === 0) return undefined;
  return capped(
    `${entries.length} network interface${entries.length === 1 ? '' : 's'} could not be programmed: ${entries.join(', ')}`,
    REJECTION_MESSAGE_LENGTH,
  );
}

/**
 * DataplaneProgrammed: True once every node serving the gateway's NICs has
 * programmed the gateway's current allocation and rejected none of its rules;
 * False with RulesRejected naming the NICs and nodes that rejected a rule, else
 * False naming the nodes behind.
 */
export function dataplaneCondition(
  progress: DataplaneProgress,
  nodes: string[],
): { status: 'True' | 'False'; reason: string; message: string } {
  const done = (node: string) =>
    (progress.programmed[node] ?? 0) >= progress.allocationVersion ||
    (progress.programmed[ALL_NODES] ?? 0) >= progress.allocationVersion;
  const behind = nodes.filter((n) => !done(n));
  const rejections = describeRejections(progress);
  if (rejections !== undefined) {
    return { status: 'False', reason: 'RulesRejected', message: rejections };
  }
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
  const names = behind.map(nodeName);
  return {
    status: 'False',
    reason: 'DataplaneNotProgrammed',
    message: `${names.join(', ')} ha${behind.length === 1 ? 's' : 've'} not programmed allocation version ${progress.allocationVersion} yet`,
  };
}

/** A NIC's slot of one gateway, as the NIC's `dataplane` subresource records it. */
export interface NicSlotProgress {
  gateway: string;
  family: string;
  node: string;
  version: number;
  programmed: boolean;
  rejected?: { reason: string; message: string };
}

/** A NIC's slots by gateway uid, from its `dataplane` subresource. */
export function nicSlotProgress(nic: StoredResource): Record<string, NicSlotProgress> {
  const p = nic.subresources[DATAPLANE_SUBRESOURCE] as Record<string, NicSlotProgress> | undefined;
  return { ...(p ?? {}) };
}

/**
 * NATProgrammed of a NIC from its slots: False with the node's reason (e.g. AddressConflict)
 * when a node rejected one of its rules, False with NotProgrammed while a node has not
 * programmed a slot yet, else True; undefined when the NIC holds no slot.
 */
export function natProgrammedCondition(
  slots: Record<string, NicSlotProgress>,
): { status: 'True' | 'False'; reason: string; message: string } | undefined {
  const list = Object.values(slots).sort(
    (a, b) => a.family.localeCompare(b.family) || a.gateway.localeCompare(b.gateway),
  );
  if (list.length === 0) return undefined;
  const rejected = list.filter((s) => s.rejected !== undefined);
  if (rejected.length > 0) {
    return {
      status: 'False',
      reason: rejected[0].rejected!.reason,
      message: capped(
        rejected
          .map(
            (s) =>
              `${nodeName(s.node)} rejected the ${s.family} NAT rule of gateway ${s.gateway}: ${s.rejected!.message}`,
          )
          .join('; '),
        REJECTION_MESSAGE_LENGTH,
      ),
    };
  }
  const pending = list.filter((s) => !s.programmed);
  if (pending.length > 0) {
    return {
      status: 'False',
      reason: 'NotProgrammed',
      message: pending
        .map(
          (s) =>
            `${nodeName(s.node)} has not programmed the ${s.family} NAT slot of gateway ${s.gateway} yet`,
        )
        .join('; '),
    };
  }
  return {
    status: 'True',
    reason: 'Programmed',
    message: list
      .map((s) => `${nodeName(s.node)} programmed the ${s.family} NAT slot of gateway ${s.gateway}`)
      .join('; '),
  };
}
