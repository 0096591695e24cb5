import { isDns1123Label, isDns1123Subdomain, ResourceKindInfo } from '@natgw/contracts';
import { apiErrors } from '../http/api-error';

/**
 * Names from the URL that no object can have (not a DNS-1123 namespace or name)
 * are answered 404 before they reach a query: the object cannot exist, and such
 * bytes (NUL, for one) are not even storable.
 */
export function assertPathNames(
  info: ResourceKindInfo,
  namespace: string | undefined,
  name?: string,
): void {
  if (namespace !== undefined && !isDns1123Label(namespace)) {
    throw apiErrors.namespaceNotFound(namespace);
  }
  if (name !== undefined && !isDns1123Subdomain(name)) throw apiErrors.notFound(info, name);
}
