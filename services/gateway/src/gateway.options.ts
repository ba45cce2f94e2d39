import { TOPICS } from '@billing/contracts';
import type { KafkaConsumerTuning, KafkaSecurity } from '@billing/messaging';
import {
  coreOptionsFromEnv,
  resolveSchema,
  resolveTopics,
  type Transport,
} from '@billing/service-kit';
import type { BuilderPlanEnv, GatewayEnv } from './config.js';
import {
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_WORKER_FROM_BYTES,
  type BodyLimits,
} from './infrastructure/body-parser.js';
import {
  DEFAULT_BUILDER_PLAN,
  parseBuilderModels,
  parseUpstreamProviders,
  type BuilderPlanSettings,
  type UpstreamProvider,
} from './domain/index.js';

/** The physical topic names the gateway uses. Production uses the contract's; tests their own. */
export interface GatewayTopics {
  /** Where ApiKeyCreated/Updated/Deleted come from (the key cache). */
  readonly keys: string;
  /** Where UsageObserved goes (through the outbox). */
  readonly usageObserved: string;
}

/**
 * Everything the gateway module can be told. `main.ts` builds it from the environment;
 * integration tests, the bench and the standalone mode build it directly.
 */
export interface GatewayModuleOptions {
  readonly databaseUrl: string;
  /**
   * `SERVICE_TOKEN`: the gateway's own credential, presented to the ledger, which accepts it for
   * the `gateway` role (its `SERVICE_TOKENS`). The gateway holds no admin token.
   */
  readonly serviceToken: string;
  /** `API_KEY_PEPPER`: the HMAC key of the lookup hash, the keys service's. */
  readonly apiKeyPepper: string;
  /** `LEDGER_URL`: where holds are placed (`POST /v1/accounts/{id}/holds`). */
  readonly ledgerUrl: string;
  /**
   * `KEYS_URL`: the keys service, asked authoritatively when a key is not in the cache
   * (`GET /v1/internal/api-keys/by-lookup-hash/{hash}` with the service token). Without it a key
   * unknown to the cache is refused (tests that feed the cache themselves).
   */
  readonly keysUrl?: string;
  /** How long the keys service's "no such key" is believed (default 2 s). */
  readonly keyNegativeCacheMs?: number;
  /** `MAX_BODY_BYTES`: the largest request body accepted (default 4 MiB); larger ones get 413. */
  readonly maxBodyBytes?: number;
  /** Bodies from this size on are parsed on a worker thread (default 4 KiB). */
  readonly workerParseFromBytes?: number;
  /**
   * `METERING_URL`: where the model catalog is read (`GET /v1/models`). Either this or
   * `catalog` must be given.
   */
  readonly meteringUrl?: string;
  /** A fixed catalog in metering's `GET /v1/models` shape, instead of fetching one. */
  readonly catalog?: unknown;
  /** How often the catalog is fetched again (default 30 s). */
  readonly catalogRefreshMs?: number;
  /** Upstream providers by model id prefix (`openai` → base URL and key). */
  readonly upstreams?: ReadonlyMap<string, UpstreamProvider>;
  /** How long a hold lives on the ledger if its usage never arrives (default 600 s). */
  readonly holdTtlSeconds?: number;
  /**
   * The longest a request may run, streamed or not (default 1800 s): at this deadline a stream is
   * ended with an SSE error event (`request_deadline_exceeded`) and a whole answer with a 504.
   * Until then its hold is extended every third of the hold TTL.
   */
  readonly requestDeadlineSeconds?: number;
  /** An upstream that sends nothing for this long is given up on (default 300 s). */
  readonly upstreamIdleTimeoutMs?: number;
  /** The Postgres schema: key table, outbox, inbox. Default `gateway`. */
  readonly schema?: string;
  readonly poolSize?: number;
  readonly topics?: Partial<GatewayTopics>;
  /** Kafka brokers, used when no `transport` is given. */
  readonly kafkaBrokers?: readonly string[];
  /** SASL and TLS of the Kafka connection (default: neither). */
  readonly kafkaSecurity?: KafkaSecurity;
  /** A transport instead of Kafka (standalone mode, tests). The module does not close it. */
  readonly transport?: Transport;
  /** The consumer group (and inbox) name of the key cache's consumer. */
  readonly keysConsumerName?: string;
  readonly kafkaTuning?: KafkaConsumerTuning;
  /** The clock, in epoch milliseconds. Tests may pin it; production reads the system clock. */
  readonly nowMs?: () => number;
  /**
   * The Builder plan's limits (`BUILDER_RPM`, `BUILDER_WEEKLY_REQUESTS`, `BUILDER_MODELS`):
   * defaults 15 per minute, 2000 per week, every model (`*`).
   */
  readonly builderPlan?: {
    readonly requestsPerMinute?: number;
    readonly weeklyRequests?: number;
    /** `BUILDER_MODELS`' syntax: `sim/echo-1,openai/*`, or `*`. */
    readonly models?: string;
  };
}

export interface ResolvedGatewayOptions {
  readonly databaseUrl: string;
  readonly serviceToken: string;
  readonly apiKeyPepper: string;
  readonly ledgerUrl: string;
  readonly keysUrl: string | undefined;
  readonly keyNegativeCacheMs: number;
  readonly body: BodyLimits;
  readonly meteringUrl: string | undefined;
  readonly catalog: unknown;
  readonly catalogRefreshMs: number;
  readonly upstreams: ReadonlyMap<string, UpstreamProvider>;
  readonly holdTtlSeconds: number;
  readonly requestDeadlineSeconds: number;
  readonly upstreamIdleTimeoutMs: number;
  readonly schema: string;
  readonly poolSize: number;
  readonly topics: GatewayTopics;
  readonly kafkaBrokers: readonly string[];
  readonly kafkaSecurity: KafkaSecurity;
  readonly transport: Transport | undefined;
  readonly keysConsumerName: string;
  readonly kafkaTuning: KafkaConsumerTuning;
  readonly nowMs: () => number;
  readonly builderPlan: BuilderPlanSettings;
}

export const GATEWAY_OPTIONS = Symbol('GATEWAY_OPTIONS');
export const DEFAULT_GATEWAY_SCHEMA = 'gateway';

/** @throws RangeError on options that cannot work (the message never echoes a secret). */
export function resolveGatewayOptions(options: GatewayModuleOptions): ResolvedGatewayOptions {
  const schema = resolveSchema(options.schema, DEFAULT_GATEWAY_SCHEMA);
  if (options.apiKeyPepper.length === 0) throw new RangeError('the API key pepper is empty');
  if (options.meteringUrl === undefined && options.catalog === undefined) {
    throw new RangeError('the gateway needs a metering URL or a fixed catalog');
  }
  const holdTtlSeconds = options.holdTtlSeconds ?? 600;
  if (!Number.isInteger(holdTtlSeconds) || holdTtlSeconds < 1 || holdTtlSeconds > 86_400) {
    throw new RangeError('holdTtlSeconds must be an integer between 1 and 86400');
  }
  const requestDeadlineSeconds = options.requestDeadlineSeconds ?? 1_800;
  if (
    !Number.isInteger(requestDeadlineSeconds) ||
    requestDeadlineSeconds < 1 ||
    requestDeadlineSeconds > 86_400
  ) {
    throw new RangeError('requestDeadlineSeconds must be an integer between 1 and 86400');
  }
  const maxBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1024) {
    throw new RangeError('maxBodyBytes must be an integer of at least 1024');
  }
  if (options.serviceToken.length < 32) {
    throw new RangeError('the service token must be at least 32 characters');
  }
  const requestsPerMinute =
    options.builderPlan?.requestsPerMinute ?? DEFAULT_BUILDER_PLAN.requestsPerMinute;
  const weeklyRequests = options.builderPlan?.weeklyRequests ?? DEFAULT_BUILDER_PLAN.weeklyRequests;
  for (const [name, value] of [
    ['builderPlan.requestsPerMinute', requestsPerMinute],
    ['builderPlan.weeklyRequests', weeklyRequests],
  ] as const) {
    if (!Number.isInteger(value) || value < 1 || value > 1_000_000_000) {
      throw new RangeError(`${name} must be an integer between 1 and 1000000000`);
    }
  }
  return {
    databaseUrl: options.databaseUrl,
    serviceToken: options.serviceToken,
    apiKeyPepper: options.apiKeyPepper,
    ledgerUrl: options.ledgerUrl.replace(/\/+$/, ''),
    keysUrl: options.keysUrl?.replace(/\/+$/, ''),
    keyNegativeCacheMs: options.keyNegativeCacheMs ?? 2_000,
    body: {
      maxBytes,
      workerFromBytes: options.workerParseFromBytes ?? DEFAULT_WORKER_FROM_BYTES,
    },
    meteringUrl: options.meteringUrl?.replace(/\/+$/, ''),
    catalog: options.catalog,
    catalogRefreshMs: options.catalogRefreshMs ?? 30_000,
    upstreams: options.upstreams ?? new Map(),
    holdTtlSeconds,
    requestDeadlineSeconds,
    upstreamIdleTimeoutMs: options.upstreamIdleTimeoutMs ?? 300_000,
    schema,
    poolSize: options.poolSize ?? 10,
    topics: resolveTopics(
      { keys: TOPICS.keys, usageObserved: TOPICS.usageObserved },
      options.topics,
    ),
    kafkaBrokers: options.kafkaBrokers ?? [],
    kafkaSecurity: options.kafkaSecurity ?? {},
    transport: options.transport,
    keysConsumerName: options.keysConsumerName ?? 'gateway.keys',
    kafkaTuning: options.kafkaTuning ?? {},
    nowMs: options.nowMs ?? Date.now,
    builderPlan: {
      requestsPerMinute,
      weeklyRequests,
      models: parseBuilderModels(options.builderPlan?.models ?? DEFAULT_BUILDER_PLAN.models),
    },
  };
}

/** The options of a production process, from its validated environment. */
export function gatewayOptionsFromEnv(
  env: GatewayEnv,
  raw: Readonly<Record<string, string | undefined>> = process.env,
): GatewayModuleOptions {
  const parsed = parseUpstreamProviders(env.UPSTREAM_PROVIDERS, raw);
  // config.ts has validated the list already; this cannot fail for a loaded GatewayEnv.
  if (!parsed.ok) throw new RangeError(parsed.problems.join('; '));
  return {
    ...coreOptionsFromEnv(env),
    serviceToken: env.SERVICE_TOKEN,
    apiKeyPepper: env.API_KEY_PEPPER,
    ledgerUrl: env.LEDGER_URL,
    keysUrl: env.KEYS_URL,
    maxBodyBytes: env.MAX_BODY_BYTES,
    meteringUrl: env.METERING_URL,
    catalogRefreshMs: env.CATALOG_REFRESH_SECONDS * 1000,
    upstreams: parsed.providers,
    holdTtlSeconds: env.HOLD_TTL_SECONDS,
    requestDeadlineSeconds: env.REQUEST_DEADLINE_SECONDS,
    builderPlan: builderPlanFromEnv(env),
  };
}

/**
 * The Builder plan's limits from BUILDER_*: one mapping for the gateway process (above) and for a
 * host that embeds the gateway (the standalone mode, which loads them with loadBuilderPlanEnv).
 */
export function builderPlanFromEnv(
  env: BuilderPlanEnv,
): NonNullable<GatewayModuleOptions['builderPlan']> {
  return {
    requestsPerMinute: env.BUILDER_RPM,
    weeklyRequests: env.BUILDER_WEEKLY_REQUESTS,
    models: env.BUILDER_MODELS,
  };
}
