import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { PaymentsStore } from '../../infrastructure/payments-store.js';
import {
  ListPaymentMethodsQuery,
  paymentMethodView,
  type PaymentMethodView,
} from './list-payment-methods.query.js';

@QueryHandler(ListPaymentMethodsQuery)
export class ListPaymentMethodsHandler implements IQueryHandler<ListPaymentMethodsQuery> {
  constructor(private readonly store: PaymentsStore) {}

  async execute({ accountId }: ListPaymentMethodsQuery): Promise<{ data: PaymentMethodView[] }> {
    const [rows, settings] = await Promise.all([
      this.store.paymentMethods.listAttached(this.store.pool, accountId),
      this.store.autoTopUps.get(this.store.pool, accountId),
    ]);
    const autoTopUpCard = settings?.enabled ? settings.paymentMethodId : null;
    return { data: rows.map((row) => paymentMethodView(row, autoTopUpCard)) };
  }
}
