import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';

/** A configuration that failed validation; the message names every bad variable and rule. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

function describe(errors: ValidationError[]): string[] {
  return errors.flatMap((e) =>
    Object.values(e.constraints ?? {}).map((msg) =>
      msg.startsWith(e.property) ? msg : `${e.property}: ${msg}`,
    ),
  );
}

/**
 * Parses environment variables into a typed, validated config object. Only the
 * properties the class declares with `@Expose()` are read; defaults are the
 * class's property initialisers.
 */
export function loadConfig<T extends object>(
  cls: new () => T,
  env: NodeJS.ProcessEnv = process.env,
): T {
  const plain: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v !== undefined && v !== '') plain[k] = v;
  }
  const config = plainToInstance(cls, plain, {
    excludeExtraneousValues: true,
    exposeDefaultValues: true,
  });
  const errors = validateSync(config, { skipMissingProperties: false, stopAtFirstError: true });
  if (errors.length > 0) throw new ConfigError(describe(errors));
  return config;
}
