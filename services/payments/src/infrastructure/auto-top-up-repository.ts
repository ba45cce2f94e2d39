import { parseNanos } from '@billing/money';
import type { AutoTopUpState } from '../domain/index.js';
import type { Queryable } from './top-up-repository.js';

export interface AutoTopUpSettings extends AutoTopUpState {
  readonly accountId: string;
  readonly paymentMethodId: string;
  readonly customerId: string;
  readonly updatedAtMs: number;
}

interface DbRow {
  account_id: string;
  enabled: boolean;
  threshold_nanos: string;
  amount_nanos: string;
  payment_method_id: string;
  customer_id: string;
  armed: boolean;
  consecutive_failures: number;
  last_failure_at: Date | null;
  last_failure_code: string | null;
  next_attempt_at: Date | null;
  disabled_reason: string | null;
  last_total_nanos: string | null;
  last_version: string | null;
  updated_at: Date;
}

function fromDb(r: DbRow): AutoTopUpSettings {
  return {
    accountId: r.account_id,
    enabled: r.enabled,
    thresholdNanos: parseNanos(r.threshold_nanos),
    amountNanos: parseNanos(r.amount_nanos),
    paymentMethodId: r.payment_method_id,
    customerId: r.customer_id,
    armed: r.armed,
    consecutiveFailures: r.consecutive_failures,
    lastFailureAtMs: r.last_failure_at?.getTime() ?? null,
    lastFailureCode: r.last_failure_code,
    nextAttemptAtMs: r.next_attempt_at?.getTime() ?? null,
    disabledReason: r.disabled_reason,
    lastTotalNanos: r.last_total_nanos === null ? null : parseNanos(r.last_total_nanos),
    lastVersion: r.last_version === null ? null : Number(r.last_version),
    updatedAtMs: r.updated_at.getTime(),
  };
}

const date = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));

export class AutoTopUpRepository {
  constructor(private readonly schema: string) {}

  async get(
    db: Queryable,
    accountId: string,
    lock = false,
  ): Promise<AutoTopUpSettings | undefined> {
    const res = await db.query<DbRow>(
      `SELECT * FROM ${this.schema}.auto_top_up_settings WHERE account_id = $1${lock ? ' FOR UPDATE' : ''}`,
      [accountId],
    );
    return res.rows[0] && fromDb(res.rows[0]);
  }

  async save(db: Queryable, s: AutoTopUpSettings): Promise<void> {
    await db.query(
      `INSERT INTO ${this.schema}.auto_top_up_settings
         (account_id, enabled, threshold_nanos, amount_nanos, payment_method_id, customer_id, armed,
          consecutive_failures, last_failure_at, last_failure_code, next_attempt_at, disabled_reason,
          last_total_nanos, last_version, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
       ON CONFLICT (account_id) DO UPDATE SET
         enabled = EXCLUDED.enabled, threshold_nanos = EXCLUDED.threshold_nanos,
         amount_nanos = EXCLUDED.amount_nanos, payment_method_id = EXCLUDED.payment_method_id,
         customer_id = EXCLUDED.customer_id, armed = EXCLUDED.armed,
         consecutive_failures = EXCLUDED.consecutive_failures,
         last_failure_at = EXCLUDED.last_failure_at, last_failure_code = EXCLUDED.last_failure_code,
         next_attempt_at = EXCLUDED.next_attempt_at, disabled_reason = EXCLUDED.disabled_reason,
         last_total_nanos = EXCLUDED.last_total_nanos, last_version = EXCLUDED.last_version,
         updated_at = EXCLUDED.updated_at`,
      [
        s.accountId,
        s.enabled,
        s.thresholdNanos.toString(),
        s.amountNanos.toString(),
        s.paymentMethodId,
        s.customerId,
        s.armed,
        s.consecutiveFailures,
        date(s.lastFailureAtMs),
        s.lastFailureCode,
        date(s.nextAttemptAtMs),
        s.disabledReason,
        s.lastTotalNanos?.toString() ?? null,
        s.lastVersion,
        new Date(s.updatedAtMs),
      ],
    );
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
