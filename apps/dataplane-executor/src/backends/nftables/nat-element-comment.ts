import type { NatRule } from '@natgw/domain';

/** nft refuses element comments longer than this (NFTNL_UDATA_COMMENT_MAXLEN). */
export const NFT_COMMENT_MAX_LENGTH = 128;

// Kept verbatim inside the quoted comment; everything else is %XX-escaped so that any uid or
// name round-trips and nothing can close the quote.
const SAFE = /[A-Za-z0-9._:/-]/;

const ALL_SAFE = /^[A-Za-z0-9._:/-]*$/;

function escape(value: string): string {
  if (ALL_SAFE.test(value)) return value;
  let out = '';
  for (const ch of value) {
    if (SAFE.test(ch)) out += ch;
    else
      out += [...Buffer.from(ch, 'utf8')]
        .map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`)
        .join('');
  }
  return out;
}

function unescape(value: string): string | undefined {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/** What a NAT element's comment records about the rule: who it is for. */
export type NatElementLabel = Pick<NatRule, 'nicUid' | 'gatewayUid' | 'nicName' | 'vni'>;

/**
 * The comment natgw puts on a rule's map element, `nic=<uid> gw=<uid> vni=<vni> name=<name>`
 * (vni only when the rule has one), or undefined when even the uids do not fit. The name is
 * informational and is left out when it does not fit. In one shared address space the comment is
 * where the rule's vni is kept; in network mode the table's structure carries it.
 */
export function encodeNatElementComment(label: NatElementLabel): string | undefined {
  const vni = label.vni === undefined ? '' : ` vni=${label.vni}`;
  const ids = `nic=${escape(label.nicUid)} gw=${escape(label.gatewayUid)}${vni}`;
  if (ids.length > NFT_COMMENT_MAX_LENGTH) return undefined;
  if (!label.nicName) return ids;
  const withName = `${ids} name=${escape(label.nicName)}`;
  return withName.length <= NFT_COMMENT_MAX_LENGTH ? withName : ids;
}

/**
 * Whether encodeNatElementComment has room for the label (is not undefined), without building
 * the comment: checked for every rule of a table before it is rendered.
 */
export function natElementCommentFits(label: NatElementLabel): boolean {
  if (!ALL_SAFE.test(label.nicUid) || !ALL_SAFE.test(label.gatewayUid)) {
    return encodeNatElementComment(label) !== undefined;
  }
  // `nic=<uid> gw=<uid>` and ` vni=<vni>`, as encodeNatElementComment writes them.
  const vni = label.vni === undefined ? 0 : 5 + String(label.vni).length;
  return 8 + label.nicUid.length + label.gatewayUid.length + vni <= NFT_COMMENT_MAX_LENGTH;
}

/** Reads a comment written by encodeNatElementComment; undefined for anything else. */
export function decodeNatElementComment(comment: string): NatElementLabel | undefined {
  const match = /^nic=(\S+) gw=(\S+)(?: vni=([1-9][0-9]{0,7}))?(?: name=(\S+))?$/.exec(comment);
  if (!match) return undefined;
  const nicUid = unescape(match[1] as string);
  const gatewayUid = unescape(match[2] as string);
  const nicName = match[4] === undefined ? undefined : unescape(match[4]);
  if (nicUid === undefined || gatewayUid === undefined) return undefined;
  const label: NatElementLabel = { nicUid, gatewayUid };
  const withVni = match[3] === undefined ? label : { ...label, vni: Number(match[3]) };
  return nicName ? { ...withVni, nicName } : withVni;
}
