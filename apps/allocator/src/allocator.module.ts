import { DynamicModule, Module, OnModuleInit } from '@nestjs/common';
import { validatePublicIpBounds } from '@natgw/domain';
import { EventStoreModule } from '@natgw/event-store';
import { MessagingModule } from '@natgw/messaging';
import {
  ConfigError,
  HealthModule,
  LoggingModule,
  messagingSettings,
  MetricsModule,
  ReadinessRegistry,
} from '@natgw/platform';
import { ResourceProjection } from '@natgw/projections';
import { AllocatorConfig } from './allocator.config';
import { AllocationScheduler } from './allocation/allocation-scheduler';
import { AllocationTriggersConsumer } from './allocation/allocation-triggers.consumer';
import { NATGW_SCHEMA } from '@natgw/schema';

/** Owns public IP pools and port slots; records every decision as events. */
@Module({})
export class AllocatorModule implements OnModuleInit {
  constructor(
    private readonly readiness: ReadinessRegistry,
    private readonly scheduler: AllocationScheduler,
  ) {}

  static forRoot(config: AllocatorConfig): DynamicModule {
    const problems = validatePublicIpBounds({
      minPublicIPs: config.DEFAULT_MIN_PUBLIC_IPS,
      maxPublicIPs: config.DEFAULT_MAX_PUBLIC_IPS,
    });
    if (config.DEFAULT_MAX_PUBLIC_IPS > config.MAX_PUBLIC_IPS_PER_GATEWAY) {
      problems.push(
        `maxPublicIPs ${config.DEFAULT_MAX_PUBLIC_IPS} must not exceed MAX_PUBLIC_IPS_PER_GATEWAY ${config.MAX_PUBLIC_IPS_PER_GATEWAY}`,
      );
    }
    if (problems.length > 0) {
      throw new ConfigError(
        problems.map((p) => `DEFAULT_MIN_PUBLIC_IPS/DEFAULT_MAX_PUBLIC_IPS: ${p}`),
      );
    }
    return {
      module: AllocatorModule,
      imports: [
        LoggingModule.forRoot('allocator', config.LOG_LEVEL),
        HealthModule,
        MetricsModule.forRoot({ service: 'allocator' }),
        EventStoreModule.forRoot({
          url: config.DATABASE_URL,
          sessionUrl: config.DATABASE_SESSION_URL,
          migrate: config.MIGRATE_ON_START === 'true',
          poolSize: config.DATABASE_POOL_SIZE,
          applicationName: 'natgw-allocator',
          ...NATGW_SCHEMA,
          projections: [new ResourceProjection()],
        }),
        MessagingModule.forRoot(messagingSettings(config, 'allocator')),
      ],
      controllers: [AllocationTriggersConsumer],
      providers: [{ provide: AllocatorConfig, useValue: config }, AllocationScheduler],
    };
  }

  onModuleInit(): void {
    this.readiness.register('allocator', () => this.scheduler.ready);
  }
}
