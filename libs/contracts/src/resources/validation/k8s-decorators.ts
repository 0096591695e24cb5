import { isArray, isInt, isObject, isString, ValidateBy, ValidationOptions } from 'class-validator';
import { StatusCause } from '../k8s-status';
import { validateDnsName } from './dns';
import { fieldError } from './field-errors';

/**
 * How a failed constraint becomes Kubernetes causes: given the field path, the
 * value and the object that holds it. Carried in class-validator's `context`.
 */
export type CauseBuilder = (field: string, value: unknown, holder: object) => StatusCause[];

/** ValidationOptions whose failure reports the causes built by `build`. */
export function reporting(build: CauseBuilder, extra: ValidationOptions = {}): ValidationOptions {
  return { ...extra, message: ({ property }) => property, context: { causes: build } };
}

/** Reads the cause builder back from a failed constraint's context. */
export function causeBuilderOf(context: unknown): CauseBuilder | undefined {
  const c = context as { causes?: unknown } | undefined;
  return typeof c?.causes === 'function' ? (c.causes as CauseBuilder) : undefined;
}

// class-validator evaluates a property's decorators bottom-up and, with
// stopAtFirstError, reports only the first failure. So in every DTO the most basic
// check (present, then type) sits nearest the property, and value rules above it.

/** Present and not empty: Kubernetes' "Required value". */
export function IsPresent(detail: string): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isPresent',
      validator: { validate: (v) => v !== undefined && v !== null && v !== '' },
    },
    reporting((field) => [fieldError.required(field, detail)]),
  );
}

/**
 * A present object reference; a missing one is reported as Ironcore reports it, as its
 * empty `name` not being a DNS-1123 subdomain (`spec.networkRef.name` Invalid, value "").
 */
export function IsPresentReference(): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isPresentReference',
      validator: { validate: (v) => v !== undefined && v !== null },
    },
    reporting((field) => validateDnsName(`${field}.name`, '', 'subdomain')),
  );
}

/** A string; otherwise "must be of type string". */
export function IsStringField(): PropertyDecorator {
  return ValidateBy(
    { name: 'isStringField', validator: { validate: (v) => isString(v) } },
    reporting((field, value) => [fieldError.typeInvalid(field, value, 'string')]),
  );
}

/** An integer that fits int32; otherwise "must be of type integer". */
export function IsInt32Field(): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isInt32Field',
      validator: {
        validate: (v) =>
          isInt(v) && (v as number) >= -2_147_483_648 && (v as number) <= 2_147_483_647,
      },
    },
    reporting((field, value) => [fieldError.typeInvalid(field, value, 'integer (int32)')]),
  );
}

/** A JSON object (not an array); otherwise "must be of type object". */
export function IsObjectField(): PropertyDecorator {
  return ValidateBy(
    { name: 'isObjectField', validator: { validate: (v) => isObject(v) && !Array.isArray(v) } },
    reporting((field, value) => [fieldError.typeInvalid(field, value, 'object')]),
  );
}

/** A JSON array; otherwise "must be of type array". */
export function IsArrayField(): PropertyDecorator {
  return ValidateBy(
    { name: 'isArrayField', validator: { validate: (v) => isArray(v) } },
    reporting((field, value) => [fieldError.typeInvalid(field, value, 'array')]),
  );
}

/** One of `supported`, spelled exactly: otherwise "Unsupported value", listing them. */
export function IsOneOf(supported: readonly string[]): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isOneOf',
      validator: { validate: (v) => typeof v === 'string' && supported.includes(v) },
    },
    reporting((field, value) => [fieldError.notSupported(field, value, supported)]),
  );
}

/** A rule on the value: `check` returns the causes for the field (none when it holds). */
export function Satisfies(name: string, check: CauseBuilder): PropertyDecorator {
  return ValidateBy(
    {
      name,
      validator: { validate: (v, args) => check('', v, args?.object ?? {}).length === 0 },
    },
    reporting(check),
  );
}
