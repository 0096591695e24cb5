/** The metadata natgw keeps for every object (a subset of Kubernetes' ObjectMeta). */
export interface ObjectMeta {
  name: string;
  namespace: string;
  uid: string;
  /** Opaque to clients; monotonic in commit order (a decimal string, as in Kubernetes). */
  resourceVersion: string;
  /** Bumped on spec changes only. */
  generation: number;
  /** RFC 3339, seconds precision. */
  creationTimestamp: string;
  /** Set once deletion was requested; the object stays until natgw released what it holds. */
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  /** Which field manager owns which fields (server-side apply), as Kubernetes records it. */
  managedFields?: ManagedFieldsEntry[];
}

/** One entry of `metadata.managedFields`: a manager, how it wrote (Apply or Update), its fields. */
export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  /** RFC 3339, seconds: when this manager last changed its fields. */
  time: string;
  fieldsType: 'FieldsV1';
  /** `{"f:spec":{"f:portsPerNetworkInterface":{}}}`: the fields, as structured-merge-diff encodes them. */
  fieldsV1: Record<string, unknown>;
}

/** A reference to an object in the same namespace. */
export interface LocalObjectReference {
  name: string;
}

/** A Kubernetes condition (`Ready`, ...). */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  /** The `metadata.generation` the writer of this condition acted on. */
  observedGeneration: number;
  lastTransitionTime: string;
}

/** A resource object as served: `apiVersion`, `kind`, `metadata`, `spec`, `status`. */
export interface ResourceObject<Kind extends string = string, Spec = object, Status = object> {
  apiVersion: string;
  kind: Kind;
  metadata: ObjectMeta;
  spec: Spec;
  status: Status;
}

/** Kubernetes' time format: RFC 3339 in UTC with seconds precision. */
export function formatTimestamp(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}
