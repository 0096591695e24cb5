import { DynamicModule, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { HttpMetricsMiddleware } from './http-metrics.middleware';
import { Metrics, METRICS_OPTIONS, MetricsOptions } from './metrics';
import { MetricsController } from './metrics.controller';

/**
 * Serves `/metrics` and times every HTTP request. Global: any provider can
 * inject `Metrics` to record the natgw metrics or register its own.
 */
@Module({})
export class MetricsModule implements NestModule {
  static forRoot(options: MetricsOptions): DynamicModule {
    return {
      module: MetricsModule,
      global: true,
      controllers: [MetricsController],
      providers: [{ provide: METRICS_OPTIONS, useValue: options }, Metrics, HttpMetricsMiddleware],
      exports: [Metrics],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes('{*path}');
  }
}
