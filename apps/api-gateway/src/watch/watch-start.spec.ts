import { ApiError } from '../http/api-error';
import { QueryParams } from '../http/query-params';
import { watchStartOf } from './watch-start';

const start = (query: Record<string, string>) => watchStartOf(new QueryParams(query));

function causesOf(query: Record<string, string>) {
  try {
    start(query);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    expect(err.status).toMatchObject({
      code: 422,
      reason: 'Invalid',
      details: { group: 'meta.k8s.io', kind: 'ListOptions' },
    });
    return err.status.details?.causes?.map((c) => [c.field, c.reason]);
  }
  throw new Error('expected 422');
}

// The oracle: the apiserver's watch semantics (Kubernetes API concepts, "Semantics for watch"
// and "Streaming lists") and its ListOptions validation.
describe('watchStartOf', () => {
  it.each([
    [{}, { resourceVersion: undefined, sendInitialEvents: true, initialEventsEndBookmark: false }],
    [
      { resourceVersion: '0' },
      { resourceVersion: undefined, sendInitialEvents: true, initialEventsEndBookmark: false },
    ],
    [
      { resourceVersion: '42' },
      { resourceVersion: '42', sendInitialEvents: false, initialEventsEndBookmark: false },
    ],
    [
      {
        sendInitialEvents: 'true',
        resourceVersionMatch: 'NotOlderThan',
        allowWatchBookmarks: 'true',
      },
      { resourceVersion: undefined, sendInitialEvents: true, initialEventsEndBookmark: true },
    ],
    [
      {
        sendInitialEvents: 'True',
        resourceVersionMatch: 'NotOlderThan',
        allowWatchBookmarks: '1',
        resourceVersion: '42',
      },
      { resourceVersion: '42', sendInitialEvents: true, initialEventsEndBookmark: true },
    ],
    [
      { sendInitialEvents: 'false', resourceVersionMatch: 'NotOlderThan' },
      { resourceVersion: undefined, sendInitialEvents: false, initialEventsEndBookmark: false },
    ],
    [
      { sendInitialEvents: 'false', resourceVersionMatch: 'NotOlderThan', resourceVersion: '7' },
      { resourceVersion: '7', sendInitialEvents: false, initialEventsEndBookmark: false },
    ],
  ])('%j starts as %j', (query, expected) => {
    expect(start(query)).toMatchObject(expected);
  });

  it('passes allowWatchBookmarks through', () => {
    expect(start({ allowWatchBookmarks: 'T' }).bookmarks).toBe(true);
    expect(start({}).bookmarks).toBe(false);
  });

  it.each([
    [
      { sendInitialEvents: 'true', allowWatchBookmarks: 'true' },
      [['resourceVersionMatch', 'FieldValueForbidden']],
    ],
    [
      { sendInitialEvents: 'true', resourceVersionMatch: 'NotOlderThan' },
      [['allowWatchBookmarks', 'FieldValueForbidden']],
    ],
    [{ resourceVersionMatch: 'NotOlderThan' }, [['resourceVersionMatch', 'FieldValueForbidden']]],
    [
      { resourceVersionMatch: 'Exact', resourceVersion: '5' },
      [
        ['resourceVersionMatch', 'FieldValueForbidden'],
        ['resourceVersionMatch', 'FieldValueNotSupported'],
      ],
    ],
    [
      { sendInitialEvents: 'true', resourceVersionMatch: 'Exact', allowWatchBookmarks: 'true' },
      [
        ['resourceVersionMatch', 'FieldValueForbidden'],
        ['resourceVersionMatch', 'FieldValueNotSupported'],
      ],
    ],
  ])('rejects %j with 422 causes %j', (query, causes) => {
    expect(causesOf(query)).toEqual(causes);
  });

  it('rejects a sendInitialEvents that is no boolean with 400', () => {
    expect(() => start({ sendInitialEvents: 'maybe' })).toThrow(
      /"sendInitialEvents" must be a boolean/,
    );
  });
});
