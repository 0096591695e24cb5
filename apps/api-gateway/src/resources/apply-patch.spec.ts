import { Operation } from 'fast-json-patch';
import { ResourceObject } from '@natgw/contracts';
import { ApiError } from '../http/api-error';
import { MAX_BODY_BYTES } from '../http/body-reader.middleware';
import { applyPatchTo, mergePatch } from './apply-patch';
import { jsonSizeUpTo } from './json-size';

describe('mergePatch (RFC 7386)', () => {
  it('merges objects, replaces arrays and scalars, and removes keys set to null', () => {
    expect(
      mergePatch({ a: 1, b: { c: 2, d: 3 }, e: [1] }, { b: { c: null, x: 1 }, e: [2], f: 'n' }),
    ).toEqual({
      a: 1,
      b: { d: 3, x: 1 },
      e: [2],
      f: 'n',
    });
  });

  it('never reaches a prototype, and keeps keys named like Object methods', () => {
    const patch = JSON.parse('{"__proto__": {"polluted": true}, "hasOwnProperty": "x"}');
    const out = mergePatch({ a: 1 }, patch) as Record<string, unknown>;
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(out.hasOwnProperty).toBe('x');
    expect(mergePatch({ hasOwnProperty: 'x', a: 1 }, { hasOwnProperty: null })).toEqual({ a: 1 });
  });

  it('a non-object patch replaces the target', () => {
    expect(mergePatch({ a: 1 }, [1, 2])).toEqual([1, 2]);
  });
});

describe('applyPatchTo: size budget', () => {
  const object = {
    apiVersion: 'networking.ironcore.dev/v1alpha1',
    kind: 'Network',
    metadata: { name: 'n', namespace: 'default', labels: { a: 'b'.repeat(60) } },
    spec: { peerings: ['x'.repeat(200)] },
  } as unknown as ResourceObject;

  function statusOf(fn: () => unknown): number | undefined {
    try {
      fn();
      return undefined;
    } catch (err) {
      return err instanceof ApiError ? err.status.code : -1;
    }
  }

  it('refuses, with a quick 413, a patch that copies an object into itself until it explodes', () => {
    // Each operation doubles /spec: 40 of them (about 2 KB of patch) would ask for
    // 2^40 copies of it. The budget stops it after a few kilobytes of copying.
    const operations = Array.from({ length: 40 }, (_, i) => ({
      op: 'copy',
      from: '/spec',
      path: `/spec/c${i}`,
    })) as Operation[];
    expect(JSON.stringify(operations).length).toBeLessThan(2048);
    const start = Date.now();
    expect(statusOf(() => applyPatchTo(object, { type: 'json', operations }))).toBe(413);
    expect(Date.now() - start).toBeLessThan(1000);
  });

  it('counts what copies copy even when removes keep the object small', () => {
    // Copy a ~300 KB subtree and remove it again, over and over: the object never
    // grows, but every copy costs its size. The total is capped.
    const big = { ...object, spec: { blob: 'z'.repeat(300_000) } } as unknown as ResourceObject;
    const operations = Array.from({ length: 10 }, () => [
      { op: 'copy', from: '/spec/blob', path: '/spec/copy' },
      { op: 'remove', path: '/spec/copy' },
    ]).flat() as Operation[];
    expect(statusOf(() => applyPatchTo(big, { type: 'json', operations }))).toBe(413);
    expect(
      statusOf(() => applyPatchTo(big, { type: 'json', operations: operations.slice(0, 6) })),
    ).toBe(undefined);
  });

  it('refuses a patch whose result is larger than the body limit', () => {
    const half = 'y'.repeat(MAX_BODY_BYTES / 2);
    const operations = [
      { op: 'add', path: '/spec/a', value: half },
      { op: 'copy', from: '/spec/a', path: '/spec/b' },
    ] as Operation[];
    expect(statusOf(() => applyPatchTo(object, { type: 'json', operations }))).toBe(413);
    expect(
      statusOf(() =>
        applyPatchTo(object, { type: 'merge', patch: { spec: { a: half, b: half } } }),
      ),
    ).toBe(413);
  });

  it('applies ordinary copies and keeps malformed and failing patches at 400 and 422', () => {
    const copied = applyPatchTo(object, {
      type: 'json',
      operations: [{ op: 'copy', from: '/metadata/labels/a', path: '/metadata/labels/c' }],
    });
    expect((copied.metadata as { labels: Record<string, string> }).labels.c).toBe('b'.repeat(60));
    expect(
      statusOf(() =>
        applyPatchTo(object, {
          type: 'json',
          operations: [{ op: 'nope' } as unknown as Operation],
        }),
      ),
    ).toBe(400);
    expect(
      statusOf(() =>
        applyPatchTo(object, {
          type: 'json',
          operations: [{ op: 'copy', from: '/missing/x', path: '/spec/y' }],
        }),
      ),
    ).toBe(422);
  });
});

describe('jsonSizeUpTo', () => {
  it('equals the compact JSON length of plain values', () => {
    const value = { a: [1, 'two', null, true, { b: {} }], c: 'd', e: [] };
    expect(jsonSizeUpTo(value, 1e6)).toBe(JSON.stringify(value).length);
  });

  it('stops at the limit', () => {
    expect(jsonSizeUpTo({ a: 'x'.repeat(100) }, 10)).toBe(11);
  });
});
