import {
  loadConfig,
  loadConfigVariables,
  CoreServiceEnv,
  IsIntegerEnv,
} from '@billing/service-kit';
import {
  IsOptional,
  IsString,
  Matches,
  MinLength,
  Validate,
  ValidatorConstraint,
  type ValidationArguments,
  type ValidatorConstraintInterface,
} from 'class-validator';
import { parseUpstreamProviders } from './domain/index.js';

const HTTP_URL = /^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/;

/** UPSTREAM_PROVIDERS must parse, and every problem is reported (never the value). */
@ValidatorConstraint({ name: 'upstreamProviders' })
class UpstreamProvidersRule implements ValidatorConstraintInterface {
  private problems: readonly string[] = [];

  validate(value: unknown): boolean {
    if (value === undefined) return true;
    if (typeof value !== 'string') return false;
    const parsed = parseUpstreamProviders(value, {});
    this.problems = parsed.ok ? [] : parsed.problems;
    return parsed.ok;
  }

  defaultMessage(_args: ValidationArguments): string {
    return this.problems.length > 0
      ? this.problems.join('; ')
      : 'UPSTREAM_PROVIDERS must read <prefix>=<base URL>[,...] or be a JSON object';
  }
}

/**
 * The gateway serves no operator route, so it takes no ADMIN_TOKEN (CoreServiceEnv): its one
 * credential is its own service token, which the ledger accepts for holds and nothing else.
 */
export class GatewayEnv extends CoreServiceEnv {
  override PORT = 8080;

  /** The gateway's credential towards the ledger (the ledger's SERVICE_TOKENS `gateway=` entry). */
  @IsString({ message: 'SERVICE_TOKEN is required' })
  @MinLength(32, { message: 'SERVICE_TOKEN must be at least 32 characters' })
  @Matches(/^\S+$/, { message: 'SERVICE_TOKEN must not contain whitespace' })
  SERVICE_TOKEN!: string;

  /** Keys are looked up by HMAC-SHA-256(pepper, key); the gateway must use the keys service's pepper. */
  @IsString()
  @MinLength(32, { message: 'API_KEY_PEPPER must be at least 32 characters' })
  API_KEY_PEPPER!: string;

  /** The ledger's base URL: holds are placed there before every upstream call. */
  @IsString()
  @Matches(HTTP_URL, { message: 'LEDGER_URL must be an http(s)://host[:port] URL' })
  LEDGER_URL!: string;

  /**
   * The keys service's base URL: a key the cache does not know yet (created a moment ago, or the
   * cache still catching up after a restart) is looked up there, with SERVICE_TOKEN.
   */
  @IsString()
  @Matches(HTTP_URL, { message: 'KEYS_URL must be an http(s)://host[:port] URL' })
  KEYS_URL!: string;

  /** The largest request body accepted, in bytes; larger ones are refused with 413. */
  @IsIntegerEnv(
    { min: 1_024, max: 64 * 1024 * 1024 },
    { message: 'MAX_BODY_BYTES must be an integer' },
  )
  MAX_BODY_BYTES = 4 * 1024 * 1024;

  /** Metering's base URL: the model catalog (prices, output limits) is read from `GET /v1/models`. */
  @IsString()
  @Matches(HTTP_URL, { message: 'METERING_URL must be an http(s)://host[:port] URL' })
  METERING_URL!: string;

  /**
   * Upstream providers by model id prefix: `openai=https://api.openai.com/v1,...` (keys in
   * `UPSTREAM_<PREFIX>_API_KEY`) or a JSON object. Optional: without it only `sim/` models work.
   */
  @IsOptional()
  @IsString()
  @Validate(UpstreamProvidersRule)
  UPSTREAM_PROVIDERS?: string;

  /** How long a hold lives if the request's usage never reaches the ledger. */
  @IsIntegerEnv({ min: 1, max: 86_400 }, { message: 'HOLD_TTL_SECONDS must be an integer' })
  HOLD_TTL_SECONDS = 600;

  /**
   * The longest a request may run: a stream is then ended with an SSE error and a whole answer
   * with a 504. Until then the request's hold is extended every HOLD_TTL_SECONDS / 3.
   */
  @IsIntegerEnv({ min: 1, max: 86_400 }, { message: 'REQUEST_DEADLINE_SECONDS must be an integer' })
  REQUEST_DEADLINE_SECONDS = 1_800;

  /** How often the catalog is fetched again from metering. */
  @IsIntegerEnv({ min: 1, max: 3_600 }, { message: 'CATALOG_REFRESH_SECONDS must be an integer' })
  CATALOG_REFRESH_SECONDS = 30;

  /** Builder plan keys: requests admitted per key and UTC minute (429 beyond). */
  @IsIntegerEnv({ min: 1, max: 1_000_000 }, { message: 'BUILDER_RPM must be an integer' })
  BUILDER_RPM = 15;

  /** Builder plan keys: requests admitted per key and UTC week, from Monday 00:00 (429 beyond). */
  @IsIntegerEnv(
    { min: 1, max: 1_000_000_000 },
    { message: 'BUILDER_WEEKLY_REQUESTS must be an integer' },
  )
  BUILDER_WEEKLY_REQUESTS = 2_000;

  /**
   * Builder plan keys: the models they may call, comma-separated ids or prefixes ending in `*`
   * (`sim/*,openai/gpt-5-mini`); `*`, every model. Any other model answers 403 model_not_in_plan.
   */
  @IsString()
  @Matches(/^[\w.:/*@-]*(\s*,\s*[\w.:/*@-]*)*$/, {
    message:
      'BUILDER_MODELS must be a comma-separated list of model ids (a trailing * matches a prefix)',
  })
  BUILDER_MODELS = '*';
}

/** The Builder plan's limits: what a host embedding the gateway (the standalone mode) passes on. */
export const BUILDER_PLAN_VARIABLES = [
  'BUILDER_RPM',
  'BUILDER_WEEKLY_REQUESTS',
  'BUILDER_MODELS',
] as const;

export type BuilderPlanEnv = Pick<GatewayEnv, (typeof BUILDER_PLAN_VARIABLES)[number]>;

/** BUILDER_* validated by GatewayEnv's own rules, without the gateway's other variables. */
export const loadBuilderPlanEnv = (
  env: Record<string, string | undefined> = process.env,
): BuilderPlanEnv => loadConfigVariables('gateway', GatewayEnv, BUILDER_PLAN_VARIABLES, env);

export const loadGatewayEnv = (env: Record<string, string | undefined> = process.env): GatewayEnv =>
  loadConfig('gateway', GatewayEnv, env);
