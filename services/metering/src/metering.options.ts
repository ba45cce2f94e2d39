import { TOPICS } from '@billing/contracts';
import { accountFacingOptionsFromEnv, resolveAccountFacingOptions } from '@billing/service-kit';
import type {
  AccountFacingModuleOptions,
  ResolvedAccountFacingOptions,
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
export interface MeteringModuleOptions extends AccountFacingModuleOptions<MeteringTopics> {
  /** The consumer group (and inbox) name of the UsageObserved consumer. */
  readonly usageConsumerName?: string;
  /** UsageObserved applied per consumer transaction. */
  readonly consumerChunkSize?: number;
  /** How often the catalog cache checks the database for a change made by another replica. */
  readonly catalogRefreshMs?: number;
}

export interface ResolvedMeteringOptions extends ResolvedAccountFacingOptions<MeteringTopics> {
  readonly usageConsumerName: string;
  readonly consumerChunkSize: number;
  readonly catalogRefreshMs: number;
}

export const METERING_OPTIONS = Symbol('METERING_OPTIONS');
export const DEFAULT_METERING_SCHEMA = 'metering';

/** @throws RangeError on a schema name that could not be interpolated into SQL safely. */
export function resolveMeteringOptions(options: MeteringModuleOptions): ResolvedMeteringOptions {
  const tuning = options.kafkaTuning ?? {};
  return {
    ...resolveAccountFacingOptions(options, {
      schema: DEFAULT_METERING_SCHEMA,
      topics: { usageObserved: TOPICS.usageObserved, usageRecorded: TOPICS.usageRecorded },
    }),
    usageConsumerName: options.usageConsumerName ?? 'metering.usage-observed',
    // Each partition consumed at once holds a database connection for its chunk's transaction.
    kafkaTuning: { partitionsConsumedConcurrently: 3, ...tuning },
    poolSize: options.poolSize ?? 6 + (tuning.partitionsConsumedConcurrently ?? 3),
    consumerChunkSize: options.consumerChunkSize ?? 250,
    catalogRefreshMs: options.catalogRefreshMs ?? 1_000,
  };
}

/** The options of a production process, from its validated environment. */
export function meteringOptionsFromEnv(env: MeteringEnv): MeteringModuleOptions {
  return accountFacingOptionsFromEnv(env);
}
