import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { PaymentsStore } from '../../infrastructure/payments-store.js';
import { invoiceView, ListInvoicesQuery, type InvoiceView } from './list-invoices.query.js';

@QueryHandler(ListInvoicesQuery)
export class ListInvoicesHandler implements IQueryHandler<ListInvoicesQuery> {
  constructor(private readonly store: PaymentsStore) {}

  async execute({ accountId, limit }: ListInvoicesQuery): Promise<{ data: InvoiceView[] }> {
    const rows = await this.store.invoices.listByAccount(this.store.pool, accountId, limit);
    return { data: rows.map(invoiceView) };
  }
}
