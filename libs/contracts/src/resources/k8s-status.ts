/**
 * Kubernetes `Status` objects and their vocabulary: every API error is one of these,
 * so kubectl and client-go understand natgw's errors as they understand the API server's.
 */

/** `Status.reason`: why a request failed, machine-readable. */
export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Expired'
  | 'Gone'
  | 'RequestEntityTooLarge'
  | 'UnsupportedMediaType'
  | 'Invalid'
  | 'Timeout'
  | 'TooManyRequests'
  | 'InternalError'
  | 'ServiceUnavailable';

/** `StatusCause.reason`: what is wrong with one field (Kubernetes' CauseType values). */
export type CauseType =
  | 'FieldValueRequired'
  | 'FieldValueNotSupported'
  | 'FieldValueInvalid'
  | 'FieldValueTypeInvalid'
  | 'FieldValueForbidden'
  | 'FieldValueDuplicate'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueNotFound'
  /** Server-side apply: another field manager owns the field with another value. */
  | 'FieldManagerConflict'
  /** A watch-list's resourceVersion is newer than natgw's newest. */
  | 'ResourceVersionTooLarge'
  /** natgw's name for a field the schema does not declare (Strict field validation). */
  | 'FieldValueUnknown';

/** One broken field: its path (e.g. `spec.portsPerNetworkInterface`), the rule and a message. */
export interface StatusCause {
  field: string;
  reason: CauseType;
  message: string;
}

/** `Status.details`: which object the failure is about. */
export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** A Kubernetes `Status` (`kind: Status`, `apiVersion: v1`). */
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: StatusReason;
  details?: StatusDetails;
  code: number;
}

/** Builds a failure `Status`. */
export function failureStatus(
  code: number,
  reason: StatusReason,
  message: string,
  details?: StatusDetails,
): Status {
  const s: Status = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  };
  if (details && Object.keys(details).length > 0) s.details = details;
  return s;
}

/** Builds a success `Status` (e.g. the answer to a DELETE that removed the object at once). */
export function successStatus(details?: StatusDetails): Status {
  const s: Status = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    code: 200,
  };
  if (details) s.details = details;
  return s;
}

/** A watch event on the wire: one JSON object per line. */
export interface WatchEvent<T = unknown> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

/** List metadata: the list's resourceVersion and, when more pages follow, the continue token. */
export interface ListMeta {
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

/** A Kubernetes list (`<Kind>List`). */
export interface ResourceList<T> {
  apiVersion: string;
  kind: string;
  metadata: ListMeta;
  items: T[];
}
