/** Per-namespace quotas (NATGatewayQuota): events, fold and admission rules. */
export {
  describeExceeded,
  exceededQuota,
  foldQuota,
  MAX_QUOTA_AMOUNT,
  QUOTA_EVENT_TYPES,
  QUOTA_RESOURCES,
  quotaLimit,
  type NamedQuota,
  type NATGatewayQuotaDeleted,
  type NATGatewayQuotaSet,
  type QuotaAmounts,
  type QuotaEvent,
  type QuotaExceeded,
  type QuotaResource,
  type QuotaState,
} from './quota';
