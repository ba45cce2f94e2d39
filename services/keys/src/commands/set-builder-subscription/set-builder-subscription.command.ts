import { Command } from '@nestjs/cqrs';
import type { BuilderSubscription } from '../../infrastructure/api-key-store.js';

/**
 * `PUT /v1/admin/accounts/{accountId}/builder-subscription {active, reference}` (the admin token):
 * an operator marks an account as holding a Builder subscription, or no longer. Only such an
 * account may create `builder` keys, and its issued builder keys work. The subscription is billed
 * through payments (BuilderSubscriptionChanged); this switch is the operator's manual override of
 * the same row, standing until the account's next BuilderSubscriptionChanged (docs/CONTRACTS.md,
 * "Builder plan").
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
