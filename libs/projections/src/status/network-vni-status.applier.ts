import type { RecordedEvent } from '@natgw/contracts';
import { NETWORK_VNI_CLAIMED, NETWORK_VNI_RELEASED, NetworkVniClaimData } from '@natgw/contracts';
import type { StatusApplierContext, StatusApplierRegistration } from './status-applier';

/**
 * Fills a Network's `status.vni` from the claim of its VNI (`NetworkVNIClaimed`, appended with
 * `NetworkCreated`, or by the allocator for a Network older than VNIs), and clears it on the
 * release (which comes with `NetworkDeleted`, so normally the Network is gone already).
 */
export const NETWORK_VNI_STATUS_APPLIER: StatusApplierRegistration = {
  name: 'network-vni-status',
  eventTypes: [NETWORK_VNI_CLAIMED, NETWORK_VNI_RELEASED],
  apply: async (recorded: RecordedEvent, ctx: StatusApplierContext) => {
    const data = recorded.data as NetworkVniClaimData;
    const network = await ctx.findByUid(data.networkUid);
    if (!network || network.kind !== 'Network') return;
    await ctx.updateStatus(network, (status) => {
      if (recorded.type === NETWORK_VNI_CLAIMED) return { ...status, vni: data.vni };
      if (status.vni !== data.vni) return status;
      const rest = { ...status };
      delete rest.vni;
      return rest;
    });
  },
};
