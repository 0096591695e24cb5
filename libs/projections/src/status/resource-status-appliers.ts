import { ALLOCATION_STATUS_APPLIER } from './allocation-status.applier';
import { DATAPLANE_STATUS_APPLIER } from './dataplane-status.applier';
import { NETWORK_VNI_STATUS_APPLIER } from './network-vni-status.applier';
import { PORT_USAGE_STATUS_APPLIER } from './port-usage-status.applier';
import type { StatusApplierRegistration } from './status-applier';

/**
 * The status appliers every process that runs the resource projection uses. The
 * projection is shared (one checkpoint), so all of them must run the same list:
 * add a service's appliers here, not in the service.
 */
export const RESOURCE_STATUS_APPLIERS: readonly StatusApplierRegistration[] = [
  ALLOCATION_STATUS_APPLIER,
  DATAPLANE_STATUS_APPLIER,
  NETWORK_VNI_STATUS_APPLIER,
  PORT_USAGE_STATUS_APPLIER,
];
