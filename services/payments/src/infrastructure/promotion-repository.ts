import { parseNanos } from '@billing/money';
import type { Queryable } from '@billing/service-kit';
import type { PromotionCode, RedemptionCounts } from '../domain/index.js';

export type RedemptionStatus = 'reserved' | 'confirmed' | 'released';

/** One use of a code on one top-up: reserved at checkout, confirmed or released when it ends. */
export interface RedemptionRow {
  readonly topUpId: string;
  readonly code: string;
  readonly accountId: string;
  /** The top-up asked for, before the discount. */
  readonly amountNanos: bigint;
  readonly discountNanos: bigint;
  readonly status: RedemptionStatus;
}

export interface PromotionCodeRow extends PromotionCode {
  readonly createdAtMs: number;
  /** Reserved and confirmed redemptions. */
  readonly redemptions: number;
  readonly confirmedRedemptions: number;
}

interface CodeRecord {
  code: string;
  percent_off_bps: number | null;
  amount_off_nanos: string | null;
  valid_from: Date | null;
  valid_until: Date | null;
  max_redemptions: number | null;
  max_redemptions_per_account: number | null;
  disabled_at: Date | null;
  created_at: Date;
}

interface RedemptionRecord {
  top_up_id: string;
  code: string;
  account_id: string;
  amount_nanos: string;
  discount_nanos: string;
  status: RedemptionStatus;
}

const ms = (d: Date | null): number | null => (d === null ? null : d.getTime());

function codeOf(r: CodeRecord): PromotionCode & { readonly createdAtMs: number } {
  return {
    code: r.code,
    discount:
      r.percent_off_bps !== null
        ? { kind: 'percent', percentBps: r.percent_off_bps }
        : { kind: 'fixed', amountNanos: parseNanos(r.amount_off_nanos ?? '') },
    validFromMs: ms(r.valid_from),
    validUntilMs: ms(r.valid_until),
    maxRedemptions: r.max_redemptions,
    maxRedemptionsPerAccount: r.max_redemptions_per_account,
    disabledAtMs: ms(r.disabled_at),
    createdAtMs: r.created_at.getTime(),
  };
}

function redemptionOf(r: RedemptionRecord): RedemptionRow {
  return {
    topUpId: r.top_up_id,
    code: r.code,
    accountId: r.account_id,
    amountNanos: parseNanos(r.amount_nanos),
    discountNanos: parseNanos(r.discount_nanos),
    status: r.status,
  };
}

/**
 * The `promotion_codes` and `promotion_redemptions` tables. Every method takes the caller's client:
 * a reservation is only safe inside the transaction that locked the code (`getForRedemption`).
 */
export class PromotionRepository {
  private readonly codes: string;
  private readonly redemptions: string;

  constructor(schema: string) {
    this.codes = `${schema}.promotion_codes`;
    this.redemptions = `${schema}.promotion_redemptions`;
  }

  /** False when the code exists already. */
  async insert(db: Queryable, code: PromotionCode, nowMs: number): Promise<boolean> {
    const res = await db.query(
      `INSERT INTO ${this.codes} (code, percent_off_bps, amount_off_nanos, valid_from, valid_until,
         max_redemptions, max_redemptions_per_account, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (code) DO NOTHING`,
      [
        code.code,
        code.discount.kind === 'percent' ? code.discount.percentBps : null,
        code.discount.kind === 'fixed' ? code.discount.amountNanos.toString() : null,
        code.validFromMs === null ? null : new Date(code.validFromMs),
        code.validUntilMs === null ? null : new Date(code.validUntilMs),
        code.maxRedemptions,
        code.maxRedemptionsPerAccount,
        new Date(nowMs),
      ],
    );
    return (res.rowCount ?? 0) === 1;
  }

  /** Disabling twice keeps the first time. False when there is no such code. */
  async disable(db: Queryable, code: string, nowMs: number): Promise<boolean> {
    const res = await db.query(
      `UPDATE ${this.codes} SET disabled_at = COALESCE(disabled_at, $2) WHERE code = $1`,
      [code, new Date(nowMs)],
    );
    return (res.rowCount ?? 0) === 1;
  }

  async get(db: Queryable, code: string): Promise<PromotionCodeRow | undefined> {
    return (await this.list(db, code))[0];
  }

  /** Every code (or one), newest first, with its redemption counts. */
  async list(db: Queryable, code?: string): Promise<PromotionCodeRow[]> {
    const res = await db.query<CodeRecord & { redemptions: number; confirmed: number }>(
      `SELECT c.*,
              (SELECT count(*)::int FROM ${this.redemptions} r
                WHERE r.code = c.code AND r.status <> 'released') AS redemptions,
              (SELECT count(*)::int FROM ${this.redemptions} r
                WHERE r.code = c.code AND r.status = 'confirmed') AS confirmed
         FROM ${this.codes} c
        WHERE $1::text IS NULL OR c.code = $1
        ORDER BY c.created_at DESC, c.code`,
      [code ?? null],
    );
    return res.rows.map((r) => ({
      ...codeOf(r),
      redemptions: r.redemptions,
      confirmedRedemptions: r.confirmed,
    }));
  }

  /**
   * The code, locked until the caller's transaction ends, with the redemptions that count against
   * its limits. Every reservation of a code takes this lock first, so two checkouts racing for its
   * last redemption are serialised: the second counts the first's reservation and is refused.
   */
  async getForRedemption(
    db: Queryable,
    code: string,
    accountId: string,
  ): Promise<{ code: PromotionCode; counts: RedemptionCounts } | undefined> {
    const locked = await db.query<CodeRecord>(
      `SELECT * FROM ${this.codes} WHERE code = $1 FOR UPDATE`,
      [code],
    );
    const row = locked.rows[0];
    if (row === undefined) return undefined;
    return { code: codeOf(row), counts: await this.counts(db, code, accountId) };
  }

  /** The redemptions that count (reserved or confirmed), without a lock: for a quote. */
  async counts(db: Queryable, code: string, accountId: string): Promise<RedemptionCounts> {
    const res = await db.query<{ total: number; by_account: number }>(
      `SELECT count(*)::int AS total,
              count(*) FILTER (WHERE account_id = $2)::int AS by_account
         FROM ${this.redemptions} WHERE code = $1 AND status <> 'released'`,
      [code, accountId],
    );
    return { total: res.rows[0]?.total ?? 0, byAccount: res.rows[0]?.by_account ?? 0 };
  }

  async peek(db: Queryable, code: string): Promise<PromotionCode | undefined> {
    const res = await db.query<CodeRecord>(`SELECT * FROM ${this.codes} WHERE code = $1`, [code]);
    const row = res.rows[0];
    return row && codeOf(row);
  }

  async reserve(db: Queryable, r: Omit<RedemptionRow, 'status'>, nowMs: number): Promise<void> {
    await db.query(
      `INSERT INTO ${this.redemptions}
         (top_up_id, code, account_id, amount_nanos, discount_nanos, status, reserved_at)
       VALUES ($1, $2, $3, $4, $5, 'reserved', $6)`,
      [
        r.topUpId,
        r.code,
        r.accountId,
        r.amountNanos.toString(),
        r.discountNanos.toString(),
        new Date(nowMs),
      ],
    );
  }

  async ofTopUp(db: Queryable, topUpId: string): Promise<RedemptionRow | undefined> {
    const res = await db.query<RedemptionRecord>(
      `SELECT * FROM ${this.redemptions} WHERE top_up_id = $1`,
      [topUpId],
    );
    const row = res.rows[0];
    return row && redemptionOf(row);
  }

  /**
   * Settled: the redemption is used for good. A top-up that failed and was paid after all is
   * confirmed too (the customer paid the discounted price), even if its release let another
   * checkout take its place: money received is always credited in full.
   */
  async confirm(db: Queryable, topUpId: string, nowMs: number): Promise<void> {
    await db.query(
      `UPDATE ${this.redemptions} SET status = 'confirmed', confirmed_at = $2
        WHERE top_up_id = $1 AND status <> 'confirmed'`,
      [topUpId, new Date(nowMs)],
    );
  }

  /** The top-up failed or its checkout expired: the reservation stops counting. */
  async release(db: Queryable, topUpId: string, nowMs: number): Promise<void> {
    await db.query(
      `UPDATE ${this.redemptions} SET status = 'released', released_at = $2
        WHERE top_up_id = $1 AND status = 'reserved'`,
      [topUpId, new Date(nowMs)],
    );
  }
}
