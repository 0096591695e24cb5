import { describeCause, failureStatus, StatusCause } from '@natgw/contracts';
import { ApiError } from '../http/api-error';
import { QueryParams } from '../http/query-params';

/** Where a watch starts and what it sends first, from its query (the apiserver's rules). */
export interface WatchStart {
  /** Resume after this version (undefined: from the current state). */
  resourceVersion?: string;
  /** Send every current object as ADDED first (the state as of the start, not older than resourceVersion). */
  sendInitialEvents: boolean;
  /** After the initial events, a BOOKMARK annotated `k8s.io/initial-events-end: "true"` (watch-list). */
  initialEventsEndBookmark: boolean;
  /** BOOKMARK events now and then (`allowWatchBookmarks`). */
  bookmarks: boolean;
}

/** The annotation on the BOOKMARK that ends a watch-list's initial events. */
export const INITIAL_EVENTS_END_ANNOTATION = 'k8s.io/initial-events-end';

const NOT_OLDER_THAN = 'NotOlderThan';

/**
 * Reads `resourceVersion`, `sendInitialEvents`, `resourceVersionMatch` and
 * `allowWatchBookmarks` of a watch as the apiserver does:
 * - without `sendInitialEvents`, an absent (or "0") resourceVersion sends the current
 *   objects first; a given one resumes after it;
 * - `sendInitialEvents=true` (watch-list, as informers use it) needs
 *   `resourceVersionMatch=NotOlderThan` and `allowWatchBookmarks=true`: the current objects
 *   come as ADDED, then a BOOKMARK annotated `k8s.io/initial-events-end: "true"`;
 * - `sendInitialEvents=false` starts after resourceVersion, or at the newest version.
 * Broken combinations are a 422 Invalid on ListOptions.meta.k8s.io naming the field.
 */
export function watchStartOf(query: QueryParams): WatchStart {
  const resourceVersion = query.resourceVersion();
  const bookmarks = query.boolean('allowWatchBookmarks');
  const given = query.string('sendInitialEvents');
  const sendInitialEvents = given === undefined ? undefined : query.boolean('sendInitialEvents');
  const match = query.string('resourceVersionMatch') ?? '';
  const causes: StatusCause[] = [];
  if (sendInitialEvents !== undefined && match !== NOT_OLDER_THAN) {
    causes.push({
      field: 'resourceVersionMatch',
      reason: 'FieldValueForbidden',
      message: `Forbidden: sendInitialEvents requires setting resourceVersionMatch to ${NOT_OLDER_THAN}`,
    });
  }
  if (sendInitialEvents === true && !bookmarks) {
    causes.push({
      field: 'allowWatchBookmarks',
      reason: 'FieldValueForbidden',
      message: 'Forbidden: sendInitialEvents requires setting allowWatchBookmarks to true',
    });
  }
  if (match !== '') {
    if (sendInitialEvents === undefined) {
      causes.push({
        field: 'resourceVersionMatch',
        reason: 'FieldValueForbidden',
        message:
          'Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided',
      });
    }
    if (match !== NOT_OLDER_THAN) {
      causes.push({
        field: 'resourceVersionMatch',
        reason: 'FieldValueNotSupported',
        message: `Unsupported value: ${JSON.stringify(match)}: supported values: "${NOT_OLDER_THAN}"`,
      });
    }
  }
  if (causes.length > 0) {
    throw new ApiError(
      failureStatus(
        422,
        'Invalid',
        `ListOptions.meta.k8s.io "" is invalid: ${causes.map(describeCause).join(', ')}`,
        { group: 'meta.k8s.io', kind: 'ListOptions', causes },
      ),
    );
  }
  return {
    resourceVersion,
    sendInitialEvents: sendInitialEvents ?? resourceVersion === undefined,
    initialEventsEndBookmark: sendInitialEvents === true,
    bookmarks,
  };
}
