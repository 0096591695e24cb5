import { Controller, Get, HttpCode, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ReadinessRegistry } from './readiness';

/** `/healthz`: the process is alive. `/readyz`: every dependency is usable. */
@Controller()
export class HealthController {
  constructor(private readonly readiness: ReadinessRegistry) {}

  @Get('healthz')
  @HttpCode(200)
  healthz(): { status: string } {
    return { status: 'ok' };
  }

  @Get('readyz')
  async readyz(@Res() res: Response): Promise<void> {
    const result = await this.readiness.evaluate();
    res
      .status(result.ready ? 200 : 503)
      .json({ status: result.ready ? 'ok' : 'unavailable', ...result });
  }
}
