import { fieldError, isDns1123Subdomain, StatusCause } from '@natgw/contracts';
import { IpPrefix, nonPublicRangeOf, parsePrefix, prefixesOverlap } from '@natgw/domain';
import { ADMIN_API_VERSION } from './ip-pool-object';

/** A checked IPPool body: its name and prefixes, or every broken field. */
export type IpPoolInput =
  | { ok: true; name: string; prefixes: IpPrefix[]; resourceVersion?: string }
  | { ok: false; name: string; causes: StatusCause[] };

const TOP = new Set(['apiVersion', 'kind', 'metadata', 'spec', 'status']);
const META = new Set([
  'name',
  'resourceVersion',
  'creationTimestamp',
  'uid',
  'labels',
  'annotations',
]);

function record(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

/** Checks an IPPool manifest; `pathName` is the name in the URL (PUT), if any. */
export function checkIpPoolInput(body: Record<string, unknown>, pathName?: string): IpPoolInput {
  const causes: StatusCause[] = [];
  for (const key of Object.keys(body)) if (!TOP.has(key)) causes.push(fieldError.unknown(key));
  if (body.apiVersion !== undefined && body.apiVersion !== ADMIN_API_VERSION) {
    causes.push(fieldError.notSupported('apiVersion', body.apiVersion, [ADMIN_API_VERSION]));
  }
  if (body.kind !== undefined && body.kind !== 'IPPool')
    causes.push(fieldError.notSupported('kind', body.kind, ['IPPool']));
  const metadata = record(body.metadata) ?? {};
  for (const key of Object.keys(metadata))
    if (!META.has(key)) causes.push(fieldError.unknown(`metadata.${key}`));
  const name = typeof metadata.name === 'string' ? metadata.name : (pathName ?? '');
  if (!name) causes.push(fieldError.required('metadata.name', 'name is required'));
  else if (!isDns1123Subdomain(name)) {
    causes.push(
      fieldError.invalid(
        'metadata.name',
        name,
        'a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "-" or "."',
      ),
    );
  }
  if (pathName !== undefined && name !== pathName) {
    causes.push(
      fieldError.invalid(
        'metadata.name',
        name,
        `does not match the name in the path "${pathName}"`,
      ),
    );
  }
  const spec = record(body.spec);
  const prefixes: IpPrefix[] = [];
  if (!spec) causes.push(fieldError.required('spec', 'spec with prefixes is required'));
  else {
    for (const key of Object.keys(spec))
      if (key !== 'prefixes') causes.push(fieldError.unknown(`spec.${key}`));
    if (!Array.isArray(spec.prefixes))
      causes.push(fieldError.required('spec.prefixes', 'a list of CIDR prefixes'));
    else {
      spec.prefixes.forEach((value: unknown, i: number) => {
        const field = `spec.prefixes[${i}]`;
        if (typeof value !== 'string')
          return causes.push(fieldError.typeInvalid(field, value, 'string'));
        try {
          const p = parsePrefix(value);
          const reserved = nonPublicRangeOf(p);
          if (reserved) {
            return causes.push(
              fieldError.invalid(
                field,
                value,
                `overlaps ${reserved.prefix.cidr}, ${reserved.why}: a public IP pool may hold globally routable addresses only`,
              ),
            );
          }
          const clash = prefixes.find((q) => prefixesOverlap(p, q));
          if (clash) causes.push(fieldError.duplicate(field, value, `overlaps ${clash.cidr}`));
          else prefixes.push(p);
        } catch (err) {
          causes.push(fieldError.invalid(field, value, (err as Error).message));
        }
        return undefined;
      });
    }
  }
  const rv = metadata.resourceVersion;
  if (causes.length > 0) return { ok: false, name, causes };
  return { ok: true, name, prefixes, ...(typeof rv === 'string' ? { resourceVersion: rv } : {}) };
}
