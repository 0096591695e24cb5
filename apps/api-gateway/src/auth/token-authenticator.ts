import { createHash, timingSafeEqual } from 'node:crypto';
import { TokenGrant, Verb } from './tokens-file';

/** Who made a request and what they may do. */
export interface Principal {
  user: string;
  /** Which token (hex of its SHA-256); absent for ANONYMOUS. Rate limits and watch caps key on it. */
  tokenId?: string;
  namespaces: '*' | ReadonlySet<string>;
  verbs: ReadonlySet<Verb>;
}

/** The principal of every request when no tokens file is configured (loopback only). */
export const ANONYMOUS: Principal = {
  user: 'system:anonymous',
  namespaces: '*',
  verbs: new Set<Verb>(['read', 'write']),
};

/** SHA-256 of a token: grants store only this. */
export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/**
 * Finds the grant of a bearer token. The presented token is hashed and compared
 * with every grant's hash in constant time, without stopping at a match, so the
 * answer time says nothing about which tokens exist.
 */
export class TokenAuthenticator {
  constructor(
    private readonly grants: readonly TokenGrant[] | undefined,
    private readonly equal: (a: Buffer, b: Buffer) => boolean = timingSafeEqual,
  ) {}

  /** False when no tokens file is configured: every request is ANONYMOUS. */
  get enabled(): boolean {
    return this.grants !== undefined;
  }

  authenticate(token: string): Principal | undefined {
    if (!this.grants) return ANONYMOUS;
    const presented = hashToken(token);
    let found: TokenGrant | undefined;
    for (const grant of this.grants) {
      if (this.equal(presented, grant.tokenSha256) && found === undefined) found = grant;
    }
    return (
      found && {
        user: found.user,
        tokenId: found.tokenSha256.toString('hex'),
        namespaces: found.namespaces,
        verbs: found.verbs,
      }
    );
  }
}
