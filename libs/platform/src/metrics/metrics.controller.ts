import { Controller, Get, Res } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { Metrics } from './metrics';

/** `/metrics`: the Prometheus text exposition of this process's registry. */
@Controller()
export class MetricsController {
  constructor(
    private readonly metrics: Metrics,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  /** Answered through the HTTP adapter (Fastify; tests may run a service on Express). */
  @Get('metrics')
  async metricsText(@Res() res: unknown): Promise<void> {
    const body = await this.metrics.render();
    const adapter = this.adapterHost.httpAdapter;
    adapter.setHeader(res, 'Content-Type', this.metrics.registry.contentType);
    adapter.reply(res, body, 200);
  }
}
