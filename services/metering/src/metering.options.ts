import { TOPICS } from '@billing/contracts';
import {
  accountTokensFromEnv,
  type AccountTokenOptions,
  resolveAccountTokens,
  kafkaBrokers,
  kafkaSecurity,
  resolveMessagingOptions,
  type MessagingModuleOptions,
  type ResolvedMessagingOptions,
} from '@billing/service-kit';
import type { MeteringEnv } from './config.js';

/** The physical topic names metering uses. Production uses the contract's; tests their own. */
export interface MeteringTopics {
  /** Where UsageObserved comes from (the gateway, internal services). */
  readonly usageObserved: string;
  /** Where UsageRecorded goes (the ledger charges it, keys counts it per key). */
  readonly usageRecorded: string;
}

/**
 * Everything the metering module can be told. `main.ts` builds it from the environment;
 * integration tests and the benchmark build it directly.
 */
export interface MeteringModuleOptions extends MessagingModuleOptions {
  readonly databaseUrl: string;
  readonly adminToken: string;
  /** HS256 account tokens with the default issuer, audience and lifetime (tests, standalone). */
  readonly consoleJwtSecret?: string;
  /** How account tokens are verified; wins over `consoleJwtSecret`. */
  readonly accountTokens?: AccountTokenOptions;
  /** The Postgres schema of the service. Default `metering`. */
  readonly schema?: string;
  readonly poolSize?: number;
  readonly topics?: Partial<MeteringTopics>;
  /** The consumer group (and inbox) name of the UsageObserved consumer. */
  readonly usageConsumerName?: string;
  /** UsageObserved applied per consumer transaction. */
  readonly consumerChunkSize?: number;
  /** How often the catalog cache checks the database for a change made by another replica. */
  readonly catalogRefreshMs?: number;
  /** The service's clock. Tests may pin it; production reads the system clock. */
  readonly clock?: () => Date;
}

export interface ResolvedMeteringOptions extends ResolvedMessagingOptions {
  readonly databaseUrl: string;
  readonly adminToken: string;
  readonly accountTokens: AccountTokenOptions | undefined;
  readonly schema: string;
  readonly poolSize: number;
  readonly topics: MeteringTopics;
  readonly usageConsumerName: string;
  readonly consumerChunkSize: number;
  readonly catalogRefreshMs: number;
  readonly clock: () => Date;
}

export const METERING_OPTIONS = Symbol('METERING_OPTIONS');
export const DEFAULT_METERING_SCHEMA = 'metering';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]*$/;

/** @throws RangeError on a schema name that could not be interpolated into SQL safely. */
export function resolveMeteringOptions(options: MeteringModuleOptions): ResolvedMeteringOptions {
  const schema = options.schema ?? DEFAULT_METERING_SCHEMA;
  if (!SCHEMA_NAME.test(schema)) throw new RangeError(`invalid schema name ${schema}`);
  const tuning = options.kafkaTuning ?? {};
  return {
    ...resolveMessagingOptions(options),
    databaseUrl: options.databaseUrl,
    adminToken: options.adminToken,
    accountTokens: resolveAccountTokens(options),
    schema,
    topics: {
      usageObserved: options.topics?.usageObserved ?? TOPICS.usageObserved,
      usageRecorded: options.topics?.usageRecorded ?? TOPICS.usageRecorded,
    },
    usageConsumerName: options.usageConsumerName ?? 'metering.usage-observed',
    // Each partition consumed at once holds a database connection for its chunk's transaction.
    kafkaTuning: { partitionsConsumedConcurrently: 3, ...tuning },
    poolSize: options.poolSize ?? 6 + (tuning.partitionsConsumedConcurrently ?? 3),
    consumerChunkSize: options.consumerChunkSize ?? 250,
    catalogRefreshMs: options.catalogRefreshMs ?? 1_000,
    clock: options.clock ?? ((): Date => new Date()),
  };
}

/** The options of a production process, from its validated environment. */
export function meteringOptionsFromEnv(env: MeteringEnv): MeteringModuleOptions {
  return {
    databaseUrl: env.DATABASE_URL,
    adminToken: env.ADMIN_TOKEN,
    accountTokens: accountTokensFromEnv(env),
    kafkaBrokers: kafkaBrokers(env),
    kafkaSecurity: kafkaSecurity(env),
  };
}
