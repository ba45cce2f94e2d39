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
  ValidateIf,
  type ValidationOptions,
} from 'class-validator';

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
 * Configuration shared by every service. Each service extends it with what it alone needs, so
 * `docker-compose.yml` and the code can be checked against one list (see the compose test).
 */
export class BaseServiceEnv {
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

  /**
   * SASL on the Kafka connection: `scram-sha-256` or `scram-sha-512` with the service's own
   * principal (see docs/adr/007-kafka-sasl-acls.md). Required in production: a broker that lets
   * anyone in would let anyone publish a payment. Also required with a username or password:
   * credentials without a mechanism would otherwise be ignored, and the client connect anonymously.
   */
  @ValidateIf(
    (env: BaseServiceEnv) =>
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
    (env: BaseServiceEnv) => present(env.KAFKA_SASL_MECHANISM) || present(env.KAFKA_SASL_USERNAME),
  )
  @IsString()
  @IsNotEmpty({ message: 'KAFKA_SASL_USERNAME is required with KAFKA_SASL_MECHANISM' })
  KAFKA_SASL_USERNAME?: string;

  @ValidateIf(
    (env: BaseServiceEnv) => present(env.KAFKA_SASL_MECHANISM) || present(env.KAFKA_SASL_PASSWORD),
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
  @ValidateIf(
    (env: BaseServiceEnv) => present(env.KAFKA_TLS_CERT_FILE) || present(env.KAFKA_TLS_KEY_FILE),
  )
  @IsDefined({ message: 'KAFKA_TLS_CERT_FILE is required with KAFKA_TLS_KEY_FILE' })
  @IsReadableFile()
  @RequiresKafkaTls()
  KAFKA_TLS_CERT_FILE?: string;

  @ValidateIf(
    (env: BaseServiceEnv) => present(env.KAFKA_TLS_CERT_FILE) || present(env.KAFKA_TLS_KEY_FILE),
  )
  @IsDefined({ message: 'KAFKA_TLS_KEY_FILE is required with KAFKA_TLS_CERT_FILE' })
  @IsReadableFile()
  @RequiresKafkaTls()
  KAFKA_TLS_KEY_FILE?: string;

  @IsString()
  @MinLength(16, { message: 'ADMIN_TOKEN must be at least 16 characters' })
  ADMIN_TOKEN!: string;
}

/** Services that serve `/v1/accounts/{id}/...` to account tokens also need the JWT secret. */
export class AccountFacingEnv extends BaseServiceEnv {
  @IsString()
  @IsNotEmpty()
  @MinLength(32, { message: 'CONSOLE_JWT_SECRET must be at least 32 characters' })
  CONSOLE_JWT_SECRET!: string;
}

export function kafkaBrokers(env: { KAFKA_BROKERS: string }): string[] {
  return env.KAFKA_BROKERS.split(',');
}

/**
 * The Kafka connection's security from a validated environment (`loadConfig` has checked that the
 * files are readable): SASL when KAFKA_SASL_MECHANISM is set, TLS when KAFKA_TLS is true.
 */
export function kafkaSecurity(
  env: Pick<
    BaseServiceEnv,
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
