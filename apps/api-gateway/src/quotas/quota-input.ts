import { fieldError, StatusCause, validateDnsName, validateLabels } from '@natgw/contracts';
import { MAX_QUOTA_AMOUNT, QUOTA_RESOURCES, QuotaAmounts, QuotaResource } from '@natgw/domain';
import { ADMIN_API_VERSION } from '../pools/ip-pool-object';
import { QUOTA_KIND } from './quota-object';

/** A checked NATGatewayQuota body, or every broken field. */
export type QuotaInput =
  | {
      ok: true;
      name: string;
      hard: QuotaAmounts;
      labels: Record<string, string>;
      resourceVersion?: string;
      uid?: string;
    }
  | { ok: false; name: string; causes: StatusCause[] };

const TOP = new Set(['apiVersion', 'kind', 'metadata', 'spec', 'status']);
const META = new Set([
  'name',
  'namespace',
  'resourceVersion',
  'creationTimestamp',
  'uid',
  'generation',
  'labels',
  'annotations',
]);

function record(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

const isResource = (key: string): key is QuotaResource =>
  (QUOTA_RESOURCES as readonly string[]).includes(key);

/**
 * Checks a NATGatewayQuota manifest: `spec.hard` maps natgateways, networkinterfaces and
 * publicIPs to integers from 0 to MAX_QUOTA_AMOUNT. `pathName` is the name in the URL (PUT).
 * Status is ignored (natgw computes it); annotations are accepted and not stored.
 */
export function checkQuotaInput(
  body: Record<string, unknown>,
  namespace: string,
  pathName?: string,
): QuotaInput {
  const causes: StatusCause[] = [];
  for (const key of Object.keys(body)) if (!TOP.has(key)) causes.push(fieldError.unknown(key));
  if (body.apiVersion !== undefined && body.apiVersion !== ADMIN_API_VERSION) {
    causes.push(fieldError.notSupported('apiVersion', body.apiVersion, [ADMIN_API_VERSION]));
  }
  if (body.kind !== undefined && body.kind !== QUOTA_KIND)
    causes.push(fieldError.notSupported('kind', body.kind, [QUOTA_KIND]));
  const metadata = record(body.metadata) ?? {};
  for (const key of Object.keys(metadata))
    if (!META.has(key)) causes.push(fieldError.unknown(`metadata.${key}`));
  const name = typeof metadata.name === 'string' ? metadata.name : (pathName ?? '');
  if (!name) causes.push(fieldError.required('metadata.name', 'name is required'));
  else causes.push(...validateDnsName('metadata.name', name, 'subdomain'));
  if (pathName !== undefined && name !== pathName) {
    causes.push(
      fieldError.invalid(
        'metadata.name',
        name,
        `does not match the name in the path "${pathName}"`,
      ),
    );
  }
  if (metadata.namespace !== undefined && metadata.namespace !== namespace) {
    causes.push(
      fieldError.invalid(
        'metadata.namespace',
        metadata.namespace,
        `does not match the namespace in the path "${namespace}"`,
      ),
    );
  }
  causes.push(...validateLabels('metadata.labels', metadata.labels));
  const hard: QuotaAmounts = {};
  const spec = record(body.spec);
  if (!spec) causes.push(fieldError.required('spec', 'spec.hard is required'));
  else {
    for (const key of Object.keys(spec))
      if (key !== 'hard') causes.push(fieldError.unknown(`spec.${key}`));
    const given = record(spec.hard);
    if (!given) causes.push(fieldError.required('spec.hard', 'a map of resource to limit'));
    else {
      for (const [key, value] of Object.entries(given)) {
        const field = `spec.hard.${key}`;
        if (!isResource(key)) {
          causes.push(fieldError.notSupported(field, key, QUOTA_RESOURCES));
        } else if (typeof value !== 'number' || !Number.isInteger(value)) {
          causes.push(fieldError.typeInvalid(field, value, 'integer'));
        } else if (value < 0 || value > MAX_QUOTA_AMOUNT) {
          causes.push(
            fieldError.invalid(field, value, `must be between 0 and ${MAX_QUOTA_AMOUNT}`),
          );
        } else hard[key] = value;
      }
    }
  }
  if (causes.length > 0) return { ok: false, name, causes };
  const rv = metadata.resourceVersion;
  const uid = metadata.uid;
  return {
    ok: true,
    name,
    hard,
    labels: (record(metadata.labels) ?? {}) as Record<string, string>,
    ...(typeof rv === 'string' && rv !== '' ? { resourceVersion: rv } : {}),
    ...(typeof uid === 'string' && uid !== '' ? { uid } : {}),
  };
}
