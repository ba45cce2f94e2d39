import { Transform } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
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

  @Transform(toInt)
  @IsInt({ message: 'CONSOLE_JWT_MAX_LIFETIME_SECONDS must be an integer' })
  @Min(60)
  @Max(2_592_000)
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
