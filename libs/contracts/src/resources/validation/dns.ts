import { StatusCause } from '../k8s-status';
import { fieldError } from './field-errors';

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const DNS1123_LABEL_MAX = 63;
export const DNS1123_SUBDOMAIN_MAX = 253;

const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name', or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

/** True for a DNS-1123 label (`my-name`, at most 63 characters). */
export function isDns1123Label(value: string): boolean {
  return value.length <= DNS1123_LABEL_MAX && LABEL.test(value);
}

/** True for a DNS-1123 subdomain (`a.b-c`, at most 253 characters). */
export function isDns1123Subdomain(value: string): boolean {
  return value.length <= DNS1123_SUBDOMAIN_MAX && SUBDOMAIN.test(value);
}

/** The causes for a name that must be a DNS-1123 label or subdomain (none when it is one). */
export function validateDnsName(
  field: string,
  value: string,
  rule: 'label' | 'subdomain',
): StatusCause[] {
  const max = rule === 'label' ? DNS1123_LABEL_MAX : DNS1123_SUBDOMAIN_MAX;
  if (value.length > max) return [fieldError.tooLong(field, max)];
  const ok = rule === 'label' ? LABEL.test(value) : SUBDOMAIN.test(value);
  return ok ? [] : [fieldError.invalid(field, value, rule === 'label' ? LABEL_MSG : SUBDOMAIN_MSG)];
}
