import { SingleBar } from 'cli-progress';
import { formatDuration, formatProgressLine, formatRate, rateAndEta } from './progress-line';

/** What long loops call as they go: `done` of `total` units so far. */
export type ProgressCallback = (done: number, total: number) => void;

/** Shows one long task's progress; hand `onProgress` to the loop, call `finish` after it. */
export interface ProgressReporter {
  readonly onProgress: ProgressCallback;
  /** Prints the final state (and stops the bar) when progress was shown. Idempotent. */
  finish(): void;
}

export interface ProgressOptions {
  /** What is running, e.g. `rebuild resources`. */
  label: string;
  /** What is counted, e.g. `events`. Default `items`. */
  unit?: string;
  /** Where to draw; default stderr, so stdout stays for results (`--json`). */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** A bar when true; default: whether `stream` is a terminal. */
  tty?: boolean;
  /** Lines when not a terminal: at most one per interval. Default 5 s. */
  intervalMs?: number;
  /** The clock (tests). */
  now?: () => number;
}

/**
 * A progress bar with rate and ETA (cli-progress) on a terminal, periodic lines
 * otherwise (CI logs, pipes, `kubectl logs` of the migrate Job).
 */
export function createProgress(options: ProgressOptions): ProgressReporter {
  const stream = options.stream ?? process.stderr;
  const tty = options.tty ?? stream.isTTY === true;
  return tty ? new BarProgress(options, stream) : new LineProgress(options, stream);
}

/**
 * Periodic lines: one per interval while the work runs, and the last once any was
 * written; work shorter than one interval prints nothing (scripts and tests read stderr).
 */
class LineProgress implements ProgressReporter {
  private readonly now: () => number;
  private readonly started: number;
  private lastLine: number;
  private done = 0;
  private total = 0;
  private written = false;
  private finished = false;

  constructor(
    private readonly options: ProgressOptions,
    private readonly stream: NodeJS.WritableStream,
  ) {
    this.now = options.now ?? Date.now;
    this.started = this.now();
    this.lastLine = this.started;
  }

  readonly onProgress: ProgressCallback = (done, total) => {
    if (this.finished) return;
    this.done = done;
    this.total = total;
    const t = this.now();
    if (t - this.lastLine < (this.options.intervalMs ?? 5_000)) return;
    this.lastLine = t;
    this.write(false);
  };

  finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.written) this.write(true);
  }

  private write(finished: boolean): void {
    this.written = true;
    const snapshot = { done: this.done, total: this.total, elapsedMs: this.now() - this.started };
    const unit = this.options.unit ?? 'items';
    this.stream.write(`${formatProgressLine(this.options.label, unit, snapshot, finished)}\n`);
  }
}

/** cli-progress's bar, redrawn in place, with our rate and ETA. */
class BarProgress implements ProgressReporter {
  private readonly bar: SingleBar;
  private readonly now: () => number;
  private readonly started: number;
  private running = false;
  private finished = false;

  constructor(options: ProgressOptions, stream: NodeJS.WritableStream) {
    const unit = options.unit ?? 'items';
    this.now = options.now ?? Date.now;
    this.started = this.now();
    this.bar = new SingleBar({
      format: `${options.label} [{bar}] {percentage}% | {value}/{total} ${unit} | {rate} ${unit}/s | ETA {left}`,
      stream,
      hideCursor: true,
      clearOnComplete: false,
      barsize: 30,
      fps: 10,
      noTTYOutput: false,
      barCompleteChar: '#',
      barIncompleteChar: '-',
    });
  }

  readonly onProgress: ProgressCallback = (done, total) => {
    if (this.finished) return;
    const { perSecond, etaMs } = rateAndEta({ done, total, elapsedMs: this.now() - this.started });
    const payload = {
      rate: formatRate(perSecond),
      left: etaMs === undefined ? '?' : formatDuration(etaMs),
    };
    if (!this.running) {
      this.running = true;
      this.bar.start(total, done, payload);
      return;
    }
    this.bar.setTotal(total);
    this.bar.update(done, payload);
  };

  finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.running) {
      this.bar.update({ left: `done in ${formatDuration(this.now() - this.started)}` });
      this.bar.stop();
    }
  }
}
