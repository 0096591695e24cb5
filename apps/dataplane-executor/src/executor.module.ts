import { DynamicModule, Module, OnModuleInit } from '@nestjs/common';
import { EventStoreModule } from '@natgw/event-store';
import { MessagingModule } from '@natgw/messaging';
import {
  HealthModule,
  LoggingModule,
  messagingSettings,
  MetricsModule,
  ReadinessRegistry,
} from '@natgw/platform';
import { NatSlotsProjection } from '@natgw/projections';
import { ExecutorConfig } from './executor.config';
import { DataplaneService } from './reconciler/dataplane.service';
import { PortUsageService } from './usage/port-usage.service';
import { TranslationLogService } from './translation-log/translation-log.service';
import { NATGW_SCHEMA } from '@natgw/schema';

/** Programs this node's NAT dataplane from the log, and repairs drift. */
@Module({})
export class ExecutorModule implements OnModuleInit {
  constructor(
    private readonly readiness: ReadinessRegistry,
    private readonly dataplane: DataplaneService,
  ) {}

  static forRoot(config: ExecutorConfig): DynamicModule {
    return {
      module: ExecutorModule,
      imports: [
        LoggingModule.forRoot('dataplane-executor', config.LOG_LEVEL),
        HealthModule,
        MetricsModule.forRoot({ service: 'dataplane-executor' }),
        EventStoreModule.forRoot({
          url: config.DATABASE_URL,
          sessionUrl: config.DATABASE_SESSION_URL,
          migrate: config.MIGRATE_ON_START === 'true',
          poolSize: config.DATABASE_POOL_SIZE,
          applicationName: `natgw-executor-${config.NODE_NAME ?? 'single'}`,
          ...NATGW_SCHEMA,
          projections: [new NatSlotsProjection()],
        }),
        // Never a relay candidate: one per node would add a session and a lock retry per node
        // (the api-gateway and the allocator run them).
        MessagingModule.forRoot({
          ...messagingSettings(config, 'dataplane-executor'),
          relay: false,
        }),
      ],
      providers: [
        { provide: ExecutorConfig, useValue: config },
        DataplaneService,
        PortUsageService,
        TranslationLogService,
      ],
    };
  }

  onModuleInit(): void {
    this.readiness.register('dataplane', () => this.dataplane.ready);
  }
}
