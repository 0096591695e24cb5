export * from './api-group';
export * from './k8s-status';
export * from './object-meta';
export * from './kinds';
export * from './network';
export * from './network-claims';
export * from './network-interface';
export * from './natgateway';
export * from './natgateway-autoscaler';
export * from './resource-events';
export * from './resource-schemas';
export * from './label-selector';
export * from './field-selector';
export * from './selector-limits';
export * from './dto/object-meta.dto';
export * from './dto/references.dto';
export * from './dto/resource.dto';
export * from './dto/network.dto';
export * from './dto/network-interface.dto';
export * from './dto/natgateway.dto';
export * from './validation/drain-ips';
export * from './validation/dynamic-port-allocation';
export * from './dto/natgateway-autoscaler.dto';
export { describeCause, fieldError, renderValue } from './validation/field-errors';
export { isDns1123Label, isDns1123Subdomain, validateDnsName } from './validation/dns';
export {
  compareIPs,
  isPrivateIP,
  isPublicCapableIP,
  parseIP,
  type ParsedIP,
} from './validation/ip';
export {
  validateAnnotations,
  validateLabels,
  TOTAL_ANNOTATION_SIZE_LIMIT,
} from './validation/metadata-maps';
export * from './validation/validate-resource';
