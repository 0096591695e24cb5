import { apiErrors } from '../http/api-error';
import { isResourceVersionText } from '../http/resource-version';

const DNS_CHARS = /^[a-z0-9.-]{0,253}$/;

/** Where the next page of a list starts: the list's resourceVersion and the last key served. */
export interface ContinueToken {
  resourceVersion: string;
  namespace: string;
  name: string;
}

/** Encodes a continue token (opaque to clients: base64url of a small JSON). */
export function encodeContinue(token: ContinueToken): string {
  return Buffer.from(
    JSON.stringify({ v: 1, rv: token.resourceVersion, ns: token.namespace, n: token.name }),
  ).toString('base64url');
}

/** Decodes a continue token; anything that is not one of ours is a 400. */
export function decodeContinue(value: string): ContinueToken {
  const invalid = () =>
    apiErrors.badRequest('the continue token is invalid; start the list again without it');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const t = parsed as { v?: unknown; rv?: unknown; ns?: unknown; n?: unknown } | null;
  if (
    t === null ||
    typeof t !== 'object' ||
    t.v !== 1 ||
    typeof t.rv !== 'string' ||
    !isResourceVersionText(t.rv) ||
    typeof t.ns !== 'string' ||
    typeof t.n !== 'string' ||
    !DNS_CHARS.test(t.ns) ||
    !DNS_CHARS.test(t.n)
  ) {
    throw invalid();
  }
  return { resourceVersion: t.rv, namespace: t.ns, name: t.n };
}
