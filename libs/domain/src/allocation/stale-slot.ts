import type { NatSlot } from './allocation-state';
import type { EligibleNic } from './eligibility';

/**
 * Why a slot a NIC keeps no longer describes the NIC: the details a node programs from it
 * changed. The slot's ports stay; it is released ('NetworkInterfaceUpdated') and assigned again
 * with the current details. Undefined when the slot is current.
 */
export type StaleSlotDetail = 'privateIp' | 'nodeName' | 'vni' | 'nicName' | 'namespace';

/**
 * The first detail in which a kept slot differs from the NIC it belongs to and the VNI of the
 * NIC's network: the private address (the rule would translate the wrong source), the node (the
 * wrong executor would program it), the VNI (the rule would match another network's traffic, or
 * a slot recorded before networks had VNIs), or the NIC's name and namespace (what status and
 * audit show). `vni` undefined means the gateway's network has none, and slots carry none.
 */
export function staleSlotDetail(
  slot: NatSlot,
  nic: EligibleNic,
  vni: number | undefined,
): StaleSlotDetail | undefined {
  if (slot.privateIp !== nic.privateIp) return 'privateIp';
  if (slot.nodeName !== nic.nodeName) return 'nodeName';
  if (slot.vni !== vni) return 'vni';
  if (slot.nicName !== nic.name) return 'nicName';
  if (slot.namespace !== nic.namespace) return 'namespace';
  return undefined;
}

/** True when two slots are the same rule: the same NIC, details, VNI, public IP and ports. */
export function sameSlot(a: NatSlot, b: NatSlot): boolean {
  return (
    a.nicUid === b.nicUid &&
    a.nicName === b.nicName &&
    a.namespace === b.namespace &&
    a.privateIp === b.privateIp &&
    a.nodeName === b.nodeName &&
    a.vni === b.vni &&
    a.ip === b.ip &&
    a.port === b.port &&
    a.endPort === b.endPort
  );
}
