/**
 * Runs a task for many callers at once: a call made while the task runs waits for the next run,
 * which starts once the current one ends and serves every call made meanwhile. So each caller
 * resolves after a run that started after its call (it sees what the caller did before), and a
 * burst of calls costs two runs, not one per call. A failed run rejects the calls it served.
 */
export class CoalescedRun {
  private running?: Promise<void>;
  private next?: Promise<void>;

  constructor(private readonly task: () => Promise<void>) {}

  run(): Promise<void> {
    if (!this.running) return this.start();
    this.next ??= this.running.then(
      () => this.start(),
      () => this.start(),
    );
    return this.next;
  }

  private start(): Promise<void> {
    this.next = undefined;
    const run = this.task();
    this.running = run;
    const clear = () => {
      if (this.running === run) this.running = undefined;
    };
    run.then(clear, clear);
    return run;
  }
}
