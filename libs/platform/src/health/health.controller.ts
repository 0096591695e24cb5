import { Controller, Get, HttpCode, Res } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ReadinessRegistry } from './readiness';

/** `/healthz`: the process is alive. `/readyz`: every dependency is usable. */
@Controller()
export class HealthController {
  constructor(
    private readonly readiness: ReadinessRegistry,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  @Get('healthz')
  @HttpCode(200)
  healthz(): { status: string } {
    return { status: 'ok' };
  }

  /** 200 or 503 with the evaluation, through the HTTP adapter (Fastify; tests may use Express). */
  @Get('readyz')
  async readyz(@Res() res: unknown): Promise<void> {
    const result = await this.readiness.evaluate();
    this.adapterHost.httpAdapter.reply(
      res,
      { status: result.ready ? 'ok' : 'unavailable', ...result },
      result.ready ? 200 : 503,
    );
  }
}
