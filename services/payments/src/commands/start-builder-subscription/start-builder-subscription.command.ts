import { Command } from '@nestjs/cqrs';
import type { Result } from '../../domain/index.js';

/** The answer of `POST /v1/accounts/{accountId}/builder-subscription`. */
export interface StartedBuilderSubscription {
  /** `pending`: pay at `checkoutUrl`, Stripe's webhooks activate it; `active`: paid already (simulated). */
  readonly status: 'pending' | 'active';
  readonly checkoutUrl: string;
  readonly sessionId: string;
}

/**
 * A customer starts a Builder subscription (issue #17): a Stripe Checkout Session in mode
 * `subscription` for the configured monthly Price, on the account's own customer. The fee is
 * billed by Stripe every month (one invoice per paid period here), never drawn from the balance.
 */
export class StartBuilderSubscriptionCommand extends Command<Result<StartedBuilderSubscription>> {
  constructor(readonly accountId: string) {
    super();
  }
}
