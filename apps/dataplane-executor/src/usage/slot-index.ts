import type { NatRule } from '@natgw/domain';

/** One programmed NIC slot whose conntrack entries are counted. */
export interface UsageSlot {
  readonly rule: NatRule;
  /** Ports in the slot: endPort - port + 1. */
  readonly size: number;
}

/**
 * Finds the slot a translated source (NAT IP, port) belongs to. On one node the slots of a NAT
 * IP never overlap (the dataplane rejects overlapping ones as SlotConflict), so the reply
 * direction of a conntrack entry (its destination is the NAT IP and the translated port) names
 * exactly one NIC's slot, in network mode too: reply tuples are not zoned.
 */
export class SlotIndex {
  private readonly byIp = new Map<string, { starts: Int32Array; slots: UsageSlot[] }>();
  readonly slots: readonly UsageSlot[];
  /** The gateways the rules belong to. */
  readonly gatewayUids: ReadonlySet<string>;

  constructor(rules: readonly NatRule[]) {
    const grouped = new Map<string, UsageSlot[]>();
    for (const rule of rules) {
      const list = grouped.get(rule.natIp) ?? [];
      list.push({ rule, size: rule.endPort - rule.port + 1 });
      grouped.set(rule.natIp, list);
    }
    const all: UsageSlot[] = [];
    for (const [ip, list] of grouped) {
      list.sort((a, b) => a.rule.port - b.rule.port);
      this.byIp.set(ip, { starts: Int32Array.from(list.map((s) => s.rule.port)), slots: list });
      all.push(...list);
    }
    this.slots = all;
    this.gatewayUids = new Set(rules.map((r) => r.gatewayUid));
  }

  /** The slot holding this NAT IP and port, if natgw programmed one. */
  find(natIp: string, port: number): UsageSlot | undefined {
    const onIp = this.byIp.get(natIp);
    if (!onIp) return undefined;
    // The last slot starting at or below the port.
    let lo = 0;
    let hi = onIp.starts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (onIp.starts[mid] <= port) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0) return undefined;
    const slot = onIp.slots[found];
    return port <= slot.rule.endPort ? slot : undefined;
  }
}
