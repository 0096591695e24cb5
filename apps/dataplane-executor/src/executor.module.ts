import { DynamicModule, Module } from '@nestjs/common';
import { EventStoreModule } from '@natgw/event-store';
import { HealthModule, LoggingModule } from '@natgw/platform';
import { ExecutorConfig } from './executor.config';

/** Programs this node's NAT dataplane from the log, and repairs drift. */
@Module({})
export class ExecutorModule {
  static forRoot(config: ExecutorConfig): DynamicModule {
    return {
      module: ExecutorModule,
      imports: [
        LoggingModule.forRoot('dataplane-executor', config.LOG_LEVEL),
        HealthModule,
        EventStoreModule.forRoot({
          url: config.DATABASE_URL,
          poolSize: config.DATABASE_POOL_SIZE,
          applicationName: `natgw-executor-${config.NODE_NAME ?? 'single'}`,
        }),
      ],
    };
  }
}
