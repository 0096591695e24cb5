import * as ipaddr from 'ipaddr.js';
import type { NatRule } from './nat-rule';

// A node's table holds up to tens of thousands of addresses and is re-canonicalized on every
// reconcile; parsing each with ipaddr.js every time dominated apply time. Results never change,
// so they are remembered (bounded, cleared when full).
const MEMO_LIMIT = 500_000;
const canonical = {
  IPv4: new Map<string, string | null>(),
  IPv6: new Map<string, string | null>(),
};
const sortKeys = new Map<string, string>();

function remember<V>(memo: Map<string, V>, key: string, value: V): V {
  // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, the bound only limits memory; every answer is the same
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(key, value);
  return value;
}

function parseCanonical(family: NatRule['family'], text: string): string | null {
  if (family === 'IPv4') {
    if (!ipaddr.IPv4.isValidFourPartDecimal(text)) return null;
    return ipaddr.IPv4.parse(text).toString();
  }
  // A zone id (`fe80::1%eth0`) names a link, never a NAT endpoint.
  if (text.includes('%') || !ipaddr.IPv6.isValid(text)) return null;
  return ipaddr.IPv6.parse(text).toRFC5952String();
}

/** The canonical spelling of an address of the family, or undefined when it is not one. */
export function canonicalNatAddress(family: NatRule['family'], text: string): string | undefined {
  // Stryker disable next-line LogicalOperator: equivalent, for either family both give a map (a fresh one only skips the memo)
  const memo = canonical[family] ?? new Map<string, string | null>();
  const known = memo.get(text);
  // Stryker disable next-line ConditionalExpression: equivalent, skipping the memo parses again to the same answer
  if (known !== undefined) return known ?? undefined;
  return remember(memo, text, parseCanonical(family, text)) ?? undefined;
}

/**
 * A string that sorts like the address does numerically: fixed-width hex of its bytes. Only for
 * addresses canonicalNatAddress accepted.
 */
export function natAddressSortKey(text: string): string {
  const known = sortKeys.get(text);
  if (known !== undefined) return known;
  const bytes = ipaddr
    .parse(text)
    .toByteArray()
    .map((b) => b.toString(16).padStart(2, '0'));
  // Stryker disable next-line StringLiteral: equivalent, any fixed separator between fixed-width bytes keeps the order
  return remember(sortKeys, text, bytes.join(''));
}
