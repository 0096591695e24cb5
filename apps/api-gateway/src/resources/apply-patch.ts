import { applyOperation, getValueByPointer, JsonPatchError, Operation } from 'fast-json-patch';
import { ResourceObject } from '@natgw/contracts';
import { ApiError, apiErrors } from '../http/api-error';
import { MAX_BODY_BYTES } from '../http/body-reader.middleware';
import { PatchBody } from '../http/request-body';
import { jsonSizeUpTo } from './json-size';

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

/**
 * How much a JSON patch may copy in total (`copy` operations), as Kubernetes bounds
 * it (json-patch's AccumulatedCopySizeLimit): the body limit. Without it, a patch of
 * a kilobyte that copies an object into itself twenty times builds a megabyte times
 * a million. `add` and `replace` write values from the body, which is bounded anyway.
 */
export const MAX_PATCH_COPY_BYTES = MAX_BODY_BYTES;

/** The largest object a patch may produce, as JSON: the body limit, as for a PUT. */
export const MAX_PATCHED_OBJECT_BYTES = MAX_BODY_BYTES;

function copiedSize(document: unknown, op: Operation, budget: number): number {
  if (op.op !== 'copy' || typeof op.from !== 'string') return 0;
  let value: unknown;
  try {
    value = getValueByPointer(document, op.from);
  } catch {
    return 0; // applyOperation reports the bad pointer
  }
  return jsonSizeUpTo(value, budget);
}

function applyJsonPatch(base: unknown, operations: readonly Operation[]): unknown {
  let document = base;
  let copied = 0;
  operations.forEach((op, index) => {
    copied += copiedSize(document, op, MAX_PATCH_COPY_BYTES - copied);
    if (copied > MAX_PATCH_COPY_BYTES) {
      throw apiErrors.entityTooLarge(
        `the JSON patch is too large: operation ${index} (copy from ${JSON.stringify((op as { from?: unknown }).from).slice(0, 200)}) would bring what its copy operations copy past ${MAX_PATCH_COPY_BYTES} bytes`,
      );
    }
    document = applyOperation(document, op, true, true, true, index).newDocument;
  });
  return document;
}

/**
 * Applies a patch to a copy of the object; what comes out is validated like a PUT
 * body. A JSON patch may copy at most MAX_PATCH_COPY_BYTES in all, and no patch may
 * produce an object larger than MAX_PATCHED_OBJECT_BYTES (413 either way).
 */
export function applyPatchTo(object: ResourceObject, patch: PatchBody): Record<string, unknown> {
  const base = structuredClone(object) as unknown as Record<string, unknown>;
  let result: unknown;
  if (patch.type === 'merge') {
    result = mergePatch(base, patch.patch);
  } else {
    try {
      result = applyJsonPatch(base, patch.operations);
    } catch (err) {
      if (err instanceof ApiError) throw err;
      const name = err instanceof JsonPatchError ? err.name : undefined;
      const message = (err as Error).message.split('\n')[0];
      if (name !== undefined && MALFORMED.has(name))
        throw apiErrors.badRequest(`the JSON patch is malformed: ${message}`);
      throw apiErrors.unprocessable(`the JSON patch cannot be applied: ${message}`);
    }
  }
  if (!isPlainObject(result))
    throw apiErrors.unprocessable('the patched document is not an object');
  const size = jsonSizeUpTo(result, MAX_PATCHED_OBJECT_BYTES);
  if (size > MAX_PATCHED_OBJECT_BYTES) {
    throw apiErrors.entityTooLarge(
      `the patched object would be larger than ${MAX_PATCHED_OBJECT_BYTES} bytes`,
    );
  }
  return result;
}
