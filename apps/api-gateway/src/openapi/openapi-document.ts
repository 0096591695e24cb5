import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import {
  API_GROUP,
  API_VERSION,
  API_VERSION_NAME,
  RESOURCE_KINDS,
  RESOURCE_SCHEMAS,
  ResourceKindInfo,
} from '@natgw/contracts';
import { NatTableDto, StatusDto } from './status.dto';

type Operation = Record<string, unknown>;
type Parameter = Record<string, unknown>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const query = (name: string, description: string, type = 'string'): Parameter => ({
  name,
  in: 'query',
  required: false,
  description,
  schema: { type },
});
const path = (name: string, description: string): Parameter => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: { type: 'string' },
});

const NAMESPACE = path('namespace', 'The namespace (a DNS-1123 label).');
const NAME = path('name', 'The object name.');
const WRITE_PARAMS = [
  query('dryRun', 'All: validate and default, store nothing.'),
  query(
    'fieldValidation',
    'Strict (default): unknown fields are a 400; Warn: a Warning header; Ignore.',
  ),
];
const LIST_PARAMS = [
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

const ERRORS = [400, 401, 403, 404, 405, 409, 410, 413, 415, 422];
const json = (schema: object) => ({ 'application/json': { schema } });

function responses(ok: number, schema: object, codes: number[]): Record<string, unknown> {
  const out: Record<string, unknown> = { [ok]: { description: 'OK', content: json(schema) } };
  for (const code of codes)
    out[code] = { description: 'A Kubernetes Status', content: json(ref('Status')) };
  return out;
}

function op(id: string, summary: string, extra: Operation): Operation {
  return { operationId: id, summary, tags: [API_GROUP], security: [{ bearer: [] }], ...extra };
}

function kindPaths(info: ResourceKindInfo): Record<string, Record<string, Operation>> {
  const base = `/apis/${API_GROUP}/${API_VERSION_NAME}`;
  const collection = `${base}/namespaces/{namespace}/${info.plural}`;
  const item = `${collection}/{name}`;
  const k = info.kind;
  const object = ref(k);
  const list = ref(`${k}List`);
  const body = (types: string[]) => ({
    required: true,
    content: Object.fromEntries(
      types.map((t) => [
        t,
        {
          schema: t.includes('json-patch') ? { type: 'array', items: { type: 'object' } } : object,
        },
      ]),
    ),
  });
  const paths: Record<string, Record<string, Operation>> = {
    [`${base}/${info.plural}`]: {
      get: op(`list${k}ForAllNamespaces`, `List or watch ${k} objects of every namespace`, {
        parameters: LIST_PARAMS,
        responses: responses(200, list, [400, 401, 403, 410]),
      }),
    },
    [collection]: {
      get: op(`list${k}`, `List or watch ${k} objects`, {
        parameters: [NAMESPACE, ...LIST_PARAMS],
        responses: responses(200, list, [400, 401, 403, 410]),
      }),
      post: op(`create${k}`, `Create a ${k} (JSON or YAML)`, {
        parameters: [NAMESPACE, ...WRITE_PARAMS],
        requestBody: body(['application/json', 'application/yaml']),
        responses: responses(201, object, ERRORS),
      }),
    },
    [item]: {
      get: op(`read${k}`, `Read a ${k}`, {
        parameters: [NAMESPACE, NAME],
        responses: responses(200, object, [401, 403, 404]),
      }),
      put: op(`replace${k}`, `Replace a ${k}'s labels, annotations and spec`, {
        parameters: [NAMESPACE, NAME, ...WRITE_PARAMS],
        requestBody: body(['application/json', 'application/yaml']),
        responses: responses(200, object, ERRORS),
      }),
      patch: op(`patch${k}`, `Patch a ${k} (JSON merge patch or JSON patch)`, {
        parameters: [NAMESPACE, NAME, ...WRITE_PARAMS],
        requestBody: body(['application/merge-patch+json', 'application/json-patch+json']),
        responses: responses(200, object, ERRORS),
      }),
      delete: op(`delete${k}`, `Delete a ${k}`, {
        parameters: [NAMESPACE, NAME, query('dryRun', 'All: check, delete nothing.')],
        responses: responses(200, { oneOf: [object, ref('Status')] }, [401, 403, 404, 409]),
      }),
    },
    [`${item}/status`]: {
      get: op(`read${k}Status`, `Read a ${k} (status is written by natgw only)`, {
        parameters: [NAMESPACE, NAME],
        responses: responses(200, object, [401, 403, 404]),
      }),
    },
  };
  if (k === 'NATGateway') {
    paths[`${item}/nattable`] = {
      get: op('readNATGatewayNATTable', 'Read the NAT table of a NATGateway', {
        parameters: [NAMESPACE, NAME],
        responses: responses(200, ref('NATTable'), [401, 403, 404]),
      }),
    };
  }
  return paths;
}

/**
 * The OpenAPI 3 document: component schemas generated from the DTO classes
 * (class-validator and @nestjs/swagger decorators), and the resource paths of
 * every kind, which share one generic controller and so are listed here.
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('natgw API')
    .setDescription(
      'NAT gateways for Ironcore-style clouds: Kubernetes-style resources of networking.ironcore.dev/v1alpha1. Errors are Kubernetes Status objects.',
    )
    .setVersion(API_VERSION)
    .addBearerAuth({ type: 'http', scheme: 'bearer' }, 'bearer')
    .build();
  const dtos = RESOURCE_KINDS.map((k) => RESOURCE_SCHEMAS[k.kind].dto);
  const doc = SwaggerModule.createDocument(app, config, {
    extraModels: [...dtos, StatusDto, NatTableDto],
  });
  const schemas = (doc.components ??= {}).schemas ?? (doc.components.schemas = {});
  for (const info of RESOURCE_KINDS) {
    schemas[`${info.kind}List`] = {
      type: 'object',
      properties: {
        apiVersion: { type: 'string', example: API_VERSION },
        kind: { type: 'string', example: `${info.kind}List` },
        metadata: {
          type: 'object',
          properties: { resourceVersion: { type: 'string' }, continue: { type: 'string' } },
        },
        items: { type: 'array', items: ref(info.kind) },
      },
    };
    Object.assign(doc.paths, kindPaths(info));
  }
  return doc;
}
