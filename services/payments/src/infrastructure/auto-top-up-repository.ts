import { parseNanos } from '@billing/money';
import { column, RowCodec, type Queryable } from '@billing/service-kit';
import type { AutoTopUpState } from '../domain/index.js';

export interface AutoTopUpSettings extends AutoTopUpState {
  readonly accountId: string;
  readonly paymentMethodId: string;
  readonly customerId: string;
  readonly updatedAtMs: number;
}

const rows = new RowCodec<AutoTopUpSettings>({
  accountId: column.plain('account_id'),
  enabled: column.plain('enabled'),
  thresholdNanos: column.bigint('threshold_nanos', parseNanos),
  amountNanos: column.bigint('amount_nanos', parseNanos),
  paymentMethodId: column.plain('payment_method_id'),
  customerId: column.plain('customer_id'),
  armed: column.plain('armed'),
  consecutiveFailures: column.plain('consecutive_failures'),
  lastFailureAtMs: column.nullable(column.epochMs('last_failure_at')),
  lastFailureCode: column.plain('last_failure_code'),
  nextAttemptAtMs: column.nullable(column.epochMs('next_attempt_at')),
  disabledReason: column.plain('disabled_reason'),
  lastTotalNanos: column.nullable(column.bigint('last_total_nanos', parseNanos)),
  lastVersion: column.nullable(column.safeInteger('last_version')),
  updatedAtMs: column.epochMs('updated_at'),
});

export class AutoTopUpRepository {
  private readonly saveSql: string;

  constructor(private readonly schema: string) {
    this.saveSql = rows.upsert(`${schema}.auto_top_up_settings`, ['accountId']);
  }

  async get(
    db: Queryable,
    accountId: string,
    lock = false,
  ): Promise<AutoTopUpSettings | undefined> {
    return rows.byKey(db, `${this.schema}.auto_top_up_settings`, 'accountId', accountId, lock);
  }

  /** The account's settings as given, replacing what was there. */
  async save(db: Queryable, s: AutoTopUpSettings): Promise<void> {
    await db.query(this.saveSql, rows.params(s, rows.fields));
  }

  /**
   * Accounts whose last reported balance is below their threshold with a dip not yet served:
   * the sweeper re-decides them (after a backoff, or after an in-flight charge ended).
   */
  async dueForRetry(db: Queryable, nowMs: number, limit: number): Promise<string[]> {
    const res = await db.query<{ account_id: string }>(
      `SELECT s.account_id FROM ${this.schema}.auto_top_up_settings s
        WHERE s.enabled AND s.armed AND s.last_total_nanos < s.threshold_nanos
          AND (s.next_attempt_at IS NULL OR s.next_attempt_at <= $1)
          AND NOT EXISTS (
            SELECT 1 FROM ${this.schema}.top_ups t
             WHERE t.account_id = s.account_id AND t.trigger = 'auto' AND t.status = 'pending')
        ORDER BY s.next_attempt_at NULLS FIRST LIMIT $2`,
      [new Date(nowMs), limit],
    );
    return res.rows.map((r) => r.account_id);
  }
}
