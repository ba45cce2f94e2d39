import { Command } from '@nestjs/cqrs';
import type { Result } from '../../domain/index.js';

export interface CreatedTopUp {
  readonly topUpId: string;
  /** `pending` with Stripe (the customer pays at `checkoutUrl`); `settled` with the simulated provider. */
  readonly status: 'pending' | 'settled';
  readonly checkoutUrl: string;
  /** What the checkout charges: the top-up asked for, less the promotion code's discount. */
  readonly charged: string;
  /** Credited on top of `charged` at settlement (DiscountApplied); null without a code. */
  readonly discount: string | null;
  readonly promotionCode: string | null;
}

/**
 * A customer starts a manual top-up (`POST /v1/accounts/{accountId}/top-ups`): a pending top-up
 * and a hosted checkout for its amount. `amount` is the decimal USD string of the request; with a
 * `promotionCode`, the checkout charges `amount` less the code's discount and a redemption of the
 * code is reserved for the top-up (domain/promotion.ts).
 */
export class CreateTopUpCommand extends Command<Result<CreatedTopUp>> {
  constructor(
    readonly accountId: string,
    readonly amount: unknown,
    readonly method: 'card' | 'alipay' | undefined,
    readonly promotionCode?: string | undefined,
  ) {
    super();
  }
}
