import { Logger } from '@nestjs/common';

export interface ReconcileLoopOptions {
  /** The resync period (RECONCILE_INTERVAL_SECONDS), with ±10% jitter. */
  intervalMs: number;
  maxBackoffMs?: number;
}

/**
 * Runs a reconcile function one pass at a time: when asked (events), on a
 * jittered interval, and after a failure with exponential backoff. Requests
 * during a pass coalesce into one more pass. It never throws.
 */
export class ReconcileLoop {
  private readonly logger = new Logger('ReconcileLoop');
  private running = false;
  private again?: string;
  private timer?: NodeJS.Timeout;
  private failures = 0;
  private stopped = false;
  private current?: Promise<void>;

  constructor(
    private readonly pass: (reason: string) => Promise<unknown>,
    private readonly options: ReconcileLoopOptions,
  ) {}

  /** Asks for a pass as soon as possible. */
  request(reason: string): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = reason;
      return;
    }
    this.current = this.run(reason);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.current;
  }

  private async run(reason: string): Promise<void> {
    this.running = true;
    if (this.timer) clearTimeout(this.timer);
    let delay = this.jittered(this.options.intervalMs);
    try {
      await this.pass(reason);
      this.failures = 0;
    } catch (err) {
      this.failures++;
      const backoff = Math.min(this.options.maxBackoffMs ?? 60_000, 500 * 2 ** (this.failures - 1));
      delay = Math.min(delay, this.jittered(backoff));
      this.logger.warn(
        `reconcile (${reason}) failed ${this.failures}x, retrying in ${Math.round(delay)}ms: ${(err as Error).message}`,
      );
    } finally {
      this.running = false;
    }
    if (this.stopped) return;
    const again = this.again;
    this.again = undefined;
    if (again !== undefined) {
      this.current = this.run(again);
      return;
    }
    this.timer = setTimeout(() => this.request(this.failures > 0 ? 'retry' : 'interval'), delay);
    this.timer.unref();
  }

  private jittered(ms: number): number {
    return ms * (0.9 + Math.random() * 0.2);
  }
}
