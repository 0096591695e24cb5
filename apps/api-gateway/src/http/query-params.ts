import type { Request } from 'express';
import {
  FieldRequirement,
  FieldSelectorError,
  LabelSelector,
  LabelSelectorError,
  parseFieldSelector,
  parseLabelSelector,
} from '@natgw/contracts';
import { apiErrors } from './api-error';
import { isResourceVersionText, MAX_RESOURCE_VERSION } from './resource-version';

/** What to do with fields the schema does not declare (kubectl's `fieldValidation`). */
export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** Typed access to the query string; a malformed parameter is a 400 naming it. */
export class QueryParams {
  constructor(private readonly query: Request['query']) {}

  /** A parameter given at most once. */
  string(name: string): string | undefined {
    const v = this.query[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'string')
      throw apiErrors.badRequest(`query parameter "${name}" must be given at most once`);
    return v;
  }

  boolean(name: string): boolean {
    const v = this.string(name);
    if (v === undefined || v === '' || v === 'false' || v === '0') return false;
    if (v === 'true' || v === '1') return true;
    throw apiErrors.badRequest(
      `query parameter "${name}" must be true or false, got ${JSON.stringify(v)}`,
    );
  }

  /** A non-negative integer, at most `max`. */
  count(name: string, max = Number.MAX_SAFE_INTEGER): number | undefined {
    const v = this.string(name);
    if (v === undefined || v === '') return undefined;
    if (!/^[0-9]{1,16}$/.test(v) || Number(v) > max) {
      throw apiErrors.badRequest(
        `query parameter "${name}" must be an integer between 0 and ${max}, got ${JSON.stringify(v)}`,
      );
    }
    return Number(v);
  }

  /** `resourceVersion`: a decimal version, or undefined (also for "" and "0": "any version"). */
  resourceVersion(): string | undefined {
    const v = this.string('resourceVersion');
    if (v === undefined || v === '' || v === '0') return undefined;
    if (!isResourceVersionText(v)) {
      throw apiErrors.badRequest(
        `query parameter "resourceVersion" must be a resource version (a decimal number up to ${MAX_RESOURCE_VERSION}), got ${JSON.stringify(v.slice(0, 64))}`,
      );
    }
    return BigInt(v).toString();
  }

  labelSelector(): LabelSelector {
    try {
      return parseLabelSelector(this.string('labelSelector') ?? '');
    } catch (err) {
      if (err instanceof LabelSelectorError) throw apiErrors.badRequest(err.message);
      throw err;
    }
  }

  fieldSelector(): FieldRequirement[] {
    try {
      return parseFieldSelector(this.string('fieldSelector') ?? '');
    } catch (err) {
      if (err instanceof FieldSelectorError) throw apiErrors.badRequest(err.message);
      throw err;
    }
  }

  /** `dryRun=All` (the only value Kubernetes defines). */
  dryRun(): boolean {
    const v = this.string('dryRun');
    if (v === undefined || v === '') return false;
    if (v === 'All') return true;
    throw apiErrors.badRequest(
      `query parameter "dryRun" supports only "All", got ${JSON.stringify(v)}`,
    );
  }

  /** `fieldValidation`: Strict unless the client asks otherwise. */
  fieldValidation(): FieldValidation {
    const v = this.string('fieldValidation');
    if (v === undefined || v === '') return 'Strict';
    if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
    throw apiErrors.badRequest(
      `query parameter "fieldValidation" must be Strict, Warn or Ignore, got ${JSON.stringify(v)}`,
    );
  }
}
