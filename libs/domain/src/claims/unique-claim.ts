/**
 * A value that at most one object holds at a time (a VNI, a private address in a network),
 * recorded in a stream of its own: claims and releases alternate. Pure rules over the stream's
 * last event, so the event store's expected version turns "is it free?" into an atomic check.
 */

/** The last event of a claim stream, as far as the rules need it. */
export interface ClaimStreamHead {
  /** Whether the last event claimed or released the value. */
  readonly kind: 'claimed' | 'released';
  /** The uid of the object that claimed (or released) it. */
  readonly holderUid: string;
  /** The stream's version (the number of events in it). */
  readonly version: number;
}

/** Who holds a value now, and what a claim of it must expect. */
export type ClaimStatus =
  /** Nobody: a claim appends expecting this version ('no-stream' for a value never claimed). */
  | { readonly state: 'free'; readonly expectedVersion: number | 'no-stream' }
  /** Held by `holderUid`; a release by that holder expects `version`. */
  | { readonly state: 'held'; readonly holderUid: string; readonly version: number };

/** The status of a value from the last event of its stream (undefined: no stream yet). */
export function claimStatus(head: ClaimStreamHead | undefined): ClaimStatus {
  if (head === undefined) return { state: 'free', expectedVersion: 'no-stream' };
  if (head.kind === 'released') return { state: 'free', expectedVersion: head.version };
  return { state: 'held', holderUid: head.holderUid, version: head.version };
}

/** What an object that wants a value must do about it. */
export type ClaimDecision =
  | { readonly action: 'claim'; readonly expectedVersion: number | 'no-stream' }
  /** It holds the value already. */
  | { readonly action: 'none' }
  /** Another object holds it. */
  | { readonly action: 'refuse'; readonly holderUid: string };

/** Decides a claim of a value by `uid`. */
export function decideClaim(status: ClaimStatus, uid: string): ClaimDecision {
  if (status.state === 'free') return { action: 'claim', expectedVersion: status.expectedVersion };
  if (status.holderUid === uid) return { action: 'none' };
  return { action: 'refuse', holderUid: status.holderUid };
}

/**
 * Decides a release of a value by `uid`: the stream version to expect, or undefined when `uid`
 * does not hold it (never claimed it, e.g. an object older than claims, or released it already).
 */
export function decideRelease(status: ClaimStatus, uid: string): number | undefined {
  return status.state === 'held' && status.holderUid === uid ? status.version : undefined;
}
