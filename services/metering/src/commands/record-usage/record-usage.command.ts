import { Command } from '@nestjs/cqrs';
import type pg from 'pg';
import type { PricedObservation } from '../../domain/price-observation.js';

/** One observation, priced with the catalog of `revision`. */
export interface PricedUsage {
  readonly priced: PricedObservation;
  readonly revision: bigint;
}

export interface UsageRecordResult {
  readonly requestId: string;
  /**
   * `recorded`: priced and recorded now (one UsageRecorded); `duplicate`: recorded before with
   * the same usage, nothing written.
   */
  readonly outcome: 'recorded' | 'duplicate';
  /** What the request was charged, when recorded now: a decimal USD string. */
  readonly cost?: string;
  readonly priceVersion?: string;
}

export type RecordUsageResult =
  | { readonly ok: true; readonly results: readonly UsageRecordResult[] }
  /** Request ids recorded before with different usage. Nothing of the batch was written. */
  | { readonly ok: false; readonly conflicts: readonly string[] };

/**
 * Record priced usage: a request log row and a UsageRecorded (through the outbox) per request,
 * once per requestId. With `client`, inside the caller's transaction (the Kafka consumer's, next
 * to its inbox row); without, in a transaction of its own that records the whole batch or, if
 * any requestId conflicts, nothing.
 */
export class RecordUsageCommand extends Command<RecordUsageResult> {
  constructor(
    readonly usage: readonly PricedUsage[],
    readonly client?: pg.PoolClient,
  ) {
    super();
  }
}
