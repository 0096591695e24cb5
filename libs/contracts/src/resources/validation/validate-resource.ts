import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { StatusCause } from '../k8s-status';
import { kindInfo, ResourceKind } from '../kinds';
import { RESOURCE_SCHEMAS } from '../resource-schemas';
import { validateDnsName } from './dns';
import { fieldError } from './field-errors';
import { causeBuilderOf } from './k8s-decorators';
import { validateAnnotations, validateLabels } from './metadata-maps';

/** A validated create or update request, with the kind's defaults applied. */
export interface ResourceInput {
  name: string;
  /** As sent in the body (the URL's namespace is authoritative; a mismatch is refused by the caller). */
  namespace?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Preconditions for updates, when the client sent them. */
  resourceVersion?: string;
  uid?: string;
  spec: Record<string, unknown>;
}

/**
 * The outcome of validating a body: the input when every rule holds, the causes
 * naming every broken field, and the fields the schema does not declare. Unknown
 * fields are reported apart, so the caller applies its field-validation policy
 * (Strict rejects, Warn and Ignore would drop them).
 */
export interface ValidationOutcome {
  input?: ResourceInput;
  causes: StatusCause[];
  unknownFields: string[];
}

// class-transformer silently drops these keys (prototype pollution guard); report them instead.
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
// Maps whose keys are data, not schema: checked by their own rules, or ignored.
const FREE_FORM = new Set([
  'metadata.labels',
  'metadata.annotations',
  'metadata.managedFields',
  'status',
]);

function forbiddenKeys(value: unknown, path: string, out: string[]): void {
  if (FREE_FORM.has(path) || value === null || typeof value !== 'object') return;
  for (const key of Object.keys(value)) {
    const at = Array.isArray(value) ? `${path}[${key}]` : path ? `${path}.${key}` : key;
    if (FORBIDDEN_KEYS.has(key)) out.push(at);
    else forbiddenKeys((value as Record<string, unknown>)[key], at, out);
  }
}

function collect(
  errors: ValidationError[],
  prefix: string,
  causes: StatusCause[],
  unknown: string[],
): void {
  for (const e of errors) {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    for (const name of Object.keys(e.constraints ?? {})) {
      if (name === 'whitelistValidation') {
        unknown.push(field);
        continue;
      }
      const build = causeBuilderOf(e.contexts?.[name]);
      causes.push(
        ...(build
          ? build(field, e.value, e.target ?? {})
          : [fieldError.invalid(field, e.value, e.constraints?.[name] ?? name)]),
      );
    }
    collect(e.children ?? [], field, causes, unknown);
  }
}

function stringMap(value: unknown): Record<string, string> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return {};
  return Object.fromEntries(
    Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
}

/** Validates a create or update body of a kind (a parsed JSON object) and applies defaults. */
export function validateResourceInput(
  kind: ResourceKind,
  body: Record<string, unknown>,
): ValidationOutcome {
  const schema = RESOURCE_SCHEMAS[kind];
  const unknownFields: string[] = [];
  forbiddenKeys(body, '', unknownFields);
  // An absent metadata reads as an empty one, as the apiserver decodes it: the cause is then
  // `metadata.name` Required, the path Ironcore's and Kubernetes' validation name.
  const prepared = { ...body, metadata: body.metadata ?? {}, spec: body.spec ?? {} };
  const dto = plainToInstance(schema.dto, prepared);
  const errors = validateSync(dto, {
    whitelist: true,
    forbidNonWhitelisted: true,
    stopAtFirstError: true,
    forbidUnknownValues: false,
  });
  const causes: StatusCause[] = [];
  collect(errors, '', causes, unknownFields);

  const meta = body.metadata as Record<string, unknown> | undefined;
  const isObj = meta !== null && typeof meta === 'object' && !Array.isArray(meta);
  if (isObj && typeof meta.name === 'string' && meta.name !== '') {
    causes.push(...validateDnsName('metadata.name', meta.name, kindInfo(kind).nameRule));
  }
  if (isObj && typeof meta.namespace === 'string' && meta.namespace !== '') {
    causes.push(...validateDnsName('metadata.namespace', meta.namespace, 'label'));
  }
  if (isObj) {
    causes.push(...validateLabels('metadata.labels', meta.labels));
    causes.push(...validateAnnotations('metadata.annotations', meta.annotations));
  }
  if (causes.length > 0 || !isObj) return { causes, unknownFields };
  return {
    causes,
    unknownFields,
    input: {
      name: meta.name as string,
      namespace: (meta.namespace as string | undefined) || undefined,
      labels: stringMap(meta.labels),
      annotations: stringMap(meta.annotations),
      resourceVersion: meta.resourceVersion as string | undefined,
      uid: meta.uid as string | undefined,
      spec: schema.specFrom(dto.spec) as Record<string, unknown>,
    },
  };
}

/**
 * The spec an update stores: the new one, plus the fields natgw filled at create (see
 * `ResourceSchema.retained`) that the update leaves out.
 */
export function specWithRetainedFields(
  kind: ResourceKind,
  oldSpec: Record<string, unknown>,
  newSpec: Record<string, unknown>,
): Record<string, unknown> {
  const kept = RESOURCE_SCHEMAS[kind].retained.filter(
    (field) => newSpec[field] === undefined && oldSpec[field] !== undefined,
  );
  if (kept.length === 0) return newSpec;
  return { ...newSpec, ...Object.fromEntries(kept.map((field) => [field, oldSpec[field]])) };
}

/** The causes for changing an immutable spec field (`field is immutable`). */
export function validateResourceUpdate(
  kind: ResourceKind,
  oldSpec: object,
  newSpec: object,
): StatusCause[] {
  return RESOURCE_SCHEMAS[kind].immutable
    .filter((rule) => JSON.stringify(rule.of(oldSpec)) !== JSON.stringify(rule.of(newSpec)))
    .map((rule) => fieldError.forbidden(rule.field, 'field is immutable'));
}
