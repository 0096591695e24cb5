import { timingSafeEqual } from 'node:crypto';
import { hashToken, TokenAuthenticator } from './token-authenticator';
import { TokenGrant } from './tokens-file';

const grant = (user: string, token: string): TokenGrant => ({
  user,
  tokenSha256: hashToken(token),
  namespaces: new Set(['default']),
  verbs: new Set(['read']),
});

describe('TokenAuthenticator', () => {
  const grants = [grant('a', 'token-a'), grant('b', 'token-b'), grant('c', 'token-c')];

  it('finds the grant of a known token and nothing for others', () => {
    const auth = new TokenAuthenticator(grants);
    expect(auth.authenticate('token-b')?.user).toBe('b');
    expect(auth.authenticate('token-')).toBeUndefined();
    expect(auth.authenticate('')).toBeUndefined();
  });

  it('compares the token hash with every grant in constant time, whether it matches early, late or not at all', () => {
    const spy = jest.fn(timingSafeEqual);
    const auth = new TokenAuthenticator(grants, spy);
    for (const token of ['token-a', 'token-c', 'unknown']) {
      spy.mockClear();
      auth.authenticate(token);
      expect(spy).toHaveBeenCalledTimes(grants.length);
    }
  });

  it('admits everyone as system:anonymous when no tokens file is configured', () => {
    const auth = new TokenAuthenticator(undefined);
    expect(auth.enabled).toBe(false);
    expect(auth.authenticate('')?.user).toBe('system:anonymous');
  });
});
