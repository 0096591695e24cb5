import { LocalObjectReference, ResourceObject } from './object-meta';

export const DEFAULT_MIN_PUBLIC_IPS = 1;
export const DEFAULT_MAX_PUBLIC_IPS = 10;

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
