import { Command } from '@nestjs/cqrs';
import type { Result } from '../../domain/index.js';
import type { AutoTopUpView } from '../../queries/get-auto-top-up/get-auto-top-up.query.js';

/**
 * `PUT /v1/accounts/{accountId}/auto-top-up`. `paymentMethodId` must be a card saved on this
 * account (linked through `POST .../payment-methods/setup`): the customer it is charged with is
 * the account's own, never one the caller names. Saving resets the failure streak and re-arms the
 * trigger.
 */
export class ConfigureAutoTopUpCommand extends Command<Result<AutoTopUpView>> {
  constructor(
    readonly accountId: string,
    readonly enabled: boolean,
    readonly threshold: string,
    readonly amount: string,
    readonly paymentMethodId: string,
  ) {
    super();
  }
}
