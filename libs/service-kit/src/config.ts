import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';

/**
 * Raised when a service's environment is missing or malformed. The message names every offending
 * variable and the rule it broke, never the value: a secret pasted into the wrong variable must
 * not end up in a log.
 */
export class ConfigError extends Error {
  constructor(
    readonly service: string,
    readonly problems: readonly string[],
  ) {
    super(
      `${service}: refusing to start, the configuration is invalid:\n` +
        problems.map((p) => `  - ${p}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

type ConfigClass<T extends object> = new () => T;

/**
 * Validates `env` against a class-validator decorated class and returns the typed instance.
 * Unknown variables are ignored (the environment holds far more than ours); known ones are
 * checked all at once so the operator sees every problem in one go.
 */
export function loadConfig<T extends object>(
  service: string,
  cls: ConfigClass<T>,
  env: Record<string, string | undefined> = process.env,
): T {
  const instance = plainToInstance(cls, { ...env }, { exposeDefaultValues: true });
  const errors = validateSync(instance, { whitelist: false, forbidUnknownValues: true });
  if (errors.length > 0) {
    throw new ConfigError(service, errors.flatMap(describe));
  }
  return instance;
}

/**
 * The same validation as `loadConfig`, of `names` alone: for a host that embeds a service (the
 * standalone mode) and passes a few of its settings through. The class stays the one source of
 * truth of each variable's rule, default and message; the variables this host does not take
 * (the service's own database, brokers, credentials) are neither required nor reported.
 */
export function loadConfigVariables<T extends object, K extends keyof T & string>(
  service: string,
  cls: ConfigClass<T>,
  names: readonly K[],
  env: Record<string, string | undefined> = process.env,
): Pick<T, K> {
  const wanted = new Set<string>(names);
  const given = Object.fromEntries(Object.entries(env).filter(([name]) => wanted.has(name)));
  const instance = plainToInstance(cls, given, { exposeDefaultValues: true });
  const errors = validateSync(instance, { whitelist: false, forbidUnknownValues: true }).filter(
    (e) => wanted.has(e.property),
  );
  if (errors.length > 0) {
    throw new ConfigError(service, errors.flatMap(describe));
  }
  const picked: Partial<Pick<T, K>> = {};
  for (const name of names) picked[name] = instance[name];
  return picked as Pick<T, K>;
}

function describe(error: ValidationError): string[] {
  const own = Object.values(error.constraints ?? {}).map((message) =>
    // class-validator messages start with the property name; keep them, drop the value.
    message.startsWith(error.property) ? message : `${error.property}: ${message}`,
  );
  return [...own, ...(error.children ?? []).flatMap(describe)];
}
