import { apiErrors } from '../../http/api-error';
import { QueryParams } from '../../http/query-params';
import { defaultFieldManager } from './managed-fields';

/** The longest `fieldManager` the apiserver accepts. */
export const MAX_FIELD_MANAGER_LENGTH = 128;

// Go's unicode.IsPrint, close enough: no control characters.
// eslint-disable-next-line no-control-regex
const NOT_PRINTABLE = /[\u0000-\u001f\u007f-\u009f]/;

/** `fieldManager` of a write, checked as the apiserver checks it; else the User-Agent's product. */
export function fieldManagerOf(
  query: QueryParams,
  userAgent: string | undefined,
): { fieldManager: string; fieldManagerGiven: boolean } {
  const given = query.string('fieldManager');
  if (given === undefined || given === '')
    return { fieldManager: defaultFieldManager(userAgent), fieldManagerGiven: false };
  if (given.length > MAX_FIELD_MANAGER_LENGTH) {
    throw apiErrors.badRequest(
      `query parameter "fieldManager" may not be more than ${MAX_FIELD_MANAGER_LENGTH} characters, got ${given.length}`,
    );
  }
  if (NOT_PRINTABLE.test(given))
    throw apiErrors.badRequest(
      'query parameter "fieldManager" must contain printable characters only',
    );
  return { fieldManager: given, fieldManagerGiven: true };
}
