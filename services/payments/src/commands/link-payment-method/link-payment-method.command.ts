import { Command } from '@nestjs/cqrs';
import type { Result } from '../../domain/index.js';
import type { PaymentMethodView } from '../../queries/list-payment-methods/list-payment-methods.query.js';

export interface PaymentMethodSetup {
  /** `pending`: the customer enters a card at `setupUrl`; `saved`: saved already (simulated). */
  readonly status: 'pending' | 'saved';
  readonly setupUrl: string;
  readonly sessionId: string;
  /** The saved card, when `saved`. */
  readonly paymentMethod: PaymentMethodView | null;
}

/**
 * `POST /v1/accounts/{accountId}/payment-methods/setup`: the account's customer is created at the
 * provider if it has none, and a hosted page (Stripe Checkout, mode `setup`) saves a card to it.
 * The card is recorded when the provider's signed webhook says it is saved, never from the caller.
 */
export class LinkPaymentMethodCommand extends Command<Result<PaymentMethodSetup>> {
  constructor(readonly accountId: string) {
    super();
  }
}
