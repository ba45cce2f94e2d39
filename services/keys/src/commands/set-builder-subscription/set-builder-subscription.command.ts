import { Command } from '@nestjs/cqrs';
import type { BuilderSubscription } from '../../infrastructure/api-key-store.js';

/**
 * `PUT /v1/admin/accounts/{accountId}/builder-subscription {active, reference}` (the admin token):
 * an operator marks an account as holding a Builder subscription, or no longer. Only such an
 * account may create `builder` keys. Subscriptions are not billed yet (docs/CONTRACTS.md, "Builder
 * plan"): this switch stands in for the subscription's payment.
 */
export class SetBuilderSubscriptionCommand extends Command<BuilderSubscription> {
  constructor(
    readonly accountId: string,
    readonly active: boolean,
    readonly reference: string,
  ) {
    super();
  }
}
