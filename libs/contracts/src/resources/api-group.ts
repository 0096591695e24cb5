/** The API group of natgw's user-facing resources (the same as Ironcore's). */
export const API_GROUP = 'networking.ironcore.dev';

/** The served version of the group. */
export const API_VERSION_NAME = 'v1alpha1';

/** `apiVersion` of every resource object: `networking.ironcore.dev/v1alpha1`. */
export const API_VERSION = `${API_GROUP}/${API_VERSION_NAME}`;

/** The finalizer natgw puts on objects that hold allocations (public IPs, NAT slots). */
export const ALLOCATION_FINALIZER = 'natgw.ironcore.dev/allocation';
