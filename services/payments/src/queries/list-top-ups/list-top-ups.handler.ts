import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { PaymentsStore } from '../../infrastructure/payments-store.js';
import { ListTopUpsQuery, topUpView, type TopUpView } from './list-top-ups.query.js';

@QueryHandler(ListTopUpsQuery)
export class ListTopUpsHandler implements IQueryHandler<ListTopUpsQuery> {
  constructor(private readonly store: PaymentsStore) {}

  async execute({ accountId, limit }: ListTopUpsQuery): Promise<{ data: TopUpView[] }> {
    const rows = await this.store.topUps.listByAccount(this.store.pool, accountId, limit);
    return { data: rows.map(topUpView) };
  }
}
