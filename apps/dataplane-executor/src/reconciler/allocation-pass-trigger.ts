import type { RecordedEvent } from '@natgw/contracts';
import { ALLOCATION_EVENT_TYPES } from '@natgw/domain';
import { type Checkpoint, compareCheckpoints, LOG_START } from '@natgw/event-store';

const ALLOCATION_TYPES = new Set<string>(ALLOCATION_EVENT_TYPES);

/**
 * When allocation events ask the executor for a pass. Each is heard twice: first when this
 * process's nat-slots runner has applied it (woken by the log's notification, without waiting
 * for the relay and JetStream: the short way to NATTableProgrammed), then when the durable
 * consumer delivers it and the projection includes it (the way that also covers a batch
 * another process applied, and any event whose first request was lost). The second asks only
 * when no successful pass since has read the desired table with the event in it.
 */
export class AllocationPassTrigger {
  /** The nat-slots checkpoint the last successful pass started from: its events are programmed. */
  private passedThrough: Checkpoint = LOG_START;

  constructor(private readonly request: () => void) {}

  /** This process's nat-slots runner committed a batch with these events. */
  applied(events: readonly RecordedEvent[]): void {
    if (events.some((e) => ALLOCATION_TYPES.has(e.type))) this.request();
  }

  /** The consumer delivered the allocation event at `at`, and the projection includes it. */
  delivered(at: Checkpoint): void {
    if (compareCheckpoints(this.passedThrough, at) < 0) this.request();
  }

  /**
   * A pass succeeded that took the projection's checkpoint `through` before it read the
   * desired table (so the table had every event up to it).
   */
  passed(through: Checkpoint): void {
    if (compareCheckpoints(through, this.passedThrough) > 0) this.passedThrough = through;
  }
}
