import { applyPatch, JsonPatchError } from 'fast-json-patch';
import { ResourceObject } from '@natgw/contracts';
import { apiErrors } from '../http/api-error';
import { PatchBody } from '../http/request-body';

// Errors in the patch document itself (400), as opposed to a patch that does not
// apply to the object (422), as in Kubernetes.
const MALFORMED = new Set([
  'SEQUENCE_NOT_AN_ARRAY',
  'OPERATION_NOT_AN_OBJECT',
  'OPERATION_OP_INVALID',
  'OPERATION_PATH_INVALID',
  'OPERATION_FROM_REQUIRED',
  'OPERATION_VALUE_REQUIRED',
  'OPERATION_VALUE_CANNOT_CONTAIN_UNDEFINED',
]);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * RFC 7386 JSON merge patch. Written here rather than taken from json-merge-patch:
 * that package stops at a `__proto__` key and calls `target.hasOwnProperty`, which
 * a label named "hasOwnProperty" breaks. Keys are defined, never assigned, so no
 * key can reach a prototype.
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const result: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else {
      Object.defineProperty(result, key, {
        value: mergePatch(result[key], value),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
  return result;
}

/** True when the patch sets or tests metadata.resourceVersion: then it is conditional. */
export function patchNamesResourceVersion(patch: PatchBody): boolean {
  if (patch.type === 'merge') {
    const meta = patch.patch.metadata;
    return isPlainObject(meta) && meta.resourceVersion !== undefined;
  }
  return patch.operations.some(
    (op) =>
      isPlainObject(op) &&
      typeof op.path === 'string' &&
      (op.path === '/metadata' || op.path === '/metadata/resourceVersion'),
  );
}

/** Applies a patch to a copy of the object; what comes out is validated like a PUT body. */
export function applyPatchTo(object: ResourceObject, patch: PatchBody): Record<string, unknown> {
  const base = structuredClone(object) as unknown as Record<string, unknown>;
  let result: unknown;
  if (patch.type === 'merge') {
    result = mergePatch(base, patch.patch);
  } else {
    try {
      result = applyPatch(base, patch.operations, true, true, true).newDocument;
    } catch (err) {
      const name = err instanceof JsonPatchError ? err.name : undefined;
      const message = (err as Error).message.split('\n')[0];
      if (name !== undefined && MALFORMED.has(name))
        throw apiErrors.badRequest(`the JSON patch is malformed: ${message}`);
      throw apiErrors.unprocessable(`the JSON patch cannot be applied: ${message}`);
    }
  }
  if (!isPlainObject(result))
    throw apiErrors.unprocessable('the patched document is not an object');
  return result;
}
