import { Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller';
import { ReadinessRegistry } from './readiness';

/**
 * Serves /healthz (a constant answer: as cheap as a route can be) and /readyz (the
 * registered checks as @nestjs/terminus indicators); other modules register readiness
 * checks with ReadinessRegistry.
 */
@Global()
@Module({
  // Failing checks answer 503; they are not errors worth a log line on every probe.
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  providers: [ReadinessRegistry],
  exports: [ReadinessRegistry],
})
export class HealthModule {}
