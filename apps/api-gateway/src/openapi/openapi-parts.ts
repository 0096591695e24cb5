/** An OpenAPI operation or parameter object, as plain JSON. */
export type Operation = Record<string, unknown>;
export type Parameter = Record<string, unknown>;

/** A group, version and kind, as `x-kubernetes-group-version-kind` carries it. */
export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

/** What an operation does, in the `x-kubernetes-action` vocabulary kubectl reads. */
export type KubernetesAction = 'get' | 'list' | 'post' | 'put' | 'patch' | 'delete';

/** A reference to a component schema. */
export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** An optional query parameter. */
export const query = (name: string, description: string, type = 'string'): Parameter => ({
  name,
  in: 'query',
  required: false,
  description,
  schema: { type },
});

/** A path parameter. */
export const pathParam = (name: string, description: string): Parameter => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: { type: 'string' },
});

export const NAMESPACE = pathParam('namespace', 'The namespace (a DNS-1123 label).');
export const NAME = pathParam('name', 'The object name.');

/** The query parameters of a write (POST, PUT, PATCH). kubectl apply requires `fieldValidation`. */
export const WRITE_PARAMS = [
  query('dryRun', 'All: validate and default, store nothing.'),
  query(
    'fieldValidation',
    'Strict (default): unknown fields are a 400; Warn: a Warning header; Ignore.',
  ),
  query(
    'fieldManager',
    "The writer's name (e.g. kubectl-client-side-apply): recorded in metadata.managedFields for the networking.ironcore.dev kinds (default: the User-Agent's product); required for server-side apply.",
  ),
];

/** The query parameters of a read that may answer a Table. */
export const READ_PARAMS = [
  query(
    'includeObject',
    'With Accept: application/json;as=Table;v=v1;g=meta.k8s.io: what each row carries (None, Metadata (default) or Object).',
  ),
];

/** The query parameters of a list or watch. */
export const LIST_PARAMS = [
  query('labelSelector', 'a=b, a==b, a!=b, a in (x,y), a notin (x,y), a, !a; comma-separated.'),
  query('fieldSelector', 'metadata.name and metadata.namespace, with =, == or !=.'),
  query(
    'limit',
    'Page size; the list then carries metadata.continue while more follow.',
    'integer',
  ),
  query('continue', 'The token of the previous page: pages form one consistent snapshot.'),
  query('resourceVersion', 'With watch: resume after this version (410 Gone when it is too old).'),
  query('watch', 'true: stream newline-delimited {type, object} events.', 'boolean'),
  query('allowWatchBookmarks', 'true: the watch also sends periodic BOOKMARK events.', 'boolean'),
  query('timeoutSeconds', 'End the watch after this many seconds.', 'integer'),
];

/** The error codes a write may answer. */
export const ERRORS = [400, 401, 403, 404, 405, 409, 410, 413, 415, 422];

/** JSON content of a schema. */
export const json = (schema: object) => ({ 'application/json': { schema } });

/** The responses of an operation: `ok` with the schema, every other code a Status. */
export function responses(ok: number, schema: object, codes: number[]): Record<string, unknown> {
  const out: Record<string, unknown> = { [ok]: { description: 'OK', content: json(schema) } };
  for (const code of codes)
    out[code] = { description: 'A Kubernetes Status', content: json(ref('Status')) };
  return out;
}

/**
 * An operation, with the extensions kubectl looks for: `x-kubernetes-action` and
 * `x-kubernetes-group-version-kind` (kubectl apply finds the PATCH of a kind by them
 * and checks it declares `fieldValidation`; kubectl explain finds the kind's schema).
 */
export function op(
  id: string,
  summary: string,
  action: KubernetesAction,
  gvk: GroupVersionKind,
  extra: Operation,
): Operation {
  return {
    operationId: id,
    summary,
    tags: [gvk.group],
    security: [{ bearer: [] }],
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk,
    ...extra,
  };
}

/** The request body of a write: the object in each media type, an operation array for JSON patch. */
export function writeBody(object: object, types: string[]): Record<string, unknown> {
  return {
    required: true,
    content: Object.fromEntries(
      types.map((t) => [
        t,
        {
          schema: t.includes('json-patch') ? { type: 'array', items: { type: 'object' } } : object,
        },
      ]),
    ),
  };
}

/** Kubernetes' DeleteOptions, as far as natgw reads them. */
export const DELETE_OPTIONS_SCHEMA = {
  type: 'object',
  description: 'The optional body of a DELETE.',
  properties: {
    apiVersion: { type: 'string', example: 'v1' },
    kind: { type: 'string', example: 'DeleteOptions' },
    dryRun: { type: 'array', items: { type: 'string' }, description: '["All"]: delete nothing.' },
    preconditions: {
      type: 'object',
      description: 'The delete happens only if the object still has this uid and resourceVersion.',
      properties: { uid: { type: 'string' }, resourceVersion: { type: 'string' } },
    },
    propagationPolicy: { type: 'string', description: 'Accepted; natgw has no dependents.' },
    gracePeriodSeconds: { type: 'integer', description: 'Accepted; has no effect.' },
  },
};
