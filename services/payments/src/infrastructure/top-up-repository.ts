import { parseNanos } from '@billing/money';
import type pg from 'pg';
import type { TopUpState, TopUpStatus, TopUpTrigger } from '../domain/index.js';

export type Queryable = Pick<pg.PoolClient, 'query'>;

export type ChargeState = 'to_charge' | 'awaiting_confirmation';

export interface TopUpRow extends TopUpState {
  readonly requestedMethod: string | null;
  readonly method: string | null;
  readonly checkoutSessionId: string | null;
  readonly checkoutUrl: string | null;
  readonly failureCode: string | null;
  readonly failureMessage: string | null;
  readonly createdAtMs: number;
  readonly settledAtMs: number | null;
  readonly failedAtMs: number | null;
  readonly chargeState: ChargeState | null;
  readonly chargeAttempts: number;
  readonly customerId: string | null;
  readonly paymentMethodId: string | null;
  readonly invoiceId: string | null;
}

interface DbRow {
  top_up_id: string;
  account_id: string;
  amount_nanos: string;
  trigger: TopUpTrigger;
  status: TopUpStatus;
  requested_method: string | null;
  method: string | null;
  checkout_session_id: string | null;
  checkout_url: string | null;
  payment_reference: string | null;
  refunded_nanos: string;
  failure_code: string | null;
  failure_message: string | null;
  created_at: Date;
  settled_at: Date | null;
  failed_at: Date | null;
  charge_state: ChargeState | null;
  charge_attempts: number;
  customer_id: string | null;
  payment_method_id: string | null;
  invoice_id: string | null;
}

function fromDb(r: DbRow): TopUpRow {
  return {
    topUpId: r.top_up_id,
    accountId: r.account_id,
    amountNanos: parseNanos(r.amount_nanos),
    trigger: r.trigger,
    status: r.status,
    paymentReference: r.payment_reference,
    refundedNanos: parseNanos(r.refunded_nanos),
    requestedMethod: r.requested_method,
    method: r.method,
    checkoutSessionId: r.checkout_session_id,
    checkoutUrl: r.checkout_url,
    failureCode: r.failure_code,
    failureMessage: r.failure_message,
    createdAtMs: r.created_at.getTime(),
    settledAtMs: r.settled_at?.getTime() ?? null,
    failedAtMs: r.failed_at?.getTime() ?? null,
    chargeState: r.charge_state,
    chargeAttempts: r.charge_attempts,
    customerId: r.customer_id,
    paymentMethodId: r.payment_method_id,
    invoiceId: r.invoice_id,
  };
}

export interface NewTopUp {
  readonly topUpId: string;
  readonly accountId: string;
  readonly amountNanos: bigint;
  readonly trigger: TopUpTrigger;
  readonly requestedMethod: string | null;
  readonly createdAtMs: number;
  readonly chargeState: ChargeState | null;
  readonly customerId: string | null;
  readonly paymentMethodId: string | null;
}

/** The `top_ups` table. Every method takes the caller's client: transactions are the caller's. */
export class TopUpRepository {
  private readonly select: string;

  constructor(private readonly schema: string) {
    this.select = `SELECT t.*, i.invoice_id FROM ${schema}.top_ups t
      LEFT JOIN ${schema}.invoices i ON i.top_up_id = t.top_up_id`;
  }

  async insert(db: Queryable, t: NewTopUp): Promise<void> {
    await db.query(
      `INSERT INTO ${this.schema}.top_ups
         (top_up_id, account_id, amount_nanos, trigger, status, requested_method, created_at,
          charge_state, customer_id, payment_method_id)
       VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7, $8, $9)`,
      [
        t.topUpId,
        t.accountId,
        t.amountNanos.toString(),
        t.trigger,
        t.requestedMethod,
        new Date(t.createdAtMs),
        t.chargeState,
        t.customerId,
        t.paymentMethodId,
      ],
    );
  }

  /** With `lock`, the row stays locked until the caller's transaction ends. */
  async get(db: Queryable, topUpId: string, lock = false): Promise<TopUpRow | undefined> {
    if (lock) {
      await db.query(`SELECT 1 FROM ${this.schema}.top_ups WHERE top_up_id = $1 FOR UPDATE`, [
        topUpId,
      ]);
    }
    const res = await db.query<DbRow>(`${this.select} WHERE t.top_up_id = $1`, [topUpId]);
    return res.rows[0] && fromDb(res.rows[0]);
  }

  async idByPaymentReference(db: Queryable, reference: string): Promise<string | undefined> {
    const res = await db.query<{ top_up_id: string }>(
      `SELECT top_up_id FROM ${this.schema}.top_ups WHERE payment_reference = $1`,
      [reference],
    );
    return res.rows[0]?.top_up_id;
  }

  async listByAccount(db: Queryable, accountId: string, limit: number): Promise<TopUpRow[]> {
    const res = await db.query<DbRow>(
      `${this.select} WHERE t.account_id = $1 ORDER BY t.created_at DESC, t.top_up_id DESC LIMIT $2`,
      [accountId, limit],
    );
    return res.rows.map(fromDb);
  }

  async setCheckout(db: Queryable, topUpId: string, sessionId: string, url: string): Promise<void> {
    await db.query(
      `UPDATE ${this.schema}.top_ups SET checkout_session_id = $2, checkout_url = $3 WHERE top_up_id = $1`,
      [topUpId, sessionId, url],
    );
  }

  async markSettled(
    db: Queryable,
    topUpId: string,
    s: { paymentReference: string; method: string; atMs: number },
  ): Promise<void> {
    await db.query(
      `UPDATE ${this.schema}.top_ups
          SET status = 'settled', payment_reference = $2, method = $3, settled_at = $4,
              charge_state = NULL, charge_lease_until = NULL
        WHERE top_up_id = $1`,
      [topUpId, s.paymentReference, s.method, new Date(s.atMs)],
    );
  }

  async markFailed(
    db: Queryable,
    topUpId: string,
    f: { code: string; message: string; atMs: number; paymentReference?: string | null },
  ): Promise<void> {
    await db.query(
      `UPDATE ${this.schema}.top_ups
          SET status = 'failed', failure_code = $2, failure_message = $3, failed_at = $4,
              payment_reference = COALESCE(payment_reference, $5),
              charge_state = NULL, charge_lease_until = NULL
        WHERE top_up_id = $1`,
      [topUpId, f.code, f.message.slice(0, 500), new Date(f.atMs), f.paymentReference ?? null],
    );
  }

  async markRefunded(
    db: Queryable,
    topUpId: string,
    r: { refundedNanos: bigint; fully: boolean },
  ): Promise<void> {
    await db.query(
      `UPDATE ${this.schema}.top_ups
          SET refunded_nanos = $2, status = CASE WHEN $3 THEN 'refunded' ELSE status END
        WHERE top_up_id = $1`,
      [topUpId, r.refundedNanos.toString(), r.fully],
    );
  }

  /** An auto charge the provider accepted but has not finished (a bank debit): wait for the webhook. */
  async markAwaitingConfirmation(
    db: Queryable,
    topUpId: string,
    paymentReference: string,
  ): Promise<void> {
    await db.query(
      `UPDATE ${this.schema}.top_ups
          SET charge_state = 'awaiting_confirmation', payment_reference = $2, charge_lease_until = NULL
        WHERE top_up_id = $1 AND status = 'pending'`,
      [topUpId, paymentReference],
    );
  }

  async hasAutoInFlight(db: Queryable, accountId: string): Promise<boolean> {
    const res = await db.query(
      `SELECT 1 FROM ${this.schema}.top_ups
        WHERE account_id = $1 AND trigger = 'auto' AND status = 'pending'`,
      [accountId],
    );
    return (res.rowCount ?? 0) > 0;
  }

  /** Auto charges that no process is calling the provider for right now (new, or left by a crash). */
  async chargesDue(db: Queryable, nowMs: number, limit: number): Promise<string[]> {
    const res = await db.query<{ top_up_id: string }>(
      `SELECT top_up_id FROM ${this.schema}.top_ups
        WHERE charge_state = 'to_charge' AND (charge_lease_until IS NULL OR charge_lease_until <= $1)
        ORDER BY created_at LIMIT $2`,
      [new Date(nowMs), limit],
    );
    return res.rows.map((r) => r.top_up_id);
  }

  /**
   * Takes the right to call the provider for this charge until `leaseUntilMs` (one short statement,
   * committed before the call: no transaction is held open across the network).
   */
  async claimCharge(
    db: Queryable,
    topUpId: string,
    nowMs: number,
    leaseUntilMs: number,
  ): Promise<TopUpRow | undefined> {
    const res = await db.query(
      `UPDATE ${this.schema}.top_ups
          SET charge_lease_until = $3, charge_attempts = charge_attempts + 1
        WHERE top_up_id = $1 AND charge_state = 'to_charge'
          AND (charge_lease_until IS NULL OR charge_lease_until <= $2)`,
      [topUpId, new Date(nowMs), new Date(leaseUntilMs)],
    );
    if ((res.rowCount ?? 0) === 0) return undefined;
    return this.get(db, topUpId);
  }
}
