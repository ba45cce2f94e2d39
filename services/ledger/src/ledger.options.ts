import { TOPICS } from '@billing/contracts';
import {
  accountFacingOptionsFromEnv,
  resolveAccountFacingOptions,
  serviceTokensFromEnv,
} from '@billing/service-kit';
import type {
  AccountFacingModuleOptions,
  InboxPruningSettings,
  ResolvedAccountFacingOptions,
} from '@billing/service-kit';
import type { LedgerEnv } from './config.js';
import { DEFAULT_MAX_ACTIVE_HOLDS } from './domain/index.js';
import { DEFAULT_SNAPSHOT_EVERY } from './infrastructure/snapshots.js';

/** The physical topic names the ledger uses. Production uses the contract's; tests use their own. */
export interface LedgerTopics {
  readonly payments: string;
  readonly usageRecorded: string;
  readonly ledger: string;
}

/**
 * Everything the ledger module can be told. `main.ts` builds it from the environment; integration
 * tests build it directly so that each test file gets its own schema and topics.
 */
export interface LedgerModuleOptions extends AccountFacingModuleOptions<LedgerTopics> {
  /** Prefix of the consumer group names (`<prefix>-payments`, `<prefix>-usage`). */
  readonly consumerGroupPrefix?: string;
  /** Messages applied per consumer transaction. */
  readonly consumerChunkSize?: number;
  /** How often the expiry scheduler looks for due holds and lots; 0 turns it off. */
  readonly schedulerIntervalMs?: number;
  /** Accounts whose decision state is kept in memory. */
  readonly stateCacheSize?: number;
  /** A snapshot of an account is stored every this many events (default 1,000). */
  readonly snapshotEvery?: number;
  /** The most holds one account may have open at once (default 10,000). */
  readonly maxActiveHolds?: number;
  /** The inbox pruner (default: rows kept 30 days against a 14-day redelivery horizon). */
  readonly inboxPruning?: false | InboxPruningSettings;
}

export interface ResolvedLedgerOptions extends ResolvedAccountFacingOptions<LedgerTopics> {
  readonly consumerGroupPrefix: string;
  readonly consumerChunkSize: number;
  readonly schedulerIntervalMs: number;
  readonly stateCacheSize: number;
  readonly snapshotEvery: number;
  readonly maxActiveHolds: number;
  readonly inboxPruning: false | InboxPruningSettings;
}

export const LEDGER_OPTIONS = Symbol('LEDGER_OPTIONS');

const HOUR_MS = 3_600_000;

export const DEFAULT_LEDGER_SCHEMA = 'ledger';

export function resolveLedgerOptions(options: LedgerModuleOptions): ResolvedLedgerOptions {
  return {
    ...resolveAccountFacingOptions(options, {
      schema: DEFAULT_LEDGER_SCHEMA,
      topics: {
        payments: TOPICS.payments,
        usageRecorded: TOPICS.usageRecorded,
        ledger: TOPICS.ledger,
      },
    }),
    // The consumers' chunks and the holds API each hold a connection while they write.
    poolSize: options.poolSize ?? 20,
    consumerGroupPrefix: options.consumerGroupPrefix ?? 'ledger',
    consumerChunkSize: options.consumerChunkSize ?? 500,
    schedulerIntervalMs: options.schedulerIntervalMs ?? 1_000,
    stateCacheSize: options.stateCacheSize ?? 50_000,
    snapshotEvery: options.snapshotEvery ?? DEFAULT_SNAPSHOT_EVERY,
    maxActiveHolds: options.maxActiveHolds ?? DEFAULT_MAX_ACTIVE_HOLDS,
    inboxPruning: options.inboxPruning ?? {},
  };
}

/** The options of a production process, from its validated environment. */
export function ledgerOptionsFromEnv(env: LedgerEnv): LedgerModuleOptions {
  return {
    ...accountFacingOptionsFromEnv(env),
    serviceTokens: serviceTokensFromEnv(env.SERVICE_TOKENS),
    snapshotEvery: env.LEDGER_SNAPSHOT_EVERY,
    maxActiveHolds: env.LEDGER_MAX_ACTIVE_HOLDS,
    inboxPruning: {
      retentionMs: env.INBOX_RETENTION_HOURS * HOUR_MS,
      redeliveryHorizonMs: env.KAFKA_REDELIVERY_HORIZON_HOURS * HOUR_MS,
    },
  };
}
