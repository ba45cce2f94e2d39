import type { BuilderSubscriptionChanged } from '@billing/contracts';
import { Command } from '@nestjs/cqrs';
import type pg from 'pg';

/**
 * Stores one BuilderSubscriptionChanged (from `payments.v1`) as the account's Builder
 * subscription: active (a paid period) or not (canceled, unpaid, expired). Runs in the consumer's
 * transaction (`client`), next to the inbox row that makes a redelivery harmless. The account's
 * events arrive in order (its partition); the operator's switch (`PUT .../builder-subscription`)
 * writes the same row and stands until the next event for the account.
 */
export class ApplyBuilderSubscriptionChangeCommand extends Command<void> {
  constructor(
    readonly event: BuilderSubscriptionChanged,
    readonly client: pg.PoolClient,
  ) {
    super();
  }
}
