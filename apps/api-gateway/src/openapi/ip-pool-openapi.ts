import { NATGW_API_GROUP } from '@natgw/contracts';
import {
  ERRORS,
  json,
  NAME,
  op,
  Operation,
  READ_PARAMS,
  ref,
  responses,
  WRITE_PARAMS,
  writeBody,
} from './openapi-parts';

const VERSION = 'v1alpha1';
const gvk = { group: NATGW_API_GROUP, version: VERSION, kind: 'IPPool' };

/** The IPPool schemas (the pool controller validates by hand, so they are written here). */
export function ipPoolSchemas(): Record<string, object> {
  return {
    IPPool: {
      type: 'object',
      description:
        'A pool of public IP prefixes the allocator hands out to NATGateways. Cluster-scoped; needs a token with the "*" namespace grant.',
      required: ['metadata', 'spec'],
      properties: {
        apiVersion: {
          type: 'string',
          description: `APIVersion defines the versioned schema of this representation of an object: ${NATGW_API_GROUP}/${VERSION}.`,
        },
        kind: {
          type: 'string',
          description: 'Kind is the REST resource this object represents: IPPool.',
        },
        metadata: ref('IPPoolMeta'),
        spec: ref('IPPoolSpec'),
        status: {
          description: 'Usage per prefix, computed by natgw; ignored on writes.',
          readOnly: true,
          allOf: [ref('IPPoolStatus')],
        },
      },
    },
    IPPoolMeta: {
      type: 'object',
      description: 'The pool name (a DNS-1123 subdomain) and its version.',
      required: ['name'],
      properties: {
        name: { type: 'string', description: 'The pool name (a DNS-1123 subdomain).' },
        resourceVersion: {
          type: 'string',
          description:
            'The version of the pool; when sent on an update, it must be the current one.',
        },
        creationTimestamp: { type: 'string', format: 'date-time', readOnly: true },
        uid: { type: 'string', description: 'Accepted and ignored.' },
        labels: {
          type: 'object',
          additionalProperties: { type: 'string' },
          description: 'Accepted and not stored.',
        },
        annotations: {
          type: 'object',
          additionalProperties: { type: 'string' },
          description: 'Accepted and not stored.',
        },
      },
    },
    IPPoolSpec: {
      type: 'object',
      required: ['prefixes'],
      properties: {
        prefixes: {
          type: 'array',
          items: { type: 'string' },
          description:
            'Public CIDR prefixes (IPv4 or IPv6) that must not overlap each other or another pool. A prefix with addresses in use cannot be removed.',
          example: ['203.0.113.0/28'],
        },
      },
    },
    IPPoolStatus: {
      type: 'object',
      properties: {
        prefixes: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              prefix: { type: 'string' },
              family: { type: 'string', enum: ['IPv4', 'IPv6'] },
              total: { type: 'string', description: 'Addresses in the prefix (a decimal string).' },
              used: { type: 'integer', description: 'Addresses held by NATGateways.' },
              free: { type: 'string', description: 'Addresses still free (a decimal string).' },
            },
          },
        },
      },
    },
    IPPoolList: {
      type: 'object',
      properties: {
        apiVersion: { type: 'string', example: `${NATGW_API_GROUP}/${VERSION}` },
        kind: { type: 'string', example: 'IPPoolList' },
        metadata: { type: 'object' },
        items: { type: 'array', items: ref('IPPool') },
      },
    },
  };
}

/** The paths of `/apis/natgw.ironcore.dev/v1alpha1/ippools`. */
export function ipPoolPaths(): Record<string, Record<string, Operation>> {
  const collection = `/apis/${NATGW_API_GROUP}/${VERSION}/ippools`;
  const object = ref('IPPool');
  return {
    [collection]: {
      get: op('listIPPool', 'List IP pools', 'list', gvk, {
        parameters: READ_PARAMS,
        responses: responses(200, ref('IPPoolList'), [401, 403]),
      }),
      post: op('createIPPool', 'Create an IP pool', 'post', gvk, {
        parameters: WRITE_PARAMS,
        requestBody: writeBody(object, ['application/json', 'application/yaml']),
        responses: responses(201, object, ERRORS),
      }),
    },
    [`${collection}/{name}`]: {
      get: op('readIPPool', 'Read an IP pool and its usage', 'get', gvk, {
        parameters: [NAME, ...READ_PARAMS],
        responses: responses(200, object, [401, 403, 404]),
      }),
      put: op('replaceIPPool', "Replace an IP pool's prefixes", 'put', gvk, {
        parameters: [NAME, ...WRITE_PARAMS],
        requestBody: writeBody(object, ['application/json', 'application/yaml']),
        responses: responses(200, object, ERRORS),
      }),
      patch: op('patchIPPool', "Patch an IP pool's prefixes (JSON merge patch)", 'patch', gvk, {
        parameters: [NAME, ...WRITE_PARAMS],
        requestBody: writeBody(object, ['application/merge-patch+json']),
        responses: responses(200, object, ERRORS),
      }),
      delete: op('deleteIPPool', 'Delete an IP pool (refused while in use)', 'delete', gvk, {
        parameters: [NAME],
        requestBody: { required: false, content: json(ref('DeleteOptions')) },
        responses: responses(200, ref('Status'), [401, 403, 404, 409]),
      }),
    },
  };
}
