import { Command } from '@nestjs/cqrs';
import type { Result } from '../../domain/index.js';

export interface CreatedTopUp {
  readonly topUpId: string;
  /** `pending` with Stripe (the customer pays at `checkoutUrl`); `settled` with the simulated provider. */
  readonly status: 'pending' | 'settled';
  readonly checkoutUrl: string;
}

/**
 * A customer starts a manual top-up (`POST /v1/accounts/{accountId}/top-ups`): a pending top-up
 * and a hosted checkout for its amount. `amount` is the decimal USD string of the request.
 */
export class CreateTopUpCommand extends Command<Result<CreatedTopUp>> {
  constructor(
    readonly accountId: string,
    readonly amount: unknown,
    readonly method: 'card' | 'alipay' | undefined,
  ) {
    super();
  }
}
