import { ApiError } from '../http/api-error';
import { decodeContinue, encodeContinue } from './continue-token';

describe('continue tokens', () => {
  it('round-trip the snapshot version and the last key', () => {
    const token = { resourceVersion: '123', namespace: 'default', name: 'gw-9' };
    expect(decodeContinue(encodeContinue(token))).toEqual(token);
  });

  it.each([
    '',
    'zzz',
    Buffer.from('{"v":2}').toString('base64url'),
    Buffer.from('{"v":1,"rv":"x","ns":"a","n":"b"}').toString('base64url'),
  ])('refuses %j with a 400', (value) => {
    expect(() => decodeContinue(value)).toThrow(ApiError);
  });
});
