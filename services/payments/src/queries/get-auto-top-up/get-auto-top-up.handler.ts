import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { PaymentsStore } from '../../infrastructure/payments-store.js';
import { autoTopUpView, GetAutoTopUpQuery, type AutoTopUpView } from './get-auto-top-up.query.js';

@QueryHandler(GetAutoTopUpQuery)
export class GetAutoTopUpHandler implements IQueryHandler<GetAutoTopUpQuery> {
  constructor(private readonly store: PaymentsStore) {}

  async execute({ accountId }: GetAutoTopUpQuery): Promise<AutoTopUpView | undefined> {
    const settings = await this.store.autoTopUps.get(this.store.pool, accountId);
    return settings && autoTopUpView(settings);
  }
}
