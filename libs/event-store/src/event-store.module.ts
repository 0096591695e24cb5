import {
  DynamicModule,
  Inject,
  Injectable,
  Logger,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Metrics, ReadinessRegistry } from '@natgw/platform';
import { DatabaseOptions, openDatabase } from './database';
import { LogNotifier } from './log-notifier';
import { PostgresEventStore } from './postgres-event-store';
import { Projection, ProjectionRunner } from './projections';

export interface EventStoreModuleOptions extends DatabaseOptions {
  /** Projections this service keeps up to date while it runs. */
  projections?: Projection[];
}

export const EVENT_STORE_OPTIONS = Symbol('EVENT_STORE_OPTIONS');

/** Runs a service's projections for as long as the application lives. */
@Injectable()
export class ProjectionHost implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Projections');
  readonly runners: Map<string, ProjectionRunner>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly store: PostgresEventStore,
    private readonly notifier: LogNotifier,
    @Inject(EVENT_STORE_OPTIONS) options: EventStoreModuleOptions,
  ) {
    this.runners = new Map(
      (options.projections ?? []).map((p) => [
        p.name,
        new ProjectionRunner(dataSource, store, p, notifier, {
          onError: (err, proj) => this.logger.error(`projection ${proj.name}: ${err.message}`),
          // A new read model over an existing log is folded in memory first.
          foldNewReadModel: true,
          onRebuildProgress: (done, total) => {
            if (total > 0 && (done === total || done % 100_000 === 0))
              this.logger.log(
                `projection ${p.name}: building from the log, ${done} of ${total} events`,
              );
          },
        }),
      ]),
    );
  }

  /** The runner of a projection by name. */
  runner(name: string): ProjectionRunner {
    const r = this.runners.get(name);
    if (!r) throw new Error(`no projection named ${name} runs in this service`);
    return r;
  }

  onApplicationBootstrap(): void {
    for (const r of this.runners.values()) r.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.runners.values()].map((r) => r.stop()));
    await this.notifier.stop();
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}

/** The event log, its LISTEN/NOTIFY wake-ups and this service's projections, as Nest providers. */
@Module({})
export class EventStoreModule {
  static forRoot(options: EventStoreModuleOptions): DynamicModule {
    return {
      module: EventStoreModule,
      global: true,
      providers: [
        { provide: EVENT_STORE_OPTIONS, useValue: options },
        {
          provide: DataSource,
          inject: [ReadinessRegistry],
          useFactory: async (readiness: ReadinessRegistry) => {
            const ds = await openDatabase(options);
            readiness.register('database', async () => {
              if (!ds.isInitialized) return false;
              await ds.query('SELECT 1');
              return true;
            });
            return ds;
          },
        },
        {
          provide: PostgresEventStore,
          inject: [DataSource, { token: Metrics, optional: true }],
          useFactory: (ds: DataSource, metrics?: Metrics) =>
            new PostgresEventStore(ds, undefined, (events) => {
              for (const e of events) metrics?.eventsAppended.inc({ event_type: e.type });
            }),
        },
        {
          provide: LogNotifier,
          // After DataSource: the database exists and is migrated before we LISTEN on it.
          inject: [ReadinessRegistry, DataSource],
          useFactory: async (readiness: ReadinessRegistry) => {
            const logger = new Logger('LogNotifier');
            const n = new LogNotifier(options.sessionUrl ?? options.url, (err) =>
              logger.warn(`LISTEN connection: ${err.message}`),
            );
            await n.start();
            readiness.register('log-notifier', () => n.connected);
            return n;
          },
        },
        ProjectionHost,
      ],
      exports: [DataSource, PostgresEventStore, LogNotifier, ProjectionHost],
    };
  }
}
