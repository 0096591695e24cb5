import { EventEmitter } from 'node:events';
import type {
  DataSource,
  EntityManager,
  EntitySubscriberInterface,
  TransactionCommitEvent,
  TransactionRollbackEvent,
} from 'typeorm';

/** The NOTIFY channel that tells readers new events were committed. */
export const LOG_CHANNEL = 'natgw_events';

/** The query runner's `data` key marking a transaction that appended events. */
const APPENDED = 'natgwAppendedEvents';

/**
 * Commits of this process, told to its LogNotifiers at once (no round trip through
 * PostgreSQL). A wake-up for another database is harmless: readers just read again.
 */
export const localCommits = new EventEmitter().setMaxListeners(0);

const announcers = new WeakMap<DataSource, CommitAnnouncer>();

/**
 * Wakes readers after appends commit, instead of a NOTIFY inside the appending
 * transaction. PostgreSQL serializes the commits of every transaction that notifies
 * (a cluster-wide lock held from before the commit record until after its flush),
 * so an in-transaction NOTIFY took group commit away from every writer. Here the
 * notification is its own tiny transaction, sent after the append's commit (for an
 * append in a caller's transaction: when TypeORM reports that transaction
 * committed), with `synchronous_commit` off (a notification needs no durability),
 * and coalesced: at most one in flight per process, and one more after it when
 * commits arrived meanwhile, so the last commit is always followed by a
 * notification. Readers still poll, so a notification lost with a connection only
 * delays them.
 */
export class CommitAnnouncer implements EntitySubscriberInterface {
  private sending = false;
  private again = false;

  private constructor(
    private readonly dataSource: DataSource,
    private readonly channel: string,
  ) {
    dataSource.subscribers.push(this);
  }

  /** The announcer of a data source (one per data source, so each commit is announced once). */
  static for(dataSource: DataSource, channel = LOG_CHANNEL): CommitAnnouncer {
    let announcer = announcers.get(dataSource);
    if (!announcer) {
      announcer = new CommitAnnouncer(dataSource, channel);
      announcers.set(dataSource, announcer);
    }
    return announcer;
  }

  /**
   * Events were appended through `manager`: announced now when that committed them
   * (no open transaction), or once its transaction commits.
   */
  appended(manager?: EntityManager): void {
    const runner = manager?.queryRunner;
    if (runner && runner.isTransactionActive) {
      // DataSource.initialize() replaces its subscriber list: subscribe again if so.
      if (!this.dataSource.subscribers.includes(this)) this.dataSource.subscribers.push(this);
      runner.data[APPENDED] = true;
      return;
    }
    this.announce();
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    const runner = event.queryRunner;
    // A released savepoint is not a commit: wait for the outermost one.
    if (runner.isTransactionActive || runner.data[APPENDED] !== true) return;
    delete runner.data[APPENDED];
    this.announce();
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    if (!event.queryRunner.isTransactionActive) delete event.queryRunner.data[APPENDED];
  }

  /** Tells this process's readers now, and every other process's through NOTIFY. */
  announce(): void {
    localCommits.emit('commit');
    if (this.sending) {
      this.again = true;
      return;
    }
    this.sending = true;
    void this.send();
  }

  private async send(): Promise<void> {
    try {
      do {
        this.again = false;
        if (!this.dataSource.isInitialized) return;
        await this.dataSource.query(
          `SELECT set_config('synchronous_commit', 'off', true), pg_notify($1, '')`,
          [this.channel],
        );
      } while (this.again);
    } catch {
      // Readers poll: a lost notification only delays them.
    } finally {
      this.sending = false;
    }
  }
}
