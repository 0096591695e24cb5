import { canonicalIp, compareIps, formatIp, parseIp, sortIps, type IpFamily } from './addresses';
import type { DecidedEvent } from './decided-event';
import {
  IpAlreadyClaimedError,
  IpClaimedByAnotherGatewayError,
  IpFamilyMismatchError,
  IpNotInPoolError,
  NoAllocatorForFamilyError,
  PoolExhaustedError,
  PrefixInUseError,
  PrefixOverlapError,
} from './errors';
import {
  comparePrefixes,
  parsePrefix,
  prefixContainsNumeric,
  prefixesOverlap,
  prefixSize,
  type IpPrefix,
} from './ip-prefix';

/** A public IP pool (stream `ippool:<name>`): its prefixes and which gateway claims which address. */
export interface IpPoolState {
  /** Sorted by comparePrefixes; never overlapping. */
  readonly prefixes: readonly IpPrefix[];
  /** Canonical address -> uid of the gateway that claims it. */
  readonly claims: ReadonlyMap<string, string>;
  /**
   * Per prefix (by cidr), an address below which every address is claimed: where the search for
   * the lowest free address starts. Derived from the claims; it keeps that search from rescanning
   * every claimed address on each claim.
   */
  readonly scanFrom: ReadonlyMap<string, bigint>;
}

/** A prefix joined the pool; its addresses are free to claim. */
export type PublicPrefixAdded = DecidedEvent<'PublicPrefixAdded', { prefix: string }>;
/** A prefix with no claimed address left the pool. */
export type PublicPrefixRemoved = DecidedEvent<'PublicPrefixRemoved', { prefix: string }>;
/** A gateway claimed an address; no other gateway can claim it until it is released. */
export type PublicIPClaimed = DecidedEvent<'PublicIPClaimed', { ip: string; gatewayUid: string }>;
/** A gateway gave an address back to the pool. */
export type PublicIPReleased = DecidedEvent<'PublicIPReleased', { ip: string; gatewayUid: string }>;

/** Every event of an IP pool stream. */
export type IpPoolEvent =
  PublicPrefixAdded | PublicPrefixRemoved | PublicIPClaimed | PublicIPReleased;

/** The event types of an IP pool stream, for consumers that filter by type. */
export const IP_POOL_EVENT_TYPES: readonly IpPoolEvent['type'][] = [
  'PublicPrefixAdded',
  'PublicPrefixRemoved',
  'PublicIPClaimed',
  'PublicIPReleased',
];

/** Add a prefix (idempotent: adding it again decides nothing). */
export interface AddPrefix {
  readonly type: 'AddPrefix';
  readonly prefix: string;
}
/** Remove a prefix (idempotent; refused while any of its addresses is claimed). */
export interface RemovePrefix {
  readonly type: 'RemovePrefix';
  readonly prefix: string;
}
/**
 * Claim an address for a gateway: the given one (idempotent for the same gateway), or without
 * `ip` the lowest free address of the family (every call claims another address).
 */
export interface ClaimIp {
  readonly type: 'ClaimIp';
  readonly gatewayUid: string;
  readonly family: IpFamily;
  readonly ip?: string;
}
/** Give an address back (idempotent: releasing a free address decides nothing). */
export interface ReleaseIp {
  readonly type: 'ReleaseIp';
  readonly gatewayUid: string;
  readonly ip: string;
}
/** Give back every address a gateway claims, e.g. once the gateway is deleted. */
export interface ReleaseGatewayIps {
  readonly type: 'ReleaseGatewayIps';
  readonly gatewayUid: string;
}

/** Every command of the IP pool decider. */
export type IpPoolCommand = AddPrefix | RemovePrefix | ClaimIp | ReleaseIp | ReleaseGatewayIps;

/** Usage of one prefix. Totals are bigint because an IPv6 prefix can hold 2^64 or more addresses. */
export interface PrefixUsage {
  readonly prefix: string;
  readonly family: IpFamily;
  readonly total: bigint;
  readonly used: number;
  readonly free: bigint;
}

/** The state of a pool stream before its first event. */
export function initialIpPoolState(): IpPoolState {
  return { prefixes: [], claims: new Map(), scanFrom: new Map() };
}

/** Decides the pool events for a command, or throws a typed AllocationError. */
export function decidePool(command: IpPoolCommand, state: IpPoolState): IpPoolEvent[] {
  switch (command.type) {
    case 'AddPrefix':
      return decideAddPrefix(command, state);
    case 'RemovePrefix':
      return decideRemovePrefix(command, state);
    case 'ClaimIp':
      return decideClaimIp(command, state);
    case 'ReleaseIp':
      return decideReleaseIp(command, state);
    case 'ReleaseGatewayIps':
      return ipsClaimedBy(state, command.gatewayUid).map((ip) => ({
        type: 'PublicIPReleased',
        data: { ip, gatewayUid: command.gatewayUid },
      }));
    default: {
      const unknown: never = command;
      throw new Error(`unknown pool command ${JSON.stringify(unknown)}`);
    }
  }
}

function decideAddPrefix(command: AddPrefix, state: IpPoolState): IpPoolEvent[] {
  const prefix = parsePrefix(command.prefix);
  if (state.prefixes.some((p) => p.cidr === prefix.cidr)) return [];
  const overlapping = state.prefixes.find((p) => prefixesOverlap(p, prefix));
  if (overlapping) throw new PrefixOverlapError(prefix.cidr, overlapping.cidr);
  return [{ type: 'PublicPrefixAdded', data: { prefix: prefix.cidr } }];
}

function decideRemovePrefix(command: RemovePrefix, state: IpPoolState): IpPoolEvent[] {
  const prefix = parsePrefix(command.prefix);
  if (!state.prefixes.some((p) => p.cidr === prefix.cidr)) return [];
  const claimed = [...state.claims.keys()].filter((ip) =>
    prefixContainsNumeric(prefix, parseIp(ip)),
  );
  if (claimed.length > 0) throw new PrefixInUseError(prefix.cidr, sortIps(claimed));
  return [{ type: 'PublicPrefixRemoved', data: { prefix: prefix.cidr } }];
}

function decideClaimIp(command: ClaimIp, state: IpPoolState): IpPoolEvent[] {
  const { gatewayUid, family } = command;
  if (command.ip === undefined) {
    if (!hasFamily(state, family)) throw new NoAllocatorForFamilyError(family);
    const lowest = freeIps(state, family).next();
    if (lowest.done) throw new PoolExhaustedError(family);
    return [{ type: 'PublicIPClaimed', data: { ip: lowest.value, gatewayUid } }];
  }
  const numeric = parseIp(command.ip);
  const ip = formatIp(numeric);
  if (numeric.family !== family) throw new IpFamilyMismatchError(ip, family);
  if (!hasFamily(state, family)) throw new NoAllocatorForFamilyError(family);
  if (!state.prefixes.some((p) => prefixContainsNumeric(p, numeric))) {
    throw new IpNotInPoolError(ip);
  }
  const owner = state.claims.get(ip);
  if (owner === gatewayUid) return [];
  if (owner !== undefined) throw new IpAlreadyClaimedError(ip, owner);
  return [{ type: 'PublicIPClaimed', data: { ip, gatewayUid } }];
}

function decideReleaseIp(command: ReleaseIp, state: IpPoolState): IpPoolEvent[] {
  const ip = canonicalIp(command.ip);
  const owner = state.claims.get(ip);
  if (owner === undefined) return [];
  if (owner !== command.gatewayUid) {
    throw new IpClaimedByAnotherGatewayError(ip, owner, command.gatewayUid);
  }
  return [{ type: 'PublicIPReleased', data: { ip, gatewayUid: command.gatewayUid } }];
}

/** Folds one pool event into the state (pure; returns a new state). */
export function evolvePool(state: IpPoolState, event: IpPoolEvent): IpPoolState {
  return foldPool(state, [event]);
}

/**
 * Folds many pool events at once (pure; returns a new state). Copies the state once rather than
 * once per event, so replaying a pool stream of n claims is linear, not quadratic.
 */
export function foldPool(state: IpPoolState, events: Iterable<IpPoolEvent>): IpPoolState {
  const draft: PoolDraft = {
    prefixes: [...state.prefixes],
    claims: new Map(state.claims),
    scanFrom: new Map(state.scanFrom),
  };
  for (const event of events) applyPoolEvent(draft, event);
  return draft;
}

interface PoolDraft {
  prefixes: IpPrefix[];
  claims: Map<string, string>;
  scanFrom: Map<string, bigint>;
}

function applyPoolEvent(draft: PoolDraft, event: IpPoolEvent): void {
  switch (event.type) {
    case 'PublicPrefixAdded': {
      const prefix = parsePrefix(event.data.prefix);
      if (draft.prefixes.some((p) => p.cidr === prefix.cidr)) return;
      draft.prefixes.push(prefix);
      draft.prefixes.sort(comparePrefixes);
      draft.scanFrom.set(prefix.cidr, firstUnclaimed(draft.claims, prefix, prefix.network));
      return;
    }
    case 'PublicPrefixRemoved': {
      const cidr = parsePrefix(event.data.prefix).cidr;
      draft.prefixes = draft.prefixes.filter((p) => p.cidr !== cidr);
      draft.scanFrom.delete(cidr);
      return;
    }
    case 'PublicIPClaimed': {
      const ip = parseIp(event.data.ip);
      draft.claims.set(formatIp(ip), event.data.gatewayUid);
      const prefix = draft.prefixes.find((p) => prefixContainsNumeric(p, ip));
      if (prefix !== undefined && draft.scanFrom.get(prefix.cidr) === ip.value) {
        draft.scanFrom.set(prefix.cidr, firstUnclaimed(draft.claims, prefix, ip.value));
      }
      return;
    }
    case 'PublicIPReleased': {
      const ip = parseIp(event.data.ip);
      draft.claims.delete(formatIp(ip));
      const prefix = draft.prefixes.find((p) => prefixContainsNumeric(p, ip));
      const from = prefix === undefined ? undefined : draft.scanFrom.get(prefix.cidr);
      if (prefix !== undefined && from !== undefined && ip.value < from) {
        draft.scanFrom.set(prefix.cidr, ip.value);
      }
      return;
    }
    default: {
      const unknown: never = event;
      throw new Error(`unknown pool event ${JSON.stringify(unknown)}`);
    }
  }
}

/** The first address at or above `from` in the prefix that is not claimed (the end if none). */
function firstUnclaimed(
  claims: ReadonlyMap<string, string>,
  prefix: IpPrefix,
  from: bigint,
): bigint {
  const end = prefix.network + prefixSize(prefix);
  let value = from;
  while (value < end && claims.has(formatIp({ family: prefix.family, value }))) value++;
  return value;
}

/** True when some prefix of the pool is of the family. */
export function hasFamily(state: IpPoolState, family: IpFamily): boolean {
  return state.prefixes.some((p) => p.family === family);
}

/**
 * The free addresses of a family, lowest first (prefixes in order, addresses ascending), produced
 * lazily so a caller takes only what it needs. Cost: the holes skipped plus the addresses taken.
 */
export function* freeIps(state: IpPoolState, family: IpFamily): Generator<string, void, undefined> {
  for (const prefix of state.prefixes) {
    if (prefix.family !== family) continue;
    const end = prefix.network + prefixSize(prefix);
    for (let value = state.scanFrom.get(prefix.cidr) ?? prefix.network; value < end; value++) {
      const ip = formatIp({ family, value });
      if (!state.claims.has(ip)) yield ip;
    }
  }
}

/** Up to `limit` free addresses of a family, lowest first. */
export function lowestFreeIps(state: IpPoolState, family: IpFamily, limit: number): string[] {
  const result: string[] = [];
  if (limit <= 0) return result;
  for (const ip of freeIps(state, family)) {
    result.push(ip);
    if (result.length >= limit) break;
  }
  return result;
}

/** The addresses a gateway claims, ascending. */
export function ipsClaimedBy(state: IpPoolState, gatewayUid: string): string[] {
  const ips: string[] = [];
  for (const [ip, owner] of state.claims) if (owner === gatewayUid) ips.push(ip);
  return ips.sort(compareIps);
}

/** The prefix of the pool that contains the address, if any. */
export function prefixOf(state: IpPoolState, ip: string): IpPrefix | undefined {
  const numeric = parseIp(ip);
  return state.prefixes.find((p) => prefixContainsNumeric(p, numeric));
}

/** Total, used and free addresses of every prefix, in prefix order. */
export function poolUsage(state: IpPoolState): PrefixUsage[] {
  const used = new Map<string, number>(state.prefixes.map((p) => [p.cidr, 0]));
  for (const ip of state.claims.keys()) {
    const prefix = prefixOf(state, ip);
    if (prefix) used.set(prefix.cidr, (used.get(prefix.cidr) ?? 0) + 1);
  }
  return state.prefixes.map((p) => {
    const total = prefixSize(p);
    const count = used.get(p.cidr) ?? 0;
    return { prefix: p.cidr, family: p.family, total, used: count, free: total - BigInt(count) };
  });
}
