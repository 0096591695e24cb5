import { comparePrefixes, IpPoolState, poolUsage } from '@natgw/domain';

/** The admin API group of cluster-scoped natgw resources such as IPPool. */
export const ADMIN_GROUP = 'natgw.ironcore.dev';
export const ADMIN_API_VERSION = `${ADMIN_GROUP}/v1alpha1`;

/** How the API shows one IP pool: its prefixes and their usage. */
export interface IpPoolObject {
  apiVersion: string;
  kind: 'IPPool';
  metadata: { name: string; resourceVersion: string; creationTimestamp?: string };
  spec: { prefixes: string[] };
  status: {
    prefixes: Array<{ prefix: string; family: string; total: string; used: number; free: string }>;
  };
}

/**
 * The IPPool object of a folded `ippool:<name>` stream. resourceVersion is the
 * stream version, so a write with it is an optimistic-concurrency check.
 */
export function ipPoolObject(
  name: string,
  version: number,
  state: IpPoolState,
  createdAt?: string,
): IpPoolObject {
  const prefixes = [...state.prefixes].sort(comparePrefixes);
  return {
    apiVersion: ADMIN_API_VERSION,
    kind: 'IPPool',
    metadata: {
      name,
      resourceVersion: String(version),
      ...(createdAt ? { creationTimestamp: createdAt } : {}),
    },
    spec: { prefixes: prefixes.map((p) => p.cidr) },
    // Totals are strings: an IPv6 prefix holds more addresses than a JSON number can.
    status: {
      prefixes: poolUsage(state).map((u) => ({
        prefix: u.prefix,
        family: u.family,
        total: u.total.toString(),
        used: u.used,
        free: u.free.toString(),
      })),
    },
  };
}
