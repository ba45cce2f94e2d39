import { TOPICS } from '@billing/contracts';
import { accountFacingOptionsFromEnv, resolveAccountFacingOptions } from '@billing/service-kit';
import type {
  AccountFacingModuleOptions,
  ResolvedAccountFacingOptions,
} from '@billing/service-kit';
import type { MeteringEnv } from './config.js';
import { parsePercentBasisPoints, type InsurancePolicy } from './domain/index.js';

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
  /** The AI insurance; omitted: the default policy, evaluated every minute. */
  readonly insurance?: InsuranceOptions;
}

export interface InsuranceOptions {
  /** False: no evaluation runs and no claim is made. */
  readonly enabled?: boolean;
  readonly policy?: InsurancePolicy;
  /** How often the scheduler evaluates; 0: only when asked (tests). */
  readonly evaluateEveryMs?: number;
  /** Rows recorded longer ago than this are not evaluated. */
  readonly lookbackMs?: number;
  /** Requests evaluated per transaction. */
  readonly batchSize?: number;
}

export interface ResolvedInsuranceOptions {
  readonly enabled: boolean;
  readonly policy: InsurancePolicy;
  readonly evaluateEveryMs: number;
  readonly lookbackMs: number;
  readonly batchSize: number;
}

/**
 * The policy when nothing is configured: failed-but-charged refunded in full, 10% back for a
 * first token later than 30 s (conservative: far beyond any healthy model's).
 */
export const DEFAULT_INSURANCE_POLICY: InsurancePolicy = Object.freeze({
  version: '2026-12-01',
  refundFailedCharged: true,
  slowFirstToken: Object.freeze({
    defaultThresholdMs: 30_000,
    thresholdsMs: new Map<string, number>(),
    refundBasisPoints: 1_000n,
  }),
});

export interface ResolvedMeteringOptions extends ResolvedAccountFacingOptions<MeteringTopics> {
  readonly insurance: ResolvedInsuranceOptions;
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
    insurance: {
      enabled: options.insurance?.enabled ?? true,
      policy: options.insurance?.policy ?? DEFAULT_INSURANCE_POLICY,
      evaluateEveryMs: options.insurance?.evaluateEveryMs ?? 60_000,
      lookbackMs: options.insurance?.lookbackMs ?? 168 * 3_600_000,
      batchSize: options.insurance?.batchSize ?? 500,
    },
  };
}

/** The options of a production process, from its validated environment. */
export function meteringOptionsFromEnv(env: MeteringEnv): MeteringModuleOptions {
  return {
    ...accountFacingOptionsFromEnv(env),
    insurance: {
      enabled: env.INSURANCE_ENABLED === 'true',
      policy: insurancePolicyFromEnv(env),
      evaluateEveryMs: env.INSURANCE_EVALUATE_EVERY_SECONDS * 1_000,
      lookbackMs: env.INSURANCE_LOOKBACK_HOURS * 3_600_000,
    },
  };
}

/** The policy the environment describes (already checked by MeteringEnv's rules). */
export function insurancePolicyFromEnv(env: MeteringEnv): InsurancePolicy {
  const basisPoints = parsePercentBasisPoints(env.INSURANCE_SLA_REFUND_PERCENT);
  if (basisPoints === undefined) throw new RangeError('INSURANCE_SLA_REFUND_PERCENT is invalid');
  const thresholdsMs = new Map<string, number>();
  for (const pair of env.INSURANCE_SLA_TTFT_MS_BY_MODEL.split(',').filter((p) => p !== '')) {
    const at = pair.lastIndexOf('=');
    thresholdsMs.set(pair.slice(0, at), Number(pair.slice(at + 1)));
  }
  return {
    version: env.INSURANCE_POLICY_VERSION,
    refundFailedCharged: true,
    slowFirstToken: {
      defaultThresholdMs: env.INSURANCE_SLA_TTFT_MS === 0 ? null : env.INSURANCE_SLA_TTFT_MS,
      thresholdsMs,
      refundBasisPoints: basisPoints,
    },
  };
}
