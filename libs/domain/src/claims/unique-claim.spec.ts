import fc from 'fast-check';
import { claimStatus, decideClaim, decideRelease, type ClaimStreamHead } from './unique-claim';

describe('unique claims', () => {
  it('a value never claimed is free, expecting no stream', () => {
    expect(claimStatus(undefined)).toEqual({ state: 'free', expectedVersion: 'no-stream' });
    expect(decideClaim(claimStatus(undefined), 'a')).toEqual({
      action: 'claim',
      expectedVersion: 'no-stream',
    });
  });

  it('a released value is free again, expecting the version of the release', () => {
    const head: ClaimStreamHead = { kind: 'released', holderUid: 'a', version: 2 };
    expect(decideClaim(claimStatus(head), 'b')).toEqual({ action: 'claim', expectedVersion: 2 });
    expect(decideRelease(claimStatus(head), 'a')).toBeUndefined();
  });

  it('a held value is refused to others, kept by its holder and released only by it', () => {
    const status = claimStatus({ kind: 'claimed', holderUid: 'a', version: 3 });
    expect(decideClaim(status, 'a')).toEqual({ action: 'none' });
    expect(decideClaim(status, 'b')).toEqual({ action: 'refuse', holderUid: 'a' });
    expect(decideRelease(status, 'a')).toBe(3);
    expect(decideRelease(status, 'b')).toBeUndefined();
  });

  it('property: replaying any sequence of decided claims and releases, one holder at a time', () => {
    const step = fc.record({ uid: fc.constantFrom('a', 'b', 'c'), claim: fc.boolean() });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        let head: ClaimStreamHead | undefined;
        let holder: string | undefined; // the oracle: who holds it, from the rules' text
        for (const { uid, claim } of steps) {
          const status = claimStatus(head);
          const version = head?.version ?? 0;
          if (claim) {
            const d = decideClaim(status, uid);
            if (holder === undefined) {
              expect(d).toEqual({
                action: 'claim',
                expectedVersion: version === 0 ? 'no-stream' : version,
              });
              head = { kind: 'claimed', holderUid: uid, version: version + 1 };
              holder = uid;
            } else expect(d.action).toBe(holder === uid ? 'none' : 'refuse');
          } else {
            const expected = decideRelease(status, uid);
            if (holder === uid) {
              expect(expected).toBe(version);
              head = { kind: 'released', holderUid: uid, version: version + 1 };
              holder = undefined;
            } else expect(expected).toBeUndefined();
          }
        }
      }),
    );
  });
});
