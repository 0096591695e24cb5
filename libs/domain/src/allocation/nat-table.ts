import { compareNumericIps, parseIp, type NumericIp } from './addresses';
import type { AllocationState, NatSlot } from './allocation-state';

/** The NIC a NAT table section belongs to (Ironcore's targetRef). */
export interface NatTableTargetRef {
  readonly uid: string;
  readonly name: string;
  readonly nodeName?: string;
}

/** One NIC's slot on a public IP: its private address and the inclusive port range. */
export interface NatTableSection {
  /** The NIC's private address. */
  readonly ip: string;
  readonly port: number;
  readonly endPort: number;
  readonly targetRef: NatTableTargetRef;
  /**
   * Set on a retiring slot (its IP drains): the slot carries only the NIC's existing
   * connections and is released at this instant (RFC 3339). Absent on the NIC's active slot.
   */
  readonly retiringUntil?: string;
}

/** A public IP of the gateway and the slots on it, sorted by port. */
export interface NatTableIp {
  readonly ip: string;
  readonly sections: readonly NatTableSection[];
}

/** The Ironcore-shaped NAT table of one gateway: IPs sorted by address. */
export interface GatewayNatTable {
  readonly ips: readonly NatTableIp[];
}

/**
 * Builds the NAT table from held IPs and slots. Every held IP is listed, with no sections when no
 * NIC uses it yet (a gateway at minPublicIPs with no NICs still shows its addresses).
 */
export function natTableFromSlots(
  ips: Iterable<string>,
  slots: Iterable<NatSlot & { readonly deadline?: string }>,
): GatewayNatTable {
  const byIp = new Map<string, { numeric: NumericIp; sections: NatTableSection[] }>();
  const entry = (ip: string) => {
    let found = byIp.get(ip);
    if (found === undefined) {
      found = { numeric: parseIp(ip), sections: [] };
      byIp.set(ip, found);
    }
    return found;
  };
  for (const ip of ips) entry(ip);
  for (const slot of slots) {
    entry(slot.ip).sections.push({
      ip: slot.privateIp,
      port: slot.port,
      endPort: slot.endPort,
      targetRef: {
        uid: slot.nicUid,
        name: slot.nicName,
        ...(slot.nodeName !== undefined ? { nodeName: slot.nodeName } : {}),
      },
      ...(slot.deadline !== undefined ? { retiringUntil: slot.deadline } : {}),
    });
  }
  return {
    ips: [...byIp.entries()]
      .sort(([, a], [, b]) => compareNumericIps(a.numeric, b.numeric))
      .map(([ip, { sections }]) => ({
        ip,
        sections: sections.sort(
          (a, b) => a.port - b.port || a.targetRef.uid.localeCompare(b.targetRef.uid),
        ),
      })),
  };
}

/** The NAT table of a gateway's allocation state, retiring slots included (empty once closed). */
export function natTableOf(state: AllocationState): GatewayNatTable {
  return natTableFromSlots(state.ips, [
    ...state.slots.values(),
    ...(state.retiring?.values() ?? []),
  ]);
}
