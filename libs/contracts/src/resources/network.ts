import { ResourceObject } from './object-meta';

/** The lowest VNI a Network can have (VXLAN network identifiers are 24 bits; 0 is reserved). */
export const MIN_VNI = 1;
/** The highest VNI a Network can have: 2^24 - 1. */
export const MAX_VNI = 16_777_215;

/**
 * A Network's spec. `vni` may pin the network's VNI at create; when absent, natgw assigns a free
 * one and stores it here (as the Kubernetes API server does with a Service's `spec.clusterIP`).
 * It is immutable afterwards, and an update that omits it keeps it.
 */
export interface NetworkSpec {
  vni?: number;
}

/** What natgw assigned: the VNI the network holds (unique among live Networks). */
export interface NetworkStatus {
  vni?: number;
}

export type Network = ResourceObject<'Network', NetworkSpec, NetworkStatus>;
