import type { DecidedEvent } from '../allocation/decided-event';

/** What a NATGatewayQuota can limit in its namespace. */
export const QUOTA_RESOURCES = ['natgateways', 'networkinterfaces', 'publicIPs'] as const;
export type QuotaResource = (typeof QUOTA_RESOURCES)[number];

/** Amounts per resource; a resource without an entry is not limited (hard) or not counted (used). */
export type QuotaAmounts = Partial<Record<QuotaResource, number>>;

/** The largest hard limit a quota accepts for any resource. */
export const MAX_QUOTA_AMOUNT = 1_000_000;

/** A quota was created or its spec or labels replaced (stream `natgatewayquota:<ns>/<name>`). */
export type NATGatewayQuotaSet = DecidedEvent<
  'NATGatewayQuotaSet',
  {
    uid: string;
    hard: QuotaAmounts;
    labels: Record<string, string>;
    /** Of the first Set of this incarnation; repeated on every Set. */
    creationTimestamp: string;
  }
>;
/** A quota was deleted; its name is free for a new one. */
export type NATGatewayQuotaDeleted = DecidedEvent<'NATGatewayQuotaDeleted', { uid: string }>;

export type QuotaEvent = NATGatewayQuotaSet | NATGatewayQuotaDeleted;

/** The event types of a quota stream. */
export const QUOTA_EVENT_TYPES: readonly QuotaEvent['type'][] = [
  'NATGatewayQuotaSet',
  'NATGatewayQuotaDeleted',
];

/** A live quota, folded from its stream. */
export interface QuotaState {
  readonly uid: string;
  readonly hard: QuotaAmounts;
  readonly labels: Record<string, string>;
  readonly creationTimestamp: string;
  /** Spec changes of this incarnation, from 1. */
  readonly generation: number;
}

/** Folds a quota stream: the live quota, or undefined when it never existed or was deleted. */
export function foldQuota(events: Iterable<QuotaEvent>): QuotaState | undefined {
  let state: QuotaState | undefined;
  for (const event of events) {
    if (event.type === 'NATGatewayQuotaDeleted') {
      state = undefined;
      continue;
    }
    const { uid, hard, labels, creationTimestamp } = event.data;
    let generation = 1;
    if (state?.uid === uid) generation = state.generation + (sameAmounts(state.hard, hard) ? 0 : 1);
    state = { uid, hard, labels, creationTimestamp, generation };
  }
  return state;
}

function sameAmounts(a: QuotaAmounts, b: QuotaAmounts): boolean {
  return QUOTA_RESOURCES.every((r) => a[r] === b[r]);
}

/** A quota as admission sees it: its name and its hard limits. */
export interface NamedQuota {
  readonly name: string;
  readonly hard: QuotaAmounts;
}

/** Why a request is refused: the quota, and the amounts Kubernetes' message names. */
export interface QuotaExceeded {
  readonly quota: string;
  readonly resource: QuotaResource;
  readonly requested: number;
  readonly used: number;
  readonly limited: number;
}

/**
 * The first quota (by name) that `requested` more of `resource` on top of `used` would exceed;
 * undefined when every quota allows it (or none limits the resource).
 */
export function exceededQuota(
  quotas: readonly NamedQuota[],
  resource: QuotaResource,
  requested: number,
  used: number,
): QuotaExceeded | undefined {
  // Stryker disable next-line EqualityOperator,ConditionalExpression: equivalent, names in a namespace are unique and V8's sort only asks whether the result is negative
  const byName = [...quotas].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const quota of byName) {
    const limited = quota.hard[resource];
    if (limited !== undefined && used + requested > limited) {
      return { quota: quota.name, resource, requested, used, limited };
    }
  }
  return undefined;
}

/** Kubernetes' wording: `exceeded quota: q, requested: natgateways=1, used: natgateways=3, limited: natgateways=3`. */
export function describeExceeded(e: QuotaExceeded): string {
  return `exceeded quota: ${e.quota}, requested: ${e.resource}=${e.requested}, used: ${e.resource}=${e.used}, limited: ${e.resource}=${e.limited}`;
}

/** The tightest hard limit on a resource over all quotas; undefined when none limits it. */
export function quotaLimit(
  quotas: readonly NamedQuota[],
  resource: QuotaResource,
): number | undefined {
  let limit: number | undefined;
  for (const quota of quotas) {
    const hard = quota.hard[resource];
    // Stryker disable next-line EqualityOperator: equivalent, replacing the limit by an equal one changes nothing
    if (hard !== undefined && (limit === undefined || hard < limit)) limit = hard;
  }
  return limit;
}
