import { ApiError } from '../../http/api-error';
import { QueryParams } from '../../http/query-params';
import { fieldManagerOf } from './field-manager-param';

describe('fieldManagerOf', () => {
  it('takes fieldManager when given, else the User-Agent product (not given)', () => {
    expect(fieldManagerOf(new QueryParams({ fieldManager: 'ci' }), 'kubectl/v1.31')).toEqual({
      fieldManager: 'ci',
      fieldManagerGiven: true,
    });
    expect(fieldManagerOf(new QueryParams({}), 'kubectl/v1.31 (linux/amd64)')).toEqual({
      fieldManager: 'kubectl',
      fieldManagerGiven: false,
    });
    expect(fieldManagerOf(new QueryParams({ fieldManager: '' }), undefined)).toEqual({
      fieldManager: 'unknown',
      fieldManagerGiven: false,
    });
  });

  it.each([
    ['x'.repeat(129), 'more than 128'],
    ['tab\there', 'printable'],
    ['nul\u0000', 'printable'],
  ])('answers 400 for %j (%s)', (value, rule) => {
    let error: unknown;
    try {
      fieldManagerOf(new QueryParams({ fieldManager: value }), undefined);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status.code).toBe(400);
    expect((error as ApiError).status.message).toContain(rule);
  });

  it('accepts 128 characters', () => {
    expect(
      fieldManagerOf(new QueryParams({ fieldManager: 'm'.repeat(128) }), '').fieldManager,
    ).toHaveLength(128);
  });
});
