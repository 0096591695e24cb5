import { DynamicModule, Module } from '@nestjs/common';
import { HttpMetricsHook } from './http-metrics.hook';
import { Metrics, METRICS_OPTIONS, MetricsOptions } from './metrics';
import { MetricsController } from './metrics.controller';

/**
 * Serves `/metrics` and times every HTTP request (HttpMetricsHook). Global: any provider can
 * inject `Metrics` to record the natgw metrics or register its own.
 */
@Module({})
export class MetricsModule {
  static forRoot(options: MetricsOptions): DynamicModule {
    return {
      module: MetricsModule,
      global: true,
      controllers: [MetricsController],
      providers: [{ provide: METRICS_OPTIONS, useValue: options }, Metrics, HttpMetricsHook],
      exports: [Metrics],
    };
  }
}
