import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { PaymentsStore } from '../../infrastructure/payments-store.js';
import {
  GetLowBalanceAlertQuery,
  lowBalanceAlertView,
  type LowBalanceAlertView,
} from './get-low-balance-alert.query.js';

@QueryHandler(GetLowBalanceAlertQuery)
export class GetLowBalanceAlertHandler implements IQueryHandler<GetLowBalanceAlertQuery> {
  constructor(private readonly store: PaymentsStore) {}

  async execute({ accountId }: GetLowBalanceAlertQuery): Promise<LowBalanceAlertView | undefined> {
    const settings = await this.store.lowBalanceAlerts.get(this.store.pool, accountId);
    return settings && lowBalanceAlertView(settings);
  }
}
