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

/** Records each node's programmed versions and updates DataplaneProgrammed and Ready. */
export const DATAPLANE_STATUS_APPLIER: StatusApplierRegistration = {
  name: 'dataplane-status',
  eventTypes: [NAT_TABLE_PROGRAMMED],
  apply: async (recorded: RecordedEvent, ctx: StatusApplierContext) => {
    const data = recorded.data as NatTableProgrammedData;
    if (!data || typeof data.node !== 'string' || typeof data.gateways !== 'object') return;
    const at = eventTime(recorded);
    for (const [uid, version] of Object.entries(data.gateways)) {
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
