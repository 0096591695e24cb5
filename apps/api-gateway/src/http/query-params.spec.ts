import { ApiError } from './api-error';
import { QueryParams } from './query-params';

function rejection(run: () => unknown): { code: number; message: string } {
  try {
    run();
  } catch (err) {
    if (err instanceof ApiError)
      return { code: err.status.code, message: err.status.message ?? '' };
    throw err;
  }
  throw new Error('expected a rejection');
}

describe('QueryParams', () => {
  describe('boolean', () => {
    it.each([
      ['True', true],
      ['TRUE', true],
      ['t', true],
      ['1', true],
      ['False', false],
      ['F', false],
      ['0', false],
      ['', false],
    ])('reads watch=%j as %s, as the apiserver does', (text, value) => {
      expect(new QueryParams({ watch: text }).boolean('watch')).toBe(value);
    });

    it('reads an absent boolean as false', () => {
      expect(new QueryParams({}).boolean('allowWatchBookmarks')).toBe(false);
    });

    it('answers 400 naming the parameter and the accepted forms for anything else', () => {
      const r = rejection(() =>
        new QueryParams({ sendInitialEvents: 'yes' }).boolean('sendInitialEvents'),
      );
      expect(r.code).toBe(400);
      expect(r.message).toContain('"sendInitialEvents"');
      expect(r.message).toContain('True');
      expect(r.message).toContain('"yes"');
    });
  });

  describe('count', () => {
    it.each([
      ['+5', 5],
      ['005', 5],
      ['0', 0],
      ['500', 500],
    ])('reads %j as %d', (text, value) => {
      expect(new QueryParams({ limit: text }).count('limit', 1000)).toBe(value);
    });

    it('serves a value above the bound as the bound, up to int64', () => {
      expect(new QueryParams({ timeoutSeconds: '86401' }).count('timeoutSeconds', 86_400)).toBe(
        86_400,
      );
      expect(
        new QueryParams({ timeoutSeconds: '9223372036854775807' }).count('timeoutSeconds', 86_400),
      ).toBe(86_400);
    });

    it.each([
      ['-1', 'greater than or equal to 0'],
      ['1.5', 'invalid syntax'],
      ['0x10', 'invalid syntax'],
      ['9223372036854775808', 'value out of range'],
    ])('answers 400 for limit=%j (%s)', (text, rule) => {
      const r = rejection(() => new QueryParams({ limit: text }).count('limit', 1000));
      expect(r.code).toBe(400);
      expect(r.message).toContain('"limit"');
      expect(r.message).toContain(rule);
    });

    it('reads absent and empty as unset', () => {
      expect(new QueryParams({}).count('limit')).toBeUndefined();
      expect(new QueryParams({ limit: '' }).count('limit')).toBeUndefined();
    });
  });
});
