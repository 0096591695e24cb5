import { NATGW_API_GROUP } from '@natgw/contracts';
import { MAX_QUOTA_AMOUNT } from '@natgw/domain';
import {
  ERRORS,
  json,
  NAME,
  NAMESPACE,
  op,
  Operation,
  READ_PARAMS,
  ref,
  responses,
  WRITE_PARAMS,
  writeBody,
} from './openapi-parts';

const VERSION = 'v1alpha1';
const gvk = { group: NATGW_API_GROUP, version: VERSION, kind: 'NATGatewayQuota' };

const amounts = (description: string) => ({
  type: 'object',
  description,
  additionalProperties: false,
  properties: {
    natgateways: { type: 'integer', minimum: 0, maximum: MAX_QUOTA_AMOUNT },
    networkinterfaces: { type: 'integer', minimum: 0, maximum: MAX_QUOTA_AMOUNT },
    publicIPs: { type: 'integer', minimum: 0, maximum: MAX_QUOTA_AMOUNT },
  },
});

/** The NATGatewayQuota schemas (the quota controller validates by hand, so they are written here). */
export function quotaSchemas(): Record<string, object> {
  return {
    NATGatewayQuota: {
      type: 'object',
      description:
        'Per-namespace limits on NATGateways, NetworkInterfaces and the public IPs the namespace\'s gateways hold, in the style of ResourceQuota. A create past a limit is 403 Forbidden ("exceeded quota"). Writing needs a token with the "*" namespace grant.',
      required: ['metadata', 'spec'],
      properties: {
        apiVersion: { type: 'string', description: `${NATGW_API_GROUP}/${VERSION}` },
        kind: { type: 'string', description: 'NATGatewayQuota' },
        metadata: ref('NATGatewayQuotaMeta'),
        spec: {
          type: 'object',
          required: ['hard'],
          properties: {
            hard: amounts('The limit per resource; a resource left out is not limited.'),
          },
        },
        status: {
          type: 'object',
          readOnly: true,
          description: 'Computed by natgw from the log when read; ignored on writes.',
          properties: {
            hard: amounts('The enforced limits (spec.hard).'),
            used: amounts('What the namespace uses of each limited resource.'),
          },
        },
      },
    },
    NATGatewayQuotaMeta: {
      type: 'object',
      required: ['name'],
      properties: {
        name: { type: 'string', description: 'The quota name (a DNS-1123 subdomain).' },
        namespace: { type: 'string', description: 'Must match the path, if given.' },
        uid: { type: 'string', description: 'A precondition on updates, if given.' },
        resourceVersion: {
          type: 'string',
          description:
            'The version of the quota; when sent on an update, it must be the current one.',
        },
        generation: { type: 'integer', readOnly: true },
        creationTimestamp: { type: 'string', format: 'date-time', readOnly: true },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        annotations: {
          type: 'object',
          additionalProperties: { type: 'string' },
          description: 'Accepted and not stored.',
        },
      },
    },
    NATGatewayQuotaList: {
      type: 'object',
      properties: {
        apiVersion: { type: 'string', example: `${NATGW_API_GROUP}/${VERSION}` },
        kind: { type: 'string', example: 'NATGatewayQuotaList' },
        metadata: { type: 'object' },
        items: { type: 'array', items: ref('NATGatewayQuota') },
      },
    },
  };
}

/** The paths of `/apis/natgw.ironcore.dev/v1alpha1/[namespaces/{namespace}/]natgatewayquotas`. */
export function quotaPaths(): Record<string, Record<string, Operation>> {
  const base = `/apis/${NATGW_API_GROUP}/${VERSION}`;
  const collection = `${base}/namespaces/{namespace}/natgatewayquotas`;
  const object = ref('NATGatewayQuota');
  const list = responses(200, ref('NATGatewayQuotaList'), [401, 403]);
  return {
    [`${base}/natgatewayquotas`]: {
      get: op(
        'listNATGatewayQuotaForAllNamespaces',
        'List quotas of every namespace',
        'list',
        gvk,
        {
          parameters: READ_PARAMS,
          responses: list,
        },
      ),
    },
    [collection]: {
      get: op('listNamespacedNATGatewayQuota', 'List the quotas of a namespace', 'list', gvk, {
        parameters: [NAMESPACE, ...READ_PARAMS],
        responses: list,
      }),
      post: op('createNamespacedNATGatewayQuota', 'Create a quota', 'post', gvk, {
        parameters: [NAMESPACE, ...WRITE_PARAMS],
        requestBody: writeBody(object, ['application/json', 'application/yaml']),
        responses: responses(201, object, ERRORS),
      }),
    },
    [`${collection}/{name}`]: {
      get: op('readNamespacedNATGatewayQuota', 'Read a quota and its usage', 'get', gvk, {
        parameters: [NAMESPACE, NAME, ...READ_PARAMS],
        responses: responses(200, object, [401, 403, 404]),
      }),
      put: op('replaceNamespacedNATGatewayQuota', "Replace a quota's limits", 'put', gvk, {
        parameters: [NAMESPACE, NAME, ...WRITE_PARAMS],
        requestBody: writeBody(object, ['application/json', 'application/yaml']),
        responses: responses(200, object, ERRORS),
      }),
      patch: op(
        'patchNamespacedNATGatewayQuota',
        "Patch a quota's limits (JSON merge patch)",
        'patch',
        gvk,
        {
          parameters: [NAMESPACE, NAME, ...WRITE_PARAMS],
          requestBody: writeBody(object, ['application/merge-patch+json']),
          responses: responses(200, object, ERRORS),
        },
      ),
      delete: op('deleteNamespacedNATGatewayQuota', 'Delete a quota', 'delete', gvk, {
        parameters: [NAMESPACE, NAME],
        requestBody: { required: false, content: json(ref('DeleteOptions')) },
        responses: responses(200, ref('Status'), [401, 403, 404, 409]),
      }),
    },
  };
}
