import { parseNanos } from '@billing/money';
import { column, RowCodec, valueByKey, type Queryable } from '@billing/service-kit';
import type { TopUpState } from '../domain/index.js';

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
  /** From the promotion code redemption joined in (a released one too): the discount and its code. */
  readonly discountNanos: bigint | null;
  readonly promotionCode: string | null;
}

const rows = new RowCodec<TopUpRow>({
  topUpId: column.plain('top_up_id'),
  accountId: column.plain('account_id'),
  amountNanos: column.bigint('amount_nanos', parseNanos),
  trigger: column.plain('trigger'),
  status: column.plain('status'),
  paymentReference: column.plain('payment_reference'),
  refundedNanos: column.bigint('refunded_nanos', parseNanos),
  requestedMethod: column.plain('requested_method'),
  method: column.plain('method'),
  checkoutSessionId: column.plain('checkout_session_id'),
  checkoutUrl: column.plain('checkout_url'),
  failureCode: column.plain('failure_code'),
  failureMessage: column.plain('failure_message'),
  createdAtMs: column.epochMs('created_at'),
  settledAtMs: column.nullable(column.epochMs('settled_at')),
  failedAtMs: column.nullable(column.epochMs('failed_at')),
  chargeState: column.plain('charge_state'),
  chargeAttempts: column.plain('charge_attempts'),
  customerId: column.plain('customer_id'),
  paymentMethodId: column.plain('payment_method_id'),
  // From the invoices joined in: a top-up row never stores it.
  invoiceId: column.plain('invoice_id'),
  discountNanos: column.nullable(column.bigint('discount_nanos', parseNanos)),
  promotionCode: column.plain('promotion_code'),
});

const NEW_TOP_UP = [
  'topUpId',
  'accountId',
  'amountNanos',
  'trigger',
  'requestedMethod',
  'createdAtMs',
  'chargeState',
  'customerId',
  'paymentMethodId',
] as const satisfies readonly (keyof TopUpRow)[];

export type NewTopUp = Pick<TopUpRow, (typeof NEW_TOP_UP)[number]>;

/** A new top-up is pending; the rest of its row is filled in as it settles or fails. */
const INSERTED = [...NEW_TOP_UP, 'status'] as const;

/** The `top_ups` table. Every method takes the caller's client: transactions are the caller's. */
export class TopUpRepository {
  private readonly select: string;
  private readonly insertSql: string;

  constructor(private readonly schema: string) {
    this.select = `SELECT t.*, i.invoice_id, r.discount_nanos, r.code AS promotion_code
      FROM ${schema}.top_ups t
      LEFT JOIN ${schema}.invoices i ON i.top_up_id = t.top_up_id
      LEFT JOIN ${schema}.promotion_redemptions r ON r.top_up_id = t.top_up_id`;
    this.insertSql = rows.insert(`${schema}.top_ups`, INSERTED);
  }

  async insert(db: Queryable, t: NewTopUp): Promise<void> {
    await db.query(this.insertSql, rows.params({ ...t, status: 'pending' }, INSERTED));
  }

  /** With `lock`, the row stays locked until the caller's transaction ends. */
  async get(db: Queryable, topUpId: string, lock = false): Promise<TopUpRow | undefined> {
    if (lock) {
      await db.query(`SELECT 1 FROM ${this.schema}.top_ups WHERE top_up_id = $1 FOR UPDATE`, [
        topUpId,
      ]);
    }
    return rows.first(await db.query(`${this.select} WHERE t.top_up_id = $1`, [topUpId]));
  }

  idByPaymentReference(db: Queryable, reference: string): Promise<string | undefined> {
    const by = { select: 'top_up_id', where: 'payment_reference' };
    return valueByKey(db, `${this.schema}.top_ups`, by, reference);
  }

  async listByAccount(db: Queryable, accountId: string, limit: number): Promise<TopUpRow[]> {
    const res = await db.query(
      `${this.select} WHERE t.account_id = $1 ORDER BY t.created_at DESC, t.top_up_id DESC LIMIT $2`,
      [accountId, limit],
    );
    return rows.all(res);
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
