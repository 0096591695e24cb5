import type { ApiRequest } from './api-request';
import { Operation } from 'fast-json-patch';
import { ApiError, apiErrors } from './api-error';
import { rawBodyOf } from './body-reader.middleware';
import { parseYamlBody } from './yaml-body';

/** The deepest nesting a body may have: far beyond any resource, far below a stack overflow. */
export const MAX_BODY_DEPTH = 64;

/**
 * The most keys one object (mapping) of a body may have. Far beyond any natgw object
 * (its widest maps, labels and annotations, hold tens), and it bounds what
 * validation costs: the schema validator spends ~50 µs on each unknown field, so a
 * mebibyte of them (60,000) held the event loop for seconds.
 */
export const MAX_OBJECT_KEYS = 1_000;

/** The most operations one JSON patch may carry, as in Kubernetes. */
export const MAX_JSON_PATCH_OPERATIONS = 10_000;

const YAML_TYPES = new Set(['application/yaml', 'application/x-yaml', 'text/yaml']);

/** The media type of the request body, lower-cased and without parameters. */
export function mediaTypeOf(req: ApiRequest): string | undefined {
  const header = req.headers['content-type'];
  if (!header) return undefined;
  return header.split(';')[0].trim().toLowerCase() || undefined;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

function text(body: Buffer): string {
  try {
    return utf8.decode(body);
  } catch {
    throw apiErrors.badRequest('the request body is not valid UTF-8');
  }
}

const NUL = '\u0000';
// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Refuses strings PostgreSQL cannot store in jsonb or text: NUL, and lone UTF-16 surrogates. */
function refuseUnstorable(s: string): void {
  if (s.includes(NUL))
    throw apiErrors.badRequest(
      'the request body contains a NUL character (\\u0000), which cannot be stored',
    );
  // JSON may escape half a surrogate pair ("\ud800"): not a Unicode character, so
  // not valid UTF-8 either.
  if (LONE_SURROGATE.test(s))
    throw apiErrors.badRequest(
      'the request body contains a lone UTF-16 surrogate (such as \\ud800 without its pair), which is not a Unicode character and cannot be stored',
    );
}

/**
 * Walks the parsed body without recursion: too deep a document is refused before
 * anything recurses on it, and so are objects of more than MAX_OBJECT_KEYS keys and
 * strings PostgreSQL cannot store (NUL, lone surrogates).
 */
function checkShape(value: unknown): void {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (typeof v === 'string') refuseUnstorable(v);
    if (v === null || typeof v !== 'object') continue;
    if (depth > MAX_BODY_DEPTH) {
      throw apiErrors.badRequest(`the request body is nested deeper than ${MAX_BODY_DEPTH} levels`);
    }
    const entries = Object.entries(v);
    if (!Array.isArray(v) && entries.length > MAX_OBJECT_KEYS) {
      throw apiErrors.badRequest(
        `an object in the request body has ${entries.length} keys; at most ${MAX_OBJECT_KEYS} are allowed`,
      );
    }
    for (const [key, child] of entries) {
      refuseUnstorable(key);
      stack.push([child, depth + 1]);
    }
  }
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(text(body));
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw apiErrors.badRequest(`the request body is not valid JSON: ${(err as Error).message}`);
  }
}

function parseYaml(body: Buffer): unknown {
  return parseYamlBody(text(body));
}

function parse(req: ApiRequest, format: 'json' | 'yaml'): unknown {
  const body = rawBodyOf(req);
  if (body.length === 0) throw apiErrors.badRequest('the request body is empty');
  const value = format === 'yaml' ? parseYaml(body) : parseJson(body);
  checkShape(value);
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function asObject(value: unknown, what: string): Record<string, unknown> {
  if (!isObject(value)) throw apiErrors.badRequest(`${what} must be a JSON or YAML object`);
  return value;
}

function objectFormat(req: ApiRequest): 'json' | 'yaml' {
  const type = mediaTypeOf(req);
  if (type === undefined || type === 'application/json') return 'json';
  if (YAML_TYPES.has(type)) return 'yaml';
  throw apiErrors.unsupportedMediaType(
    `the body of the request was in an unknown format ("${type}"): accepted media types include application/json, application/yaml`,
  );
}

/** The object sent with POST or PUT, as JSON or YAML. */
export function objectBody(req: ApiRequest): Record<string, unknown> {
  return asObject(parse(req, objectFormat(req)), 'the request body');
}

/** An optional body, such as DeleteOptions on DELETE (undefined when there is none). */
export function optionalObjectBody(req: ApiRequest): Record<string, unknown> | undefined {
  return rawBodyOf(req).length === 0 ? undefined : objectBody(req);
}

/** A patch, by its media type. */
export type PatchBody =
  { type: 'merge'; patch: Record<string, unknown> } | { type: 'json'; operations: Operation[] };

/** A server-side apply PATCH: the applier's configuration (YAML or JSON). */
export interface ApplyPatchBody {
  type: 'apply';
  configuration: Record<string, unknown>;
}

const PATCH_TYPES =
  'accepted media types include application/merge-patch+json, application/json-patch+json, application/apply-patch+yaml';

/** The first `$directive` key of a strategic merge patch, if any. */
function firstDirective(value: unknown): string | undefined {
  const stack = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object') continue;
    for (const [key, child] of Object.entries(v)) {
      if (!Array.isArray(v) && key.startsWith('$')) return key;
      stack.push(child);
    }
  }
  return undefined;
}

/**
 * A strategic merge patch (what `kubectl patch` sends by default) as a JSON merge
 * patch. natgw's schemas declare no list merge keys, and without them a strategic
 * merge patch means exactly what a JSON merge patch means: maps merge, null
 * deletes, lists are replaced. Directives (`$patch`, `$retainKeys`,
 * `$setElementOrder/...`, `$deleteFromPrimitiveList/...`) need merge keys: 415.
 */
function strategicAsMergePatch(value: unknown): Record<string, unknown> {
  const patch = asObject(value, 'a strategic merge patch');
  const directive = firstDirective(patch);
  if (directive !== undefined) {
    throw apiErrors.unsupportedMediaType(
      `the strategic merge patch directive "${directive}" is not supported: natgw's kinds have no list merge keys, so send a JSON merge patch (kubectl patch --type=merge) or a JSON patch; ${PATCH_TYPES}`,
    );
  }
  return patch;
}

/**
 * The body of a PATCH: a JSON merge patch, a strategic merge patch without directives,
 * a JSON patch, or a server-side apply configuration.
 */
export function patchBody(req: ApiRequest): PatchBody | ApplyPatchBody {
  const type = mediaTypeOf(req);
  switch (type) {
    case 'application/merge-patch+json':
      return { type: 'merge', patch: asObject(parse(req, 'json'), 'a merge patch') };
    case 'application/json-patch+json': {
      const operations = parse(req, 'json');
      if (!Array.isArray(operations))
        throw apiErrors.badRequest('a JSON patch must be an array of operations');
      if (operations.length > MAX_JSON_PATCH_OPERATIONS) {
        throw apiErrors.badRequest(
          `a JSON patch may hold at most ${MAX_JSON_PATCH_OPERATIONS} operations`,
        );
      }
      return { type: 'json', operations: operations as Operation[] };
    }
    case 'application/strategic-merge-patch+json':
      return { type: 'merge', patch: strategicAsMergePatch(parse(req, 'json')) };
    case 'application/apply-patch+yaml':
      return { type: 'apply', configuration: asObject(parse(req, 'yaml'), 'an apply patch') };
    case 'application/apply-patch+cbor':
      throw apiErrors.unsupportedMediaType(
        `CBOR is not supported: send server-side apply as application/apply-patch+yaml; ${PATCH_TYPES}`,
      );
    default:
      throw apiErrors.unsupportedMediaType(
        `the body of the request was in an unknown format ("${type ?? 'none'}"): ${PATCH_TYPES}`,
      );
  }
}
