import { DynamicModule, Module } from '@nestjs/common';
import { EventStoreModule } from '@natgw/event-store';
import { HealthModule, LoggingModule } from '@natgw/platform';
import { ApiGatewayConfig } from './api-gateway.config';

/** The REST front door: Kubernetes-style resources served from projections of the log. */
@Module({})
export class ApiGatewayModule {
  static forRoot(config: ApiGatewayConfig): DynamicModule {
    return {
      module: ApiGatewayModule,
      imports: [
        LoggingModule.forRoot('api-gateway', config.LOG_LEVEL),
        HealthModule,
        EventStoreModule.forRoot({
          url: config.DATABASE_URL,
          poolSize: config.DATABASE_POOL_SIZE,
          applicationName: 'natgw-api-gateway',
        }),
      ],
    };
  }
}
