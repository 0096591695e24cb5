import { Injectable, ServiceUnavailableException } from '@nestjs/common';
import {
  HealthCheckResult,
  HealthCheckService,
  HealthIndicatorFunction,
  HealthIndicatorService,
} from '@nestjs/terminus';

/** A named readiness check: true when that dependency is usable. */
export type ReadinessCheck = () => boolean | Promise<boolean>;

/** `/readyz`'s answer: natgw's `ready` and `checks`, and terminus's `info`, `error`, `details`. */
export interface Readiness extends Partial<Omit<HealthCheckResult, 'status'>> {
  ready: boolean;
  checks: Record<string, boolean>;
}

/**
 * Collects the checks that make up `/readyz` (database, NATS, migrations, consumers...)
 * and runs them as @nestjs/terminus health indicators.
 */
@Injectable()
export class ReadinessRegistry {
  private readonly checks = new Map<string, ReadinessCheck>();

  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
  ) {}

  register(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  /** Runs every check; a check that throws counts as not ready. No check: not ready. */
  async evaluate(): Promise<Readiness> {
    if (this.checks.size === 0) return { ready: false, checks: {} };
    const indicators: HealthIndicatorFunction[] = [...this.checks].map(
      ([name, check]) =>
        async () => {
          const session = this.indicators.check(name);
          try {
            return (await check()) ? session.up() : session.down();
          } catch (err) {
            return session.down({ message: (err as Error)?.message ?? String(err) });
          }
        },
    );
    let result: HealthCheckResult;
    try {
      result = await this.health.check(indicators);
    } catch (err) {
      if (!(err instanceof ServiceUnavailableException)) throw err;
      result = err.getResponse() as HealthCheckResult;
    }
    const checks: Record<string, boolean> = {};
    for (const name of this.checks.keys()) checks[name] = result.details[name]?.status === 'up';
    const { info, error, details } = result;
    return { ready: result.status === 'ok', checks, info, error, details };
  }
}
