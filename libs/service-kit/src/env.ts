import { accessSync, constants, readFileSync } from 'node:fs';
import {
  KAFKA_SASL_MECHANISMS,
  type KafkaSaslMechanism,
  type KafkaSecurity,
} from '@billing/messaging';
import { Transform } from 'class-transformer';
import {
  IsDefined,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  registerDecorator,
  ValidateBy,
  ValidateIf,
  type ValidationOptions,
} from 'class-validator';
import {
  type AccountTokenOptions,
  DEFAULT_ACCOUNT_TOKEN_AUDIENCE,
  DEFAULT_ACCOUNT_TOKEN_ISSUER,
  DEFAULT_ACCOUNT_TOKEN_MAX_LIFETIME_SECONDS,
  parseServiceTokens,
  type ServiceCredential,
} from './auth.js';

const toInt = ({ value }: { value: unknown }): unknown =>
  value === undefined || value === '' ? undefined : Number(value);

/** Decorators listed as they would be written above a property (applied from the bottom up). */
function stacked(decorators: readonly PropertyDecorator[]): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    for (const decorate of [...decorators].reverse()) decorate(target, propertyName);
  };
}

/**
 * An integer variable: its text parsed as a number (empty or absent: the default), an integer
 * within `min` and `max`. `options` as class-validator's (a message naming the variable).
 */
export function IsIntegerEnv(
  bounds: { readonly min: number; readonly max?: number },
  options?: ValidationOptions,
): PropertyDecorator {
  return stacked([
    Transform(toInt),
    IsInt(options),
    Min(bounds.min),
    ...(bounds.max === undefined ? [] : [Max(bounds.max)]),
  ]);
}

/** The variable names a file (a path that this process can read), never its content. */
function IsReadableFile(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isReadableFile',
      target: target.constructor,
      propertyName: String(propertyName),
      ...(options === undefined ? {} : { options }),
      validator: {
        validate(value: unknown): boolean {
          if (typeof value !== 'string' || value.length === 0) return false;
          try {
            accessSync(value, constants.R_OK);
            return true;
          } catch {
            return false;
          }
        },
        defaultMessage: (args) => `${args?.property ?? 'the variable'} must name a readable file`,
      },
    });
  };
}

/** TLS files mean nothing without KAFKA_TLS=true: refuse them rather than connect in clear. */
function RequiresKafkaTls(): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'requiresKafkaTls',
      target: target.constructor,
      propertyName: String(propertyName),
      validator: {
        validate: (_value: unknown, args) =>
          (args?.object as { KAFKA_TLS?: unknown }).KAFKA_TLS === true,
        defaultMessage: (args) => `${args?.property ?? 'the variable'} needs KAFKA_TLS=true`,
      },
    });
  };
}

const present = (value: unknown): boolean => value !== undefined && value !== '';

/**
 * One of the two files of the Kafka client certificate (`pair`, the other's name): once either
 * is set, both are required, readable, and only with KAFKA_TLS.
 */
function IsKafkaClientTlsFile(
  pair: 'KAFKA_TLS_CERT_FILE' | 'KAFKA_TLS_KEY_FILE',
): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    stacked([
      ValidateIf(
        (env: CoreServiceEnv) =>
          present(env.KAFKA_TLS_CERT_FILE) || present(env.KAFKA_TLS_KEY_FILE),
      ),
      IsDefined({ message: `${String(propertyName)} is required with ${pair}` }),
      IsReadableFile(),
      RequiresKafkaTls(),
    ])(target, propertyName);
}

/**
 * Configuration shared by every service, the gateway included: where it listens and what it runs
 * on. It holds no credential, so that a service that needs none of the operators' is not given
 * one (the gateway never sees ADMIN_TOKEN).
 */
export class CoreServiceEnv {
  @IsIn(['development', 'test', 'production'])
  NODE_ENV: 'development' | 'test' | 'production' = 'development';

  @Transform(({ value }: { value: unknown }) => (value === undefined ? undefined : Number(value)))
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT!: number;

  /** Seconds the requests in flight get to finish after SIGTERM (shutdown.ts). */
  @IsIntegerEnv({ min: 0, max: 3600 })
  SHUTDOWN_GRACE_SECONDS = 20;

  /** Seconds of a stalled event loop after which the process kills itself (0: never). */
  @IsIntegerEnv({ min: 0, max: 3600 })
  WATCHDOG_STALL_SECONDS = 30;

  @IsString()
  @Matches(/^postgres(ql)?:\/\/\S+$/, {
    message: 'DATABASE_URL must be a postgres:// connection string',
  })
  DATABASE_URL!: string;

  @IsString()
  @Matches(/^[^\s,]+:\d+(,[^\s,]+:\d+)*$/, {
    message: 'KAFKA_BROKERS must be a comma-separated list of host:port',
  })
  KAFKA_BROKERS!: string;

  /**
   * SASL on the Kafka connection: `scram-sha-256` or `scram-sha-512` with the service's own
   * principal (see docs/adr/007-kafka-sasl-acls.md). Required in production: a broker that lets
   * anyone in would let anyone publish a payment. Also required with a username or password:
   * credentials without a mechanism would otherwise be ignored, and the client connect anonymously.
   */
  @ValidateIf(
    (env: CoreServiceEnv) =>
      env.NODE_ENV === 'production' ||
      present(env.KAFKA_SASL_MECHANISM) ||
      present(env.KAFKA_SASL_USERNAME) ||
      present(env.KAFKA_SASL_PASSWORD),
  )
  @IsIn(KAFKA_SASL_MECHANISMS, {
    message: `KAFKA_SASL_MECHANISM must be one of ${KAFKA_SASL_MECHANISMS.join(', ')} (required when NODE_ENV=production, or with KAFKA_SASL_USERNAME or KAFKA_SASL_PASSWORD)`,
  })
  KAFKA_SASL_MECHANISM?: KafkaSaslMechanism;

  @ValidateIf(
    (env: CoreServiceEnv) => present(env.KAFKA_SASL_MECHANISM) || present(env.KAFKA_SASL_USERNAME),
  )
  @IsString()
  @IsNotEmpty({ message: 'KAFKA_SASL_USERNAME is required with KAFKA_SASL_MECHANISM' })
  KAFKA_SASL_USERNAME?: string;

  @ValidateIf(
    (env: CoreServiceEnv) => present(env.KAFKA_SASL_MECHANISM) || present(env.KAFKA_SASL_PASSWORD),
  )
  @IsString()
  @IsNotEmpty({ message: 'KAFKA_SASL_PASSWORD is required with KAFKA_SASL_MECHANISM' })
  KAFKA_SASL_PASSWORD?: string;

  /** `true`: TLS to the brokers, whose certificate must verify (KAFKA_TLS_CA_FILE, or the system's roots). */
  @Transform(({ value }: { value: unknown }) =>
    value === undefined || value === '' ? false : value === 'true' ? true : value,
  )
  @IsIn([true, false], { message: 'KAFKA_TLS must be true or false' })
  KAFKA_TLS = false;

  /** PEM file of the CA that signed the brokers' certificates. */
  @IsOptional()
  @IsReadableFile()
  @RequiresKafkaTls()
  KAFKA_TLS_CA_FILE?: string;

  /** PEM client certificate and key, for brokers that require mutual TLS; both or neither. */
  @IsKafkaClientTlsFile('KAFKA_TLS_KEY_FILE')
  KAFKA_TLS_CERT_FILE?: string;

  @IsKafkaClientTlsFile('KAFKA_TLS_CERT_FILE')
  KAFKA_TLS_KEY_FILE?: string;
}

/**
 * Services with operator routes also take the admin token. Each service extends this (or
 * CoreServiceEnv) with what it alone needs, so `docker-compose.yml` and the code can be checked
 * against one list (see the compose test).
 */
export class BaseServiceEnv extends CoreServiceEnv {
  @IsString()
  @MinLength(16, { message: 'ADMIN_TOKEN must be at least 16 characters' })
  ADMIN_TOKEN!: string;

  /**
   * The read-only operators' token (docs/SECURITY.md, "Operators"): optional; unset, no auditor
   * is accepted. It must differ from ADMIN_TOKEN, or the auditor would be an admin.
   */
  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'AUDITOR_TOKEN must be at least 16 characters' })
  @ValidateBy(
    {
      name: 'differsFromAdminToken',
      validator: {
        validate: (value: unknown, args) =>
          value !== (args?.object as { ADMIN_TOKEN?: unknown }).ADMIN_TOKEN,
      },
    },
    { message: 'AUDITOR_TOKEN must differ from ADMIN_TOKEN' },
  )
  AUDITOR_TOKEN?: string;
}

/**
 * Services that serve `/v1/accounts/{id}/...` to account tokens also say how those are verified:
 * HS256 with CONSOLE_JWT_SECRET, or the identity provider's keys at CONSOLE_JWKS_URL; in both
 * cases with a fixed issuer and audience and a maximum lifetime.
 */
export class AccountFacingEnv extends BaseServiceEnv {
  @ValidateIf((env: AccountFacingEnv) => env.CONSOLE_JWKS_URL === undefined)
  @IsString({ message: 'CONSOLE_JWT_SECRET is required unless CONSOLE_JWKS_URL is set' })
  @IsNotEmpty()
  @MinLength(32, { message: 'CONSOLE_JWT_SECRET must be at least 32 characters' })
  CONSOLE_JWT_SECRET?: string;

  /** An identity provider's JSON Web Key Set: account tokens are then RS256/ES256, never HS256. */
  @IsOptional()
  @IsString()
  @Matches(/^https?:\/\/\S+$/, { message: 'CONSOLE_JWKS_URL must be an http(s) URL' })
  CONSOLE_JWKS_URL?: string;

  @IsString()
  @IsNotEmpty({ message: 'CONSOLE_JWT_ISSUER must not be empty' })
  CONSOLE_JWT_ISSUER = DEFAULT_ACCOUNT_TOKEN_ISSUER;

  @IsString()
  @IsNotEmpty({ message: 'CONSOLE_JWT_AUDIENCE must not be empty' })
  CONSOLE_JWT_AUDIENCE = DEFAULT_ACCOUNT_TOKEN_AUDIENCE;

  @IsIntegerEnv(
    { min: 60, max: 2_592_000 },
    { message: 'CONSOLE_JWT_MAX_LIFETIME_SECONDS must be an integer' },
  )
  CONSOLE_JWT_MAX_LIFETIME_SECONDS = DEFAULT_ACCOUNT_TOKEN_MAX_LIFETIME_SECONDS;
}

/** The account-token verification an AccountFacingEnv describes. */
export function accountTokensFromEnv(env: AccountFacingEnv): AccountTokenOptions {
  return {
    ...(env.CONSOLE_JWKS_URL !== undefined
      ? { jwksUrl: env.CONSOLE_JWKS_URL }
      : { secret: env.CONSOLE_JWT_SECRET ?? '' }),
    issuer: env.CONSOLE_JWT_ISSUER,
    audience: env.CONSOLE_JWT_AUDIENCE,
    maxLifetimeSeconds: env.CONSOLE_JWT_MAX_LIFETIME_SECONDS,
  };
}

/**
 * The account-token options of a module from its two ways of being told: the full options, or
 * only the HS256 secret with the default issuer, audience and lifetime (tests, the standalone).
 */
export function resolveAccountTokens(input: {
  readonly accountTokens?: AccountTokenOptions | undefined;
  readonly consoleJwtSecret?: string | undefined;
}): AccountTokenOptions | undefined {
  if (input.accountTokens !== undefined) return input.accountTokens;
  if (input.consoleJwtSecret === undefined) return undefined;
  return {
    secret: input.consoleJwtSecret,
    issuer: DEFAULT_ACCOUNT_TOKEN_ISSUER,
    audience: DEFAULT_ACCOUNT_TOKEN_AUDIENCE,
    maxLifetimeSeconds: DEFAULT_ACCOUNT_TOKEN_MAX_LIFETIME_SECONDS,
  };
}

/** `SERVICE_TOKENS` must parse (`role=token,...`); the message names problems, never a token. */
export function IsServiceTokens(options?: ValidationOptions): PropertyDecorator {
  let problems: string[] = [];
  return ValidateBy(
    {
      name: 'isServiceTokens',
      validator: {
        validate: (value: unknown) => {
          if (typeof value !== 'string') {
            problems = ['SERVICE_TOKENS is required'];
            return false;
          }
          const parsed = parseServiceTokens(value);
          problems = parsed.ok ? [] : parsed.problems;
          return parsed.ok;
        },
        defaultMessage: () =>
          `SERVICE_TOKENS must read <role>=<token>[,<role>=<token>...]: ${problems.join('; ')}`,
      },
    },
    options,
  );
}

/** The credentials of a validated `SERVICE_TOKENS`. */
export function serviceTokensFromEnv(value: string): ServiceCredential[] {
  const parsed = parseServiceTokens(value);
  // The environment was validated with IsServiceTokens; this cannot fail for a loaded env.
  if (!parsed.ok) throw new RangeError(parsed.problems.join('; '));
  return parsed.credentials;
}

export function kafkaBrokers(env: { KAFKA_BROKERS: string }): string[] {
  return env.KAFKA_BROKERS.split(',');
}

/** What every service's module options take from a validated environment, the gateway's too. */
export function coreOptionsFromEnv(env: CoreServiceEnv): {
  readonly databaseUrl: string;
  readonly kafkaBrokers: string[];
  readonly kafkaSecurity: KafkaSecurity;
} {
  return {
    databaseUrl: env.DATABASE_URL,
    kafkaBrokers: kafkaBrokers(env),
    kafkaSecurity: kafkaSecurity(env),
  };
}

/** {@link coreOptionsFromEnv} and the operators' credentials of a service with account routes. */
export function accountFacingOptionsFromEnv(env: AccountFacingEnv): ReturnType<
  typeof coreOptionsFromEnv
> & {
  readonly adminToken: string;
  readonly auditorToken: string | undefined;
  readonly accountTokens: AccountTokenOptions;
} {
  return {
    ...coreOptionsFromEnv(env),
    adminToken: env.ADMIN_TOKEN,
    auditorToken: env.AUDITOR_TOKEN,
    accountTokens: accountTokensFromEnv(env),
  };
}

/**
 * The Kafka connection's security from a validated environment (`loadConfig` has checked that the
 * files are readable): SASL when KAFKA_SASL_MECHANISM is set, TLS when KAFKA_TLS is true.
 */
export function kafkaSecurity(
  env: Pick<
    CoreServiceEnv,
    | 'KAFKA_SASL_MECHANISM'
    | 'KAFKA_SASL_USERNAME'
    | 'KAFKA_SASL_PASSWORD'
    | 'KAFKA_TLS'
    | 'KAFKA_TLS_CA_FILE'
    | 'KAFKA_TLS_CERT_FILE'
    | 'KAFKA_TLS_KEY_FILE'
  >,
): KafkaSecurity {
  const file = (path: string | undefined): string | undefined =>
    path === undefined || path === '' ? undefined : readFileSync(path, 'utf8');
  const ca = file(env.KAFKA_TLS_CA_FILE);
  const cert = file(env.KAFKA_TLS_CERT_FILE);
  const key = file(env.KAFKA_TLS_KEY_FILE);
  return {
    ...(present(env.KAFKA_SASL_MECHANISM) && env.KAFKA_SASL_MECHANISM !== undefined
      ? {
          sasl: {
            mechanism: env.KAFKA_SASL_MECHANISM,
            username: env.KAFKA_SASL_USERNAME ?? '',
            password: env.KAFKA_SASL_PASSWORD ?? '',
          },
        }
      : {}),
    ...(env.KAFKA_TLS
      ? {
          tls: {
            ...(ca === undefined ? {} : { ca }),
            ...(cert === undefined ? {} : { cert }),
            ...(key === undefined ? {} : { key }),
          },
        }
      : {}),
  };
}
