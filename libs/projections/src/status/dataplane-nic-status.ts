import type { Condition, ResourceObject } from '@natgw/contracts';
import {
  DATAPLANE_SUBRESOURCE,
  NAT_PROGRAMMED_CONDITION,
  natProgrammedCondition,
  NicSlotProgress,
  nicSlotProgress,
} from './dataplane-status';
import type { StatusApplierContext } from './status-applier';

type Status = Record<string, unknown>;

function generationOf(object: ResourceObject): number {
  return (object.metadata as { generation?: number }).generation ?? 1;
}

/** Sets NATProgrammed from the NIC's slots (keeping the transition time while the status stays), or removes it. */
function applyNatProgrammed(
  status: Status,
  object: ResourceObject,
  slots: Record<string, NicSlotProgress>,
  at: string,
): Status {
  const conditions = ((status.conditions as Condition[] | undefined) ?? []).filter(
    (c) => c.type !== NAT_PROGRAMMED_CONDITION,
  );
  const next = natProgrammedCondition(slots);
  if (next) {
    const previous = (status.conditions as Condition[] | undefined)?.find(
      (c) => c.type === NAT_PROGRAMMED_CONDITION,
    );
    conditions.push({
      type: NAT_PROGRAMMED_CONDITION,
      ...next,
      observedGeneration: generationOf(object),
      lastTransitionTime:
        previous && previous.status === next.status ? previous.lastTransitionTime : at,
    });
    conditions.sort((a, b) => a.type.localeCompare(b.type));
  }
  const { conditions: _old, ...rest } = status;
  return conditions.length > 0 ? { ...rest, conditions } : rest;
}

/**
 * Changes what a NIC's `dataplane` subresource records about its slots (by gateway uid), then
 * derives its NATProgrammed condition from that alone. A NIC that is gone is skipped.
 */
export async function updateNicSlotProgress(
  ctx: StatusApplierContext,
  nicUid: string,
  at: string,
  mutate: (slots: Record<string, NicSlotProgress>) => void,
): Promise<void> {
  const nic = await ctx.findByUid(nicUid);
  if (!nic || nic.kind !== 'NetworkInterface') return;
  const slots = nicSlotProgress(nic);
  mutate(slots);
  await ctx.setSubresource(nic, DATAPLANE_SUBRESOURCE, slots);
  await ctx.updateStatus(nic, (status, object) => applyNatProgrammed(status, object, slots, at));
}
