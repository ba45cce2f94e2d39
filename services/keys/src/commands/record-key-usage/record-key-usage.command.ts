import type { UsageRecorded } from '@billing/contracts';
import { Command } from '@nestjs/cqrs';
import type pg from 'pg';

/** Whether the usage counted towards one of this service's keys. */
export type RecordKeyUsageResult = 'counted' | 'not_ours';

/**
 * Folds one UsageRecorded (from `usage.recorded.v1`) into its key: `used` grows by the cost,
 * `lastUsedAt` moves to the request's completion if later, and the request joins the key's recent
 * usage. Runs in the consumer's transaction (`client`), next to the inbox row that makes a
 * redelivery harmless. Usage without a key, or of a key this service does not know, changes
 * nothing.
 */
export class RecordKeyUsageCommand extends Command<RecordKeyUsageResult> {
  constructor(
    readonly event: UsageRecorded,
    readonly client: pg.PoolClient,
  ) {
    super();
  }
}
