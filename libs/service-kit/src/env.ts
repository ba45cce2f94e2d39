import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsNotEmpty, IsString, Matches, Max, Min, MinLength } from 'class-validator';

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
