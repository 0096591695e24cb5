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
import { ipPoolPaths, ipPoolSchemas } from './ip-pool-openapi';
import { quotaPaths, quotaSchemas } from './quota-openapi';
import {
  DELETE_OPTIONS_SCHEMA,
  ERRORS,
  json,
  LIST_PARAMS,
  NAME,
  NAMESPACE,
  op,
  Operation,
  query,
  READ_PARAMS,
  ref,
  responses,
  WRITE_PARAMS,
  writeBody,
} from './openapi-parts';
import { NatTableDto, StatusDto } from './status.dto';

function kindPaths(info: ResourceKindInfo): Record<string, Record<string, Operation>> {
  const base = `/apis/${API_GROUP}/${API_VERSION_NAME}`;
  const collection = `${base}/namespaces/{namespace}/${info.plural}`;
  const item = `${collection}/{name}`;
  const k = info.kind;
  const gvk = { group: API_GROUP, version: API_VERSION_NAME, kind: k };
  const object = ref(k);
  const list = ref(`${k}List`);
  const body = (types: string[]) => writeBody(object, types);
  const paths: Record<string, Record<string, Operation>> = {
    [`${base}/${info.plural}`]: {
      get: op(
        `list${k}ForAllNamespaces`,
        `List or watch ${k} objects of every namespace`,
        'list',
        gvk,
        {
          parameters: [...LIST_PARAMS, ...READ_PARAMS],
          responses: responses(200, list, [400, 401, 403, 410]),
        },
      ),
    },
    [collection]: {
      get: op(`list${k}`, `List or watch ${k} objects`, 'list', gvk, {
        parameters: [NAMESPACE, ...LIST_PARAMS, ...READ_PARAMS],
        responses: responses(200, list, [400, 401, 403, 410]),
      }),
      post: op(`create${k}`, `Create a ${k} (JSON or YAML)`, 'post', gvk, {
        parameters: [NAMESPACE, ...WRITE_PARAMS],
        requestBody: body(['application/json', 'application/yaml']),
        responses: responses(201, object, ERRORS),
      }),
    },
    [item]: {
      get: op(`read${k}`, `Read a ${k}`, 'get', gvk, {
        parameters: [NAMESPACE, NAME, ...READ_PARAMS],
        responses: responses(200, object, [401, 403, 404]),
      }),
      put: op(`replace${k}`, `Replace a ${k}'s labels, annotations and spec`, 'put', gvk, {
        parameters: [NAMESPACE, NAME, ...WRITE_PARAMS],
        requestBody: body(['application/json', 'application/yaml']),
        responses: responses(200, object, ERRORS),
      }),
      patch: op(
        `patch${k}`,
        `Patch a ${k} (JSON merge patch, JSON patch or server-side apply)`,
        'patch',
        gvk,
        {
          parameters: [
            NAMESPACE,
            NAME,
            ...WRITE_PARAMS,
            query('force', 'Server-side apply: take over fields other managers own (no 409).'),
          ],
          requestBody: body([
            'application/merge-patch+json',
            'application/json-patch+json',
            'application/apply-patch+yaml',
          ]),
          responses: responses(200, object, ERRORS),
        },
      ),
      delete: op(`delete${k}`, `Delete a ${k}`, 'delete', gvk, {
        parameters: [NAMESPACE, NAME, query('dryRun', 'All: check, delete nothing.')],
        requestBody: {
          required: false,
          content: json(ref('DeleteOptions')),
        },
        responses: responses(200, { oneOf: [object, ref('Status')] }, [401, 403, 404, 409]),
      }),
    },
    [`${item}/status`]: {
      get: op(`read${k}Status`, `Read a ${k} (status is written by natgw only)`, 'get', gvk, {
        parameters: [NAMESPACE, NAME, ...READ_PARAMS],
        responses: responses(200, object, [401, 403, 404]),
      }),
    },
  };
  if (k === 'NATGateway') {
    paths[`${item}/nattable`] = {
      get: op(
        'readNATGatewayNATTable',
        'Read the NAT table of a NATGateway',
        'get',
        { ...gvk, kind: 'NATTable' },
        {
          parameters: [NAMESPACE, NAME],
          responses: responses(200, ref('NATTable'), [401, 403, 404]),
        },
      ),
    };
  }
  return paths;
}

/**
 * The OpenAPI 3 document: component schemas generated from the DTO classes
 * (class-validator and @nestjs/swagger decorators), and the resource paths of
 * every kind, which share one generic controller and so are listed here, and of
 * the admin IPPool. Operations carry Kubernetes' `x-kubernetes-*` extensions; the
 * per-group documents kubectl reads are cut from this one (kubernetes-openapi.ts).
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('natgw API')
    .setDescription(
      'NAT gateways for Ironcore-style clouds: Kubernetes-style resources of networking.ironcore.dev/v1alpha1, and the admin IPPool and NATGatewayQuota of natgw.ironcore.dev/v1alpha1. Errors are Kubernetes Status objects.',
    )
    .setVersion(API_VERSION)
    .addBearerAuth({ type: 'http', scheme: 'bearer' }, 'bearer')
    .build();
  const dtos = RESOURCE_KINDS.map((k) => RESOURCE_SCHEMAS[k.kind].dto);
  const doc = SwaggerModule.createDocument(app, config, {
    extraModels: [...dtos, StatusDto, NatTableDto],
  });
  const schemas = (doc.components ??= {}).schemas ?? (doc.components.schemas = {});
  schemas.DeleteOptions = DELETE_OPTIONS_SCHEMA;
  Object.assign(schemas, ipPoolSchemas());
  Object.assign(doc.paths, ipPoolPaths());
  Object.assign(schemas, quotaSchemas());
  Object.assign(doc.paths, quotaPaths());
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
