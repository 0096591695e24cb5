import type { RecordedEvent } from '@natgw/contracts';
import { applyDataplaneProgress, eventTime } from './allocation-status.applier';
import { DATAPLANE_SUBRESOURCE, dataplaneProgress, servingNodes } from './dataplane-status';
import type { StatusApplierContext, StatusApplierRegistration } from './status-applier';

/** `NATTableProgrammed`: a node programmed these allocation versions of these gateways. */
export interface NatTableProgrammedData {
  node: string;
  gateways: Record<string, number>;
  rules: number;
}

/** The event the dataplane executors record after programming their node. */
export const NAT_TABLE_PROGRAMMED = 'NATTableProgrammed';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The uids of the reported NATGateways whose recorded version for the node is older than the report's. */
async function gatewaysBehind(
  ctx: StatusApplierContext,
  data: NatTableProgrammedData,
): Promise<Set<string>> {
  const reported = Object.entries(data.gateways).filter(
    ([uid, version]) => UUID.test(uid) && Number.isInteger(version),
  );
  if (reported.length === 0) return new Set();
  const rows: Array<{ uid: string }> = await ctx.manager.query(
    `SELECT r.uid::text AS uid
       FROM natgw_resources r
       JOIN unnest($1::uuid[], $2::int[]) AS t(uid, version) ON r.uid = t.uid
      WHERE r.kind = 'NATGateway'
        AND COALESCE((r.subresources -> $3 -> 'programmed' ->> $4)::int, 0) < t.version`,
    [reported.map(([uid]) => uid), reported.map(([, v]) => v), DATAPLANE_SUBRESOURCE, data.node],
  );
  const behind = new Set(rows.map((r) => r.uid.toLowerCase()));
  // The table does not show what this batch changed (a gateway created or allocated
  // by an earlier event of the batch): those are checked on the batch's copy.
  for (const [uid] of reported) if (ctx.changedInBatch(uid)) behind.add(uid.toLowerCase());
  return behind;
}

/** Records each node's programmed versions and updates DataplaneProgrammed and Ready. */
export const DATAPLANE_STATUS_APPLIER: StatusApplierRegistration = {
  name: 'dataplane-status',
  eventTypes: [NAT_TABLE_PROGRAMMED],
  apply: async (recorded: RecordedEvent, ctx: StatusApplierContext) => {
    const data = recorded.data as NatTableProgrammedData;
    if (!data || typeof data.node !== 'string' || typeof data.gateways !== 'object') return;
    const at = eventTime(recorded);
    // A report names every gateway the node serves, most of them unchanged: find the
    // ones whose programmed version moves in one query, instead of one read per gateway
    // (with a thousand gateways on a node, the per-gateway reads made the resource
    // projection fall seconds behind).
    const behind = await gatewaysBehind(ctx, data);
    for (const [uid, version] of Object.entries(data.gateways)) {
      if (!behind.has(uid.toLowerCase())) continue;
      const gateway = await ctx.findByUid(uid);
      if (!gateway || gateway.kind !== 'NATGateway') continue;
      const progress = dataplaneProgress(gateway);
      if ((progress.programmed[data.node] ?? 0) >= version) continue;
      progress.programmed[data.node] = version;
      await ctx.setSubresource(gateway, DATAPLANE_SUBRESOURCE, progress);
      const nodes = servingNodes(gateway);
      await ctx.updateStatus(gateway, (status, object) =>
        applyDataplaneProgress(status, object, progress, nodes, at),
      );
    }
  },
};
