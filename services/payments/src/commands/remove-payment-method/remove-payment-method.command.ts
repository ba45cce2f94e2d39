import { Command } from '@nestjs/cqrs';
import type { Result } from '../../domain/index.js';

/**
 * `DELETE /v1/accounts/{accountId}/payment-methods/{paymentMethodId}`: the card is detached at the
 * provider and can never be charged again. If auto top-up charges it, auto top-up is switched off
 * (with `disabledReason`) rather than the removal refused: a customer removing a card means "do
 * not charge it", and an auto top-up left pointing at a removed card could only fail.
 */
export class RemovePaymentMethodCommand extends Command<
  Result<{ readonly autoTopUpSwitchedOff: boolean }>
> {
  constructor(
    readonly accountId: string,
    readonly paymentMethodId: string,
  ) {
    super();
  }
}
