import {
  API_VERSION,
  failureStatus,
  FieldRequirement,
  LabelSelector,
  matchesFields,
  matchesLabels,
  ResourceKind,
  ResourceObject,
  WatchEvent,
} from '@natgw/contracts';
import {
  ResourceChangeListener,
  ResourceReader,
  ResourceVersionTooOldError,
  StoredChange,
} from '@natgw/projections';
import { INITIAL_EVENTS_END_ANNOTATION } from './watch-start';

/** A watch-list asked for a state not older than a version natgw has not reached. */
export class ResourceVersionTooLargeError extends Error {
  constructor(
    readonly requested: string,
    readonly current: string,
  ) {
    super(`Too large resource version: ${requested}, current: ${current}`);
    this.name = 'ResourceVersionTooLargeError';
  }
}

/** What to watch, from where, and how. */
export interface WatchOptions {
  kind: ResourceKind;
  namespace?: string;
  labelSelector: LabelSelector;
  fieldSelector: FieldRequirement[];
  /** Resume after this version; undefined: from the current state. */
  resourceVersion?: string;
  /** First every current object as ADDED (the state now, so not older than resourceVersion). */
  sendInitialEvents: boolean;
  /** After the initial events, a BOOKMARK annotated `k8s.io/initial-events-end: "true"`. */
  initialEventsEndBookmark: boolean;
  bookmarks: boolean;
  bookmarkIntervalMs: number;
  /** Poll for changes at least this often, in case a notification was missed. */
  pollIntervalMs: number;
}

/** Where watch events go: one JSON line each; resolves once the client took it. */
export interface WatchSink {
  send(event: WatchEvent): Promise<void>;
}

const PAGE = 500;

/**
 * One watch: its cursor is the last resourceVersion delivered, so it resumes
 * exactly after N with neither loss nor duplicates. It reads the change log of
 * its kind (woken by the change listener, polling as a fallback), turns label
 * changes into ADDED/DELETED for a filtered watch, and sends BOOKMARKs. If
 * compaction overtakes a slow watcher, it ends with an ERROR 410 event.
 */
export class WatchSession {
  private cursor = '0';
  private initial: ResourceObject[] = [];
  private closed = false;
  private wake?: () => void;
  /** A change notification arrived since the last read began. */
  private notified = false;
  private lastBookmark = Date.now();

  constructor(
    private readonly reader: ResourceReader,
    private readonly listener: ResourceChangeListener,
    private readonly options: WatchOptions,
  ) {}

  /**
   * Fixes the starting point; throws ResourceVersionTooOldError (410), or for initial
   * events not older than a future version ResourceVersionTooLargeError (504), before
   * anything is sent.
   */
  async open(): Promise<void> {
    const { resourceVersion } = this.options;
    if (this.options.sendInitialEvents) {
      const page = await this.reader.list({
        kind: this.options.kind,
        namespace: this.options.namespace,
        labelSelector: this.options.labelSelector,
        fieldSelector: this.options.fieldSelector,
      });
      if (resourceVersion !== undefined && BigInt(resourceVersion) > BigInt(page.resourceVersion))
        throw new ResourceVersionTooLargeError(resourceVersion, page.resourceVersion);
      this.initial = page.items;
      this.cursor = page.resourceVersion;
      return;
    }
    const state = await this.reader.versionState();
    if (resourceVersion === undefined) {
      this.cursor = state.lastResourceVersion;
      return;
    }
    if (BigInt(resourceVersion) < BigInt(state.compactedResourceVersion)) {
      throw new ResourceVersionTooOldError(resourceVersion, state.compactedResourceVersion);
    }
    this.cursor = resourceVersion;
  }

  /** Streams events into the sink until close() (or a failure, reported to onEnd). */
  async run(sink: WatchSink, onEnd: (err?: unknown) => void): Promise<void> {
    const unsubscribe = this.listener.subscribe(() => {
      this.notified = true;
      this.wake?.();
    });
    try {
      for (const object of this.initial) await sink.send({ type: 'ADDED', object });
      this.initial = [];
      if (this.options.initialEventsEndBookmark) {
        await sink.send({
          type: 'BOOKMARK',
          object: this.bookmark({ [INITIAL_EVENTS_END_ANNOTATION]: 'true' }),
        });
        this.lastBookmark = Date.now();
      }
      while (!this.closed) {
        this.notified = false;
        const ended = await this.deliver(sink);
        if (ended) break;
        if (
          this.options.bookmarks &&
          Date.now() - this.lastBookmark >= this.options.bookmarkIntervalMs
        ) {
          await sink.send({ type: 'BOOKMARK', object: this.bookmark() });
          this.lastBookmark = Date.now();
        }
        await this.sleep();
      }
      onEnd();
    } catch (err) {
      onEnd(err);
    } finally {
      unsubscribe();
    }
  }

  close(): void {
    this.closed = true;
    this.wake?.();
  }

  /** Sends every change after the cursor; true when the watch had to end (410). */
  private async deliver(sink: WatchSink): Promise<boolean> {
    for (;;) {
      if (this.closed) return true;
      const page = await this.reader.changesAfter(this.options.kind, this.cursor, {
        namespace: this.options.namespace,
        limit: PAGE,
      });
      if (BigInt(page.compactedResourceVersion) > BigInt(this.cursor)) {
        await sink.send({
          type: 'ERROR',
          object: failureStatus(
            410,
            'Expired',
            `too old resource version: ${this.cursor} (${page.compactedResourceVersion})`,
          ),
        });
        return true;
      }
      for (const change of page.changes) {
        const event = this.eventFor(change);
        if (event) await sink.send(event);
        this.cursor = change.resourceVersion;
      }
      if (page.changes.length < PAGE) {
        // Every change of this kind up to the snapshot's newest version was read.
        if (BigInt(page.lastResourceVersion) > BigInt(this.cursor))
          this.cursor = page.lastResourceVersion;
        return false;
      }
    }
  }

  private eventFor(change: StoredChange): WatchEvent | undefined {
    const meta = change.object.metadata;
    if (!matchesFields(this.options.fieldSelector, meta)) return undefined;
    const selector = this.options.labelSelector;
    const wasIn = change.type !== 'ADDED' && matchesLabels(selector, change.oldLabels ?? {});
    const isIn = change.type !== 'DELETED' && matchesLabels(selector, meta.labels);
    if (change.type === 'DELETED')
      return wasIn ? { type: 'DELETED', object: change.object } : undefined;
    if (isIn && (change.type === 'ADDED' || !wasIn))
      return { type: 'ADDED', object: change.object };
    if (isIn) return { type: 'MODIFIED', object: change.object };
    // Its labels moved it out of the selection: for this watch it is gone.
    return wasIn ? { type: 'DELETED', object: change.object } : undefined;
  }

  private bookmark(annotations?: Record<string, string>): object {
    return {
      kind: this.options.kind,
      apiVersion: API_VERSION,
      metadata: { resourceVersion: this.cursor, ...(annotations ? { annotations } : {}) },
    };
  }

  private sleep(): Promise<void> {
    const untilBookmark = this.options.bookmarks
      ? Math.max(0, this.options.bookmarkIntervalMs - (Date.now() - this.lastBookmark))
      : Infinity;
    if (this.notified || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.min(this.options.pollIntervalMs, untilBookmark));
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
