import { Inject, Injectable } from '@nestjs/common';
import type pg from 'pg';
import { decideRedemption, fail, ok, type DiscountQuote, type Result } from '../domain/index.js';
import { PaymentsStore } from '../infrastructure/payments-store.js';
import type { RedemptionRow } from '../infrastructure/promotion-repository.js';
import { PAYMENTS_OPTIONS, type ResolvedPaymentsOptions } from '../payments.options.js';

/**
 * A promotion code's redemptions around a top-up's life (domain/promotion.ts has the rules):
 * quoted before paying, reserved at checkout under the code's row lock, confirmed at settlement,
 * released when the top-up fails or its checkout expires. Shared by the top-up's checkout, its
 * quote and the settlement (`PaymentOutcomes`).
 */
@Injectable()
export class PromotionRedemptions {
  constructor(
    private readonly store: PaymentsStore,
    @Inject(PAYMENTS_OPTIONS) private readonly options: ResolvedPaymentsOptions,
  ) {}

  /** What the code would give now, without reserving anything (the limits may change by checkout). */
  async quote(
    accountId: string,
    code: string,
    amountNanos: bigint,
  ): Promise<Result<DiscountQuote>> {
    const normalized = code.toUpperCase();
    const promotion = await this.store.promotions.peek(this.store.pool, normalized);
    if (promotion === undefined) return unknownCode(normalized);
    const counts = await this.store.promotions.counts(this.store.pool, normalized, accountId);
    return decideRedemption(promotion, counts, amountNanos, this.options.nowMs());
  }

  /**
   * Locks the code and decides, in the caller's transaction; `insertTopUp` then writes the top-up
   * for the discounted charge and the redemption is reserved for it. Nothing is written when the
   * code is refused. The lock is held until the caller commits, which is what makes the limits
   * hold when checkouts race: the next one counts this reservation.
   */
  async reserve(
    client: pg.PoolClient,
    r: { readonly accountId: string; readonly topUpId: string; readonly code: string },
    amountNanos: bigint,
    insertTopUp: (chargedNanos: bigint) => Promise<void>,
  ): Promise<Result<DiscountQuote>> {
    const normalized = r.code.toUpperCase();
    const locked = await this.store.promotions.getForRedemption(client, normalized, r.accountId);
    if (locked === undefined) return unknownCode(normalized);
    const nowMs = this.options.nowMs();
    const decided = decideRedemption(locked.code, locked.counts, amountNanos, nowMs);
    if (!decided.ok) return decided;
    await insertTopUp(decided.value.chargedNanos);
    await this.store.promotions.reserve(
      client,
      {
        topUpId: r.topUpId,
        code: normalized,
        accountId: r.accountId,
        amountNanos,
        discountNanos: decided.value.discountNanos,
      },
      nowMs,
    );
    return ok(decided.value);
  }

  /** At settlement: the top-up's redemption, confirmed (undefined: no code was used). */
  async confirm(client: pg.PoolClient, topUpId: string): Promise<RedemptionRow | undefined> {
    const redemption = await this.store.promotions.ofTopUp(client, topUpId);
    if (redemption !== undefined) {
      await this.store.promotions.confirm(client, topUpId, this.options.nowMs());
    }
    return redemption;
  }

  /** The top-up failed (declined, checkout expired, provider unavailable): free the redemption. */
  async release(client: pg.Pool | pg.PoolClient, topUpId: string): Promise<void> {
    await this.store.promotions.release(client, topUpId, this.options.nowMs());
  }
}

function unknownCode(code: string): Result<never> {
  return fail('PAYMENTS.PROMOTION_CODE_INVALID', `promotion code ${code} does not exist`);
}
