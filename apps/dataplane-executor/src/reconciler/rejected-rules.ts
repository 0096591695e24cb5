import { type NatRule, natRuleKey } from '@natgw/domain';
import type { RejectedNatRule } from '../backends';

/** How many rejected NICs an event lists: even with the longest names and messages, an event stays well under a bus message (1 MiB). */
export const LISTED_REJECTIONS = 500;

/** How long one rejection's message may be in an event. */
const MESSAGE_LENGTH = 300;

/** One NIC whose rule the node's dataplane left out, as the events name it. */
export interface RejectedNic {
  nicUid: string;
  nicName?: string;
  gatewayUid: string;
  family: NatRule['family'];
  reason: RejectedNatRule['reason'];
  message: string;
}

/** The desired rules without the rejected ones: what should be in effect after the apply. */
export function withoutRejected(
  rules: readonly NatRule[],
  rejected: readonly RejectedNatRule[],
): NatRule[] {
  if (rejected.length === 0) return [...rules];
  const left = new Set(rejected.map((r) => natRuleKey(r.rule)));
  return rules.filter((rule) => !left.has(natRuleKey(rule)));
}

/** The rejections as events list them: one entry per NIC and family, in a stable order. */
export function rejectedNics(rejected: readonly RejectedNatRule[]): RejectedNic[] {
  return rejected
    .map(({ rule, reason, message }) => ({
      nicUid: rule.nicUid,
      ...(rule.nicName ? { nicName: rule.nicName } : {}),
      gatewayUid: rule.gatewayUid,
      family: rule.family,
      reason,
      message: message.slice(0, MESSAGE_LENGTH),
    }))
    .sort((a, b) =>
      a.nicUid === b.nicUid ? a.family.localeCompare(b.family) : a.nicUid < b.nicUid ? -1 : 1,
    );
}

/** Equal for two sets of rejections that name the same NICs, reasons and messages. */
export function rejectionsKey(nics: readonly RejectedNic[]): string {
  return JSON.stringify(nics);
}
