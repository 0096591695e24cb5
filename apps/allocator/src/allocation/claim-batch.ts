/** A request waiting for its batch, with the promise it settles. */
interface Waiting<R, T> {
  request: R;
  key: string;
  resolve: (result: T) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit: requests that arrive while a batch is being committed wait, and the next batch
 * takes all of them (up to `maxBatch`) into one `commit` call. A lone request is committed at
 * once, so batching adds no delay when there is no queue. Two requests with the same key never
 * share a batch (the later one waits for the next). When a batch's commit fails, every request
 * in it is rejected with that error; the caller decides how to redo it.
 */
export class ClaimBatch<R, T> {
  private waiting: Array<Waiting<R, T>> = [];
  private committing = false;

  constructor(
    /** Commits a batch; returns one result per request, in order. */
    private readonly commit: (requests: R[]) => Promise<T[]>,
    private readonly keyOf: (request: R) => string,
    private readonly maxBatch = 64,
  ) {
    if (!Number.isInteger(maxBatch) || maxBatch < 1)
      throw new Error(`maxBatch must be a positive integer, got ${maxBatch}`);
  }

  /** Resolves with the request's result once its batch committed; rejects when it failed. */
  submit(request: R): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({ request, key: this.keyOf(request), resolve, reject });
      void this.drain();
    });
  }

  /** Requests waiting for a batch (not counting the one being committed). */
  get pending(): number {
    return this.waiting.length;
  }

  private async drain(): Promise<void> {
    if (this.committing) return;
    this.committing = true;
    try {
      while (this.waiting.length > 0) {
        const batch = this.take();
        try {
          const results = await this.commit(batch.map((w) => w.request));
          if (results.length !== batch.length)
            throw new Error(`a batch of ${batch.length} returned ${results.length} results`);
          batch.forEach((w, i) => w.resolve(results[i]));
        } catch (err) {
          for (const w of batch) w.reject(err);
        }
      }
    } finally {
      this.committing = false;
    }
  }

  /** The next batch: oldest first, one request per key, at most maxBatch. */
  private take(): Array<Waiting<R, T>> {
    const batch: Array<Waiting<R, T>> = [];
    const keys = new Set<string>();
    const rest: Array<Waiting<R, T>> = [];
    for (const w of this.waiting) {
      if (batch.length < this.maxBatch && !keys.has(w.key)) {
        keys.add(w.key);
        batch.push(w);
      } else rest.push(w);
    }
    this.waiting = rest;
    return batch;
  }
}
