import { createHash } from 'node:crypto';
import { OpenAPIObject } from '@nestjs/swagger';
import { SERVED_GROUP_VERSIONS, ServedGroupVersion } from '../discovery/served-resources';
import { markListTypes } from './list-types';

/** One per-group-version document, serialized once, and its content hash. */
export interface OpenApiV3Document {
  json: string;
  hash: string;
}

/** The Kubernetes-style OpenAPI v3 surface: the index and one document per group/version. */
export interface KubernetesOpenApi {
  /** `GET /openapi/v3`: `{paths: {"apis/<group>/<version>": {serverRelativeURL}}}`. */
  index: { paths: Record<string, { serverRelativeURL: string }> };
  /** By index key, e.g. `apis/networking.ironcore.dev/v1alpha1`. */
  documents: ReadonlyMap<string, OpenApiV3Document>;
}

type Json = Record<string, unknown>;

// The meta.k8s.io/v1 shapes every group shares, named as Kubernetes names them.
const META_SCHEMAS = new Set([
  'ObjectMeta',
  'Status',
  'StatusCause',
  'StatusDetails',
  'DeleteOptions',
  'Condition',
]);
const META_PREFIX = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const CORE_KINDS: Record<string, string> = { Status: 'Status', DeleteOptions: 'DeleteOptions' };

/** `networking.ironcore.dev` + v1alpha1 -> `dev.ironcore.networking.v1alpha1`, as for a CRD. */
function groupPrefix(gv: ServedGroupVersion): string {
  return `${gv.group.split('.').reverse().join('.')}.${gv.version}`;
}

const REF = '#/components/schemas/';

function refsIn(value: unknown, into: Set<string>): void {
  if (Array.isArray(value)) value.forEach((v) => refsIn(v, into));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith(REF)) into.add(v.slice(REF.length));
      else refsIn(v, into);
    }
  }
}

function renameRefs(value: unknown, rename: (name: string) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => renameRefs(v, rename));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      k === '$ref' && typeof v === 'string' && v.startsWith(REF)
        ? `${REF}${rename(v.slice(REF.length))}`
        : renameRefs(v, rename),
    ]),
  );
}

/** Every schema the paths reference, directly or through other schemas. */
function reachableSchemas(paths: Json, schemas: Json): string[] {
  const seen = new Set<string>();
  const queue = new Set<string>();
  refsIn(paths, queue);
  while (queue.size > 0) {
    const [name] = queue;
    queue.delete(name);
    if (seen.has(name) || !(name in schemas)) continue;
    seen.add(name);
    refsIn(schemas[name], queue);
  }
  return [...seen].sort();
}

function documentFor(gv: ServedGroupVersion, plain: OpenAPIObject): Json {
  const prefix = `/apis/${gv.group}/${gv.version}/`;
  const paths = Object.fromEntries(
    Object.entries(plain.paths).filter(([p]) => p.startsWith(prefix)),
  ) as Json;
  const all = (plain.components?.schemas ?? {}) as Json;
  const rename = (name: string) =>
    META_SCHEMAS.has(name) ? `${META_PREFIX}.${name}` : `${groupPrefix(gv)}.${name}`;
  const kinds = new Set(gv.resources.map((r) => r.kind));
  const schemas: Json = {};
  for (const name of reachableSchemas(paths, all)) {
    const schema = markListTypes(renameRefs(all[name], rename) as Json);
    const kind = kinds.has(name)
      ? name
      : name.endsWith('List') && kinds.has(name.slice(0, -4))
        ? name
        : name === 'NATTable'
          ? name
          : undefined;
    if (kind) {
      schema['x-kubernetes-group-version-kind'] = [{ group: gv.group, version: gv.version, kind }];
    } else if (CORE_KINDS[name]) {
      schema['x-kubernetes-group-version-kind'] = [
        { group: '', version: 'v1', kind: CORE_KINDS[name] },
      ];
    }
    schemas[rename(name)] = schema;
  }
  return {
    openapi: '3.0.0',
    info: { title: `natgw ${gv.group}`, version: gv.version },
    paths: renameRefs(paths, rename),
    components: {
      schemas,
      securitySchemes: plain.components?.securitySchemes ?? {},
    },
  };
}

/**
 * The OpenAPI v3 documents kubectl reads, cut per group/version from the plain
 * document: the resource paths (operations carry x-kubernetes-action and
 * x-kubernetes-group-version-kind, writes declare fieldValidation, which
 * `kubectl apply` checks) and the schemas they reach, named like a CRD's
 * (`dev.ironcore.networking.v1alpha1.NATGateway`), the kinds tagged with their
 * group-version-kind (which `kubectl explain` looks up), their lists marked with
 * their server-side apply list type (list-types.ts). Each document is
 * addressed with its content hash, so clients may cache it for good.
 */
export function buildKubernetesOpenApi(plain: OpenAPIObject): KubernetesOpenApi {
  const documents = new Map<string, OpenApiV3Document>();
  const index: KubernetesOpenApi['index'] = { paths: {} };
  for (const gv of SERVED_GROUP_VERSIONS) {
    const key = `apis/${gv.group}/${gv.version}`;
    const json = JSON.stringify(documentFor(gv, plain));
    const hash = createHash('sha512').update(json).digest('hex').toUpperCase();
    documents.set(key, { json, hash });
    index.paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` };
  }
  return { index, documents };
}
