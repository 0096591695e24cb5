import { LocalObjectReference, ResourceObject } from './object-meta';

export const DEFAULT_MIN_PUBLIC_IPS = 1;
export const DEFAULT_MAX_PUBLIC_IPS = 10;

/**
 * The most public IPs one gateway may ask for (minPublicIPs and maxPublicIPs), unless the
 * operator sets MAX_PUBLIC_IPS_PER_GATEWAY: one object must not claim a whole shared pool.
 */
export const DEFAULT_MAX_PUBLIC_IPS_PER_GATEWAY = 64;
/** The largest MAX_PUBLIC_IPS_PER_GATEWAY an operator may configure. */
export const MAX_PUBLIC_IPS_PER_GATEWAY_LIMIT = 1024;

export interface NATGatewayAutoscalerSpec {
  natGatewayRef: LocalObjectReference;
  minPublicIPs: number;
  maxPublicIPs: number;
}

export type NATGatewayAutoscalerStatus = Record<string, never>;

export type NATGatewayAutoscaler = ResourceObject<
  'NATGatewayAutoscaler',
  NATGatewayAutoscalerSpec,
  NATGatewayAutoscalerStatus
>;
