import type { QueryString } from './api-request';
import {
  FieldRequirement,
  FieldSelectorError,
  LabelSelector,
  LabelSelectorError,
  parseFieldSelector,
  parseLabelSelector,
} from '@natgw/contracts';
import { apiErrors } from './api-error';
import { parseGoBool, parseGoInt64 } from './go-strconv';
import { isResourceVersionText, MAX_RESOURCE_VERSION } from './resource-version';

/** What to do with fields the schema does not declare (kubectl's `fieldValidation`). */
export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** Typed access to the query string; a malformed parameter is a 400 naming it. */
export class QueryParams {
  constructor(private readonly query: QueryString) {}

  /** A parameter given at most once. */
  string(name: string): string | undefined {
    const v = this.query[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'string')
      throw apiErrors.badRequest(`query parameter "${name}" must be given at most once`);
    return v;
  }

  /** A boolean as the apiserver reads it (Go's `strconv.ParseBool`); absent or empty is false. */
  boolean(name: string): boolean {
    const v = this.string(name);
    if (v === undefined || v === '') return false;
    const parsed = parseGoBool(v);
    if (parsed !== undefined) return parsed;
    throw apiErrors.badRequest(
      `query parameter "${name}" must be a boolean (1, t, T, TRUE, true, True, 0, f, F, FALSE, false or False), got ${JSON.stringify(v)}`,
    );
  }

  /**
   * A non-negative integer as Go parses it (`strconv.ParseInt`: an optional sign, decimal
   * digits, within int64); one above `max` is served as `max`, so a client asking for more
   * than natgw gives (a longer watch, a larger page) still works.
   */
  count(name: string, max = Number.MAX_SAFE_INTEGER): number | undefined {
    const v = this.string(name);
    if (v === undefined || v === '') return undefined;
    const parsed = parseGoInt64(v);
    if (typeof parsed === 'string') {
      throw apiErrors.badRequest(
        `query parameter "${name}" must be an integer: ${parsed}, got ${JSON.stringify(v)}`,
      );
    }
    if (parsed < 0n) {
      throw apiErrors.badRequest(
        `query parameter "${name}" must be greater than or equal to 0, got ${JSON.stringify(v)}`,
      );
    }
    return parsed > BigInt(max) ? max : Number(parsed);
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
