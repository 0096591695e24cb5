import { QUOTA_RESOURCES, QuotaAmounts } from '@natgw/domain';
import { StoredQuota } from '@natgw/projections';
import { ADMIN_API_VERSION } from '../pools/ip-pool-object';

/** The kind and URL names of the per-namespace quota in the admin group natgw.ironcore.dev. */
export const QUOTA_KIND = 'NATGatewayQuota';
export const QUOTA_PLURAL = 'natgatewayquotas';

/** How the API shows a quota. */
export interface QuotaObject {
  apiVersion: string;
  kind: typeof QUOTA_KIND;
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    resourceVersion: string;
    generation: number;
    creationTimestamp: string;
    labels?: Record<string, string>;
  };
  spec: { hard: QuotaAmounts };
  status: { hard: QuotaAmounts; used: QuotaAmounts };
}

/** Only the resources a quota limits, in a stable order. */
function limited(hard: QuotaAmounts, amounts: QuotaAmounts): QuotaAmounts {
  const out: QuotaAmounts = {};
  for (const r of QUOTA_RESOURCES) if (hard[r] !== undefined) out[r] = amounts[r] ?? 0;
  return out;
}

/** The object of a quota with the namespace's usage (status.used lists what status.hard lists). */
export function quotaObject(quota: StoredQuota, used: QuotaAmounts): QuotaObject {
  const { state } = quota;
  const labels = Object.keys(state.labels).length > 0 ? { labels: state.labels } : {};
  return {
    apiVersion: ADMIN_API_VERSION,
    kind: QUOTA_KIND,
    metadata: {
      name: quota.name,
      namespace: quota.namespace,
      uid: state.uid,
      resourceVersion: String(quota.version),
      generation: state.generation,
      creationTimestamp: state.creationTimestamp,
      ...labels,
    },
    spec: { hard: limited(state.hard, state.hard) },
    status: { hard: limited(state.hard, state.hard), used: limited(state.hard, used) },
  };
}
