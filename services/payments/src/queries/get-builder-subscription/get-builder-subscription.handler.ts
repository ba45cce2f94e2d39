import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { PaymentsStore } from '../../infrastructure/payments-store.js';
import {
  builderSubscriptionView,
  GetBuilderSubscriptionQuery,
  type BuilderSubscriptionView,
} from './get-builder-subscription.query.js';

@QueryHandler(GetBuilderSubscriptionQuery)
export class GetBuilderSubscriptionHandler implements IQueryHandler<GetBuilderSubscriptionQuery> {
  constructor(private readonly store: PaymentsStore) {}

  async execute({
    accountId,
    limit,
  }: GetBuilderSubscriptionQuery): Promise<BuilderSubscriptionView | undefined> {
    const repo = this.store.builderSubscriptions;
    const subscription = await repo.get(this.store.pool, accountId);
    if (subscription === undefined) return undefined;
    const invoices = await repo.listInvoices(this.store.pool, accountId, limit);
    return builderSubscriptionView(subscription, invoices);
  }
}
