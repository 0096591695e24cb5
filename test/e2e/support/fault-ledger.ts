// What clients saw during a fault run: every request attempt's outcome, sorted
// into the classes the fault suite allows (2xx, 409, 429, 503 with Retry-After,
// a failed connection to a process that was deliberately killed) and the ones it
// does not (any other status, 503 without Retry-After, a hang, a dropped
// connection nobody caused). Every acknowledged write is kept with the events it
// must have left in the log, for the exactly-once check.

/** The events one acknowledged write must have appended (by the API, with its correlation id). */
export interface AckedWrite {
  /** What the operation was, for messages: `PATCH networkinterface f0/nic-12`. */
  what: string;
  via: 'rest' | 'nats';
  stream: string;
  /** The correlation id of the attempt that got the 2xx (REST) or the request id (NATS). */
  correlationId: string;
  /**
   * Correlation ids of every attempt of the operation. When an earlier attempt may
   * have committed (its answer was lost), the events of all attempts together
   * must match `expect` instead (a retried delete of an object already being
   * deleted appends nothing).
   */
  attempts: string[];
  ambiguousBefore: boolean;
  /** Event type -> how many the write appended. */
  expect: Record<string, number>;
  /** A retried update may have appended once per attempt: the count is at most this. */
  upToAttempts?: boolean;
}

/** An attempt whose definite non-2xx answer says it changed nothing. */
export interface RefusedWrite {
  what: string;
  stream: string;
  correlationId: string;
  status: number;
}

/** Everything clients saw. */
export class FaultLedger {
  readonly acked: AckedWrite[] = [];
  readonly refused: RefusedWrite[] = [];
  readonly violations: string[] = [];
  private readonly counts = new Map<string, number>();
  operations = 0;
  /** When the workload started; violations say how long after it they happened. */
  startedAt = Date.now();

  /** Counts one attempt outcome under a class name (`201`, `503 (Retry-After)`, `killed: ...`). */
  count(outcome: string): void {
    this.counts.set(outcome, (this.counts.get(outcome) ?? 0) + 1);
  }

  /** Records something clients must never see, and counts it. */
  violation(what: string, detail: string): void {
    this.count(`VIOLATION ${detail.split(':')[0]}`);
    const at = ((Date.now() - this.startedAt) / 1000).toFixed(1);
    if (this.violations.length < 200) this.violations.push(`+${at}s ${what}: ${detail}`);
  }

  /** Outcome classes and how often each happened, most frequent first. */
  outcomes(): Array<[string, number]> {
    return [...this.counts.entries()].sort((a, b) => b[1] - a[1]);
  }

  /** The outcome table, one class a line. */
  summary(): string {
    return this.outcomes()
      .map(([k, n]) => `${String(n).padStart(6)}  ${k}`)
      .join('\n');
  }
}
