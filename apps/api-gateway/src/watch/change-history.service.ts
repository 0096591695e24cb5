import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { compactResourceChanges } from '@natgw/projections';

/** How much change history is kept, and how often it is compacted. */
export interface ChangeHistoryOptions {
  retainSeconds: number;
  intervalMs: number;
}

/** Injection token of the ChangeHistoryOptions. */
export const CHANGE_HISTORY_OPTIONS = Symbol('CHANGE_HISTORY_OPTIONS');

/**
 * Compacts the resource change log on a timer: watches and paged lists can go
 * back WATCH_HISTORY_SECONDS; from further back they get 410 Gone and relist.
 * Every replica may run it; compaction is idempotent.
 */
@Injectable()
export class ChangeHistoryService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ChangeHistory');
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly dataSource: DataSource,
    private readonly options: ChangeHistoryOptions,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.compact(), this.options.intervalMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Compacts once: drops superseded changes older than the retention. */
  async compact(): Promise<void> {
    try {
      const olderThan = new Date(Date.now() - this.options.retainSeconds * 1000);
      const r = await compactResourceChanges(this.dataSource, olderThan);
      if (r.deletedChanges > 0) {
        this.logger.log(
          `compacted ${r.deletedChanges} changes up to resourceVersion ${r.compactedResourceVersion}`,
        );
      }
    } catch (err) {
      this.logger.warn(`compaction failed: ${(err as Error).message}`);
    }
  }
}
