import { apiErrors } from '../http/api-error';

/** What natgw takes from a DeleteOptions body: preconditions and dry run. */
export interface DeleteOptions {
  preconditions: { uid?: string; resourceVersion?: string };
  dryRun: boolean;
}

const KNOWN = new Set([
  'kind',
  'apiVersion',
  'preconditions',
  'dryRun',
  'propagationPolicy',
  'gracePeriodSeconds',
  'orphanDependents',
]);

const optionalString = (v: unknown) => v === undefined || typeof v === 'string';

/**
 * Reads the optional DeleteOptions body kubectl sends. propagationPolicy and
 * gracePeriodSeconds are accepted and have no effect: natgw objects own no others,
 * and deletion waits for natgw's finalizer, not for a grace period.
 */
export function parseDeleteOptions(
  body: Record<string, unknown> | undefined,
  queryDryRun: boolean,
): DeleteOptions {
  if (!body) return { preconditions: {}, dryRun: queryDryRun };
  const unknown = Object.keys(body).filter((k) => !KNOWN.has(k));
  if (unknown.length > 0) {
    throw apiErrors.badRequest(
      `DeleteOptions: strict decoding error: ${unknown.map((k) => `unknown field "${k}"`).join(', ')}`,
    );
  }
  if (body.kind !== undefined && body.kind !== 'DeleteOptions') {
    throw apiErrors.badRequest(
      `DeleteOptions: kind must be "DeleteOptions", got ${JSON.stringify(body.kind)}`,
    );
  }
  const pre = body.preconditions ?? {};
  if (pre === null || typeof pre !== 'object' || Array.isArray(pre)) {
    throw apiErrors.badRequest('DeleteOptions: preconditions must be an object');
  }
  const { uid, resourceVersion, ...rest } = pre as Record<string, unknown>;
  if (Object.keys(rest).length > 0 || !optionalString(uid) || !optionalString(resourceVersion)) {
    throw apiErrors.badRequest(
      'DeleteOptions: preconditions may hold only uid and resourceVersion, as strings',
    );
  }
  const dryRun = body.dryRun;
  if (dryRun !== undefined && !(Array.isArray(dryRun) && dryRun.every((d) => d === 'All'))) {
    throw apiErrors.badRequest('DeleteOptions: dryRun supports only ["All"]');
  }
  return {
    preconditions: {
      uid: uid as string | undefined,
      resourceVersion: resourceVersion as string | undefined,
    },
    dryRun: queryDryRun || (Array.isArray(dryRun) && dryRun.length > 0),
  };
}
