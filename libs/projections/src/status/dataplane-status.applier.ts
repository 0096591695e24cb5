import type { RecordedEvent } from '@natgw/contracts';
import { applyDataplaneProgress, eventTime } from './allocation-status.applier';
import { updateNicSlotProgress } from './dataplane-nic-status';
import {
  DATAPLANE_SUBRESOURCE,
  DataplaneProgress,
  dataplaneProgress,
  NatRuleRejection,
  reportCovers,
  servingNodes,
} from './dataplane-status';
import type { StatusApplierContext, StatusApplierRegistration } from './status-applier';

/** One NIC whose rule the node's dataplane left out. */
export interface RejectedNicData {
  nicUid: string;
  nicName?: string;
  gatewayUid: string;
  family: string;
  reason: string;
  message: string;
}

/**
 * `NATTableProgrammed`: a node programmed these allocation versions of these gateways, except
 * the rules of the `rejected` NICs (absent in reports older than rejections).
 */
export interface NatTableProgrammedData {
  node: string;
  gateways: Record<string, number>;
  rules: number;
  rejected?: RejectedNicData[];
}

/** The event the dataplane executors record after programming their node. */
export const NAT_TABLE_PROGRAMMED = 'NATTableProgrammed';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The report's rejections by gateway uid (lower case) and NIC uid. */
function rejectionsByGateway(
  data: NatTableProgrammedData,
): Map<string, Record<string, NatRuleRejection>> {
  const byGateway = new Map<string, Record<string, NatRuleRejection>>();
  for (const r of Array.isArray(data.rejected) ? data.rejected : []) {
    if (!r || typeof r.gatewayUid !== 'string' || typeof r.nicUid !== 'string') continue;
    const nics = byGateway.get(r.gatewayUid.toLowerCase()) ?? {};
    nics[r.nicUid.toLowerCase()] = {
      ...(typeof r.nicName === 'string' ? { nicName: r.nicName } : {}),
      reason: String(r.reason),
      message: String(r.message),
    };
    byGateway.set(r.gatewayUid.toLowerCase(), nics);
  }
  return byGateway;
}

/**
 * The uids of the reported NATGateways the report changes: their recorded version for the node
 * is older than the report's, or the node rejected some of their NICs before or now.
 */
async function gatewaysChanged(
  ctx: StatusApplierContext,
  data: NatTableProgrammedData,
  rejections: Map<string, Record<string, NatRuleRejection>>,
): Promise<Set<string>> {
  const reported = Object.entries(data.gateways).filter(
    ([uid, version]) => UUID.test(uid) && Number.isInteger(version),
  );
  if (reported.length === 0) return new Set();
  // A fold holds every gateway: each reported one is checked on its copy.
  if (ctx.complete) return new Set(reported.map(([uid]) => uid.toLowerCase()));
  const rows: Array<{ uid: string }> = await ctx.manager.query(
    `SELECT r.uid::text AS uid
       FROM natgw_resources r
       JOIN unnest($1::uuid[], $2::int[]) AS t(uid, version) ON r.uid = t.uid
      WHERE r.kind = 'NATGateway'
        AND (COALESCE((r.subresources -> $3 -> 'programmed' ->> $4)::int, 0) < t.version
             OR (r.subresources -> $3 -> 'rejected') ? $4)`,
    [reported.map(([uid]) => uid), reported.map(([, v]) => v), DATAPLANE_SUBRESOURCE, data.node],
  );
  const changed = new Set(rows.map((r) => r.uid.toLowerCase()));
  // The table does not show what this batch changed (a gateway created or allocated
  // by an earlier event of the batch): those are checked on the batch's copy.
  for (const [uid] of reported) {
    const id = uid.toLowerCase();
    if (ctx.changedInBatch(uid) || rejections.has(id)) changed.add(id);
  }
  return changed;
}

function sameRejections(
  a: Record<string, NatRuleRejection>,
  b: Record<string, NatRuleRejection>,
): boolean {
  const keys = Object.keys(a);
  return (
    keys.length === Object.keys(b).length &&
    keys.every((k) => b[k] && a[k].reason === b[k].reason && a[k].message === b[k].message)
  );
}

/**
 * Moves one gateway's progress on the reporting node to the report: the NICs the report newly
 * programs (slot version up to the report's) and those whose rejection came, went or changed
 * get their NATProgrammed updated. Returns false when the report changes nothing.
 */
async function applyReport(
  ctx: StatusApplierContext,
  gatewayUid: string,
  progress: DataplaneProgress,
  node: string,
  version: number,
  reported: Record<string, NatRuleRejection>,
  at: string,
): Promise<boolean> {
  const from = progress.programmed[node] ?? 0;
  if (version < from) return false;
  const before = progress.rejected[node] ?? {};
  // Only NICs the node serves at a version the report covers can be rejected by it.
  const rejected: Record<string, NatRuleRejection> = {};
  for (const [nicUid, rejection] of Object.entries(reported)) {
    const slot = progress.slots[nicUid];
    if (slot && slot.version <= version && reportCovers(node, slot.node))
      rejected[nicUid] = rejection;
  }
  if (version === from && sameRejections(before, rejected)) return false;
  const touched = new Set([...Object.keys(before), ...Object.keys(rejected)]);
  for (const [nicUid, slot] of Object.entries(progress.slots))
    if (slot.version > from && slot.version <= version && reportCovers(node, slot.node))
      touched.add(nicUid);
  progress.programmed[node] = version;
  if (Object.keys(rejected).length > 0) progress.rejected[node] = rejected;
  else delete progress.rejected[node];
  for (const nicUid of [...touched].sort()) {
    const slot = progress.slots[nicUid];
    if (!slot) continue;
    await updateNicSlotProgress(ctx, nicUid, at, (slots) => {
      const mine = slots[gatewayUid];
      if (!mine) return;
      const programmed = mine.version <= version && reportCovers(node, mine.node);
      const rejection = rejected[nicUid];
      slots[gatewayUid] = {
        ...mine,
        programmed: mine.programmed || programmed,
        ...(rejection
          ? { rejected: { reason: rejection.reason, message: rejection.message } }
          : {}),
      };
      if (!rejection && reportCovers(node, mine.node)) delete slots[gatewayUid].rejected;
    });
  }
  return true;
}

/** Records each node's programmed versions and updates DataplaneProgrammed and Ready. */
export const DATAPLANE_STATUS_APPLIER: StatusApplierRegistration = {
  name: 'dataplane-status',
  eventTypes: [NAT_TABLE_PROGRAMMED],
  apply: async (recorded: RecordedEvent, ctx: StatusApplierContext) => {
    const data = recorded.data as NatTableProgrammedData;
    if (!data || typeof data.node !== 'string' || typeof data.gateways !== 'object') return;
    const at = eventTime(recorded);
    const rejections = rejectionsByGateway(data);
    // A report names every gateway the node serves, most of them unchanged: find the
    // ones whose programmed version moves, or whose rejections may change, in one query,
    // instead of one read per gateway (with a thousand gateways on a node, the
    // per-gateway reads made the resource projection fall seconds behind).
    const changed = await gatewaysChanged(ctx, data, rejections);
    for (const [uid, version] of Object.entries(data.gateways)) {
      const id = uid.toLowerCase();
      if (!changed.has(id) || !Number.isInteger(version)) continue;
      const gateway = await ctx.findByUid(uid);
      if (!gateway || gateway.kind !== 'NATGateway') continue;
      const progress = dataplaneProgress(gateway);
      const reported = rejections.get(id) ?? {};
      if (!(await applyReport(ctx, id, progress, data.node, version, reported, at))) continue;
      await ctx.setSubresource(gateway, DATAPLANE_SUBRESOURCE, progress);
      const nodes = servingNodes(gateway);
      await ctx.updateStatus(gateway, (status, object) =>
        applyDataplaneProgress(status, object, progress, nodes, at),
      );
    }
  },
};
