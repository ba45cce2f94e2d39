import { Command } from '@nestjs/cqrs';
import type { Result } from '../../domain/index.js';
import type { AutoTopUpView } from '../../queries/get-auto-top-up/get-auto-top-up.query.js';

/**
 * `PUT /v1/accounts/{accountId}/auto-top-up`. The saved payment method is charged off-session, so
 * Stripe needs the Customer it is attached to: `customerId` (`cus_...`) is part of the settings, an
 * addition to the contract's body. Saving resets the failure streak and re-arms the trigger.
 */
export class ConfigureAutoTopUpCommand extends Command<Result<AutoTopUpView>> {
  constructor(
    readonly accountId: string,
    readonly enabled: boolean,
    readonly threshold: string,
    readonly amount: string,
    readonly paymentMethodId: string,
    readonly customerId: string,
  ) {
    super();
  }
}
