import { DynamicModule, Module } from '@nestjs/common';
import { EventStoreModule } from '@natgw/event-store';
import { HealthModule, LoggingModule } from '@natgw/platform';
import { AllocatorConfig } from './allocator.config';

/** Owns public IP pools and port slots; records every decision as events. */
@Module({})
export class AllocatorModule {
  static forRoot(config: AllocatorConfig): DynamicModule {
    return {
      module: AllocatorModule,
      imports: [
        LoggingModule.forRoot('allocator', config.LOG_LEVEL),
        HealthModule,
        EventStoreModule.forRoot({
          url: config.DATABASE_URL,
          poolSize: config.DATABASE_POOL_SIZE,
          applicationName: 'natgw-allocator',
        }),
      ],
    };
  }
}
