/** One step in the life of a named object, as the audit reads it from its stream. */
export interface TimedLifecycleEvent {
  /** `Created` starts an incarnation (a new uid), `Deleted` ends it; anything else changes neither. */
  readonly action: 'Created' | 'Deleted' | 'Other';
  readonly uid: string;
  readonly recordedAt: Date;
}

/**
 * The uid of the incarnation of a named object that existed at instant `at`, from
 * its stream's events in order, or undefined when no incarnation existed then
 * (not created yet, or deleted and not created again). An object that is being
 * deleted still exists until its `Deleted` event.
 */
export function incarnationAt(events: Iterable<TimedLifecycleEvent>, at: Date): string | undefined {
  const limit = at.getTime();
  let uid: string | undefined;
  for (const e of events) {
    if (e.recordedAt.getTime() > limit) continue;
    if (e.action === 'Created') uid = e.uid;
    else if (e.action === 'Deleted' && e.uid === uid) uid = undefined;
  }
  return uid;
}
