import {
  NFT_COMMENT_MAX_LENGTH,
  decodeNatElementComment,
  encodeNatElementComment,
  natElementCommentFits,
} from './nat-element-comment';

describe('NAT element comments', () => {
  const uid = '8a4b6c1e-0000-4000-8000-000000000001';
  const gw = '11111111-2222-3333-4444-555555555555';

  it('round-trips uids and a name, escaping what could break the quoting', () => {
    const label = { nicUid: 'a "b"\\c', gatewayUid: 'gw=1 x%', nicName: 'ns/nic ü' };
    const comment = encodeNatElementComment(label) as string;
    expect(comment).not.toMatch(/["\\]/);
    expect(comment.split(' ')).toHaveLength(3);
    expect(decodeNatElementComment(comment)).toEqual(label);
  });

  it('leaves the name out when it does not fit, and keeps the uids', () => {
    const comment = encodeNatElementComment({
      nicUid: uid,
      gatewayUid: gw,
      nicName: 'n'.repeat(60),
    });
    expect(comment).toBe(`nic=${uid} gw=${gw}`);
    expect(decodeNatElementComment(comment as string)).toEqual({ nicUid: uid, gatewayUid: gw });
  });

  it('refuses uids that cannot fit', () => {
    expect(
      encodeNatElementComment({ nicUid: 'x'.repeat(NFT_COMMENT_MAX_LENGTH), gatewayUid: gw }),
    ).toBeUndefined();
  });

  it('keeps the vni between the uids and the name', () => {
    const label = { nicUid: 'a', gatewayUid: 'g', vni: 16_777_215, nicName: 'vm' };
    const comment = encodeNatElementComment(label) as string;
    expect(comment).toBe('nic=a gw=g vni=16777215 name=vm');
    expect(decodeNatElementComment(comment)).toEqual(label);
    expect(decodeNatElementComment('nic=a gw=g vni=0')).toBeUndefined();
  });

  it('does not read comments somebody else wrote', () => {
    expect(decodeNatElementComment('added by hand')).toBeUndefined();
    expect(decodeNatElementComment('nic=%E0%A4%A gw=x')).toBeUndefined();
  });

  it('natElementCommentFits says whether encoding succeeds, at every length around the limit', () => {
    for (let length = 80; length <= 130; length += 1) {
      for (const vni of [undefined, 7, 16_777_215]) {
        for (const unsafe of [false, true]) {
          const nicUid = (unsafe ? 'é' : '') + 'u'.repeat(length - 44);
          const label = { nicUid, gatewayUid: gw, vni, nicName: 'vm' };
          expect(natElementCommentFits(label)).toBe(encodeNatElementComment(label) !== undefined);
        }
      }
    }
    expect(natElementCommentFits({ nicUid: uid, gatewayUid: gw, vni: 1 })).toBe(true);
  });
});
