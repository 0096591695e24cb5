import { Injectable } from '@nestjs/common';

/** A named readiness check: true when that dependency is usable. */
export type ReadinessCheck = () => boolean | Promise<boolean>;

/** Collects the checks that make up `/readyz` (database, NATS, migrations, consumers...). */
@Injectable()
export class ReadinessRegistry {
  private readonly checks = new Map<string, ReadinessCheck>();

  register(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  /** Runs every check; a check that throws counts as not ready. */
  async evaluate(): Promise<{ ready: boolean; checks: Record<string, boolean> }> {
    const checks: Record<string, boolean> = {};
    for (const [name, check] of this.checks) {
      try {
        checks[name] = Boolean(await check());
      } catch {
        checks[name] = false;
      }
    }
    const ready = this.checks.size > 0 && Object.values(checks).every(Boolean);
    return { ready, checks };
  }
}
