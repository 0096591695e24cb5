import { ResourceObject } from './object-meta';

/** A Network has no settings natgw acts on; `spec` may be empty. */
export type NetworkSpec = Record<string, never>;

/** Network status is empty for now. */
export type NetworkStatus = Record<string, never>;

export type Network = ResourceObject<'Network', NetworkSpec, NetworkStatus>;
