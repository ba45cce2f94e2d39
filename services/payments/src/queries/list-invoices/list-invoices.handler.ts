import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { PaymentsStore } from '../../infrastructure/payments-store.js';
import {
  builderInvoiceView,
  invoiceView,
  ListInvoicesQuery,
  type InvoiceView,
} from './list-invoices.query.js';

/**
 * Both kinds of invoice share one gap-free counter, so their numbers never collide and order them
 * by issue: the newest `limit` of the union are among the newest `limit` of each table, merged by
 * number, highest first.
 */
@QueryHandler(ListInvoicesQuery)
export class ListInvoicesHandler implements IQueryHandler<ListInvoicesQuery> {
  constructor(private readonly store: PaymentsStore) {}

  async execute({ accountId, limit }: ListInvoicesQuery): Promise<{ data: InvoiceView[] }> {
    const db = this.store.pool;
    const [topUps, builder] = await Promise.all([
      this.store.invoices.listByAccount(db, accountId, limit),
      this.store.builderSubscriptions.listInvoices(db, accountId, limit),
    ]);
    const merged = [
      ...topUps.map((row) => ({ sequence: row.sequence, view: invoiceView(row) })),
      ...builder.map((row) => ({ sequence: row.sequence, view: builderInvoiceView(row) })),
    ].sort((a, b) => (a.sequence === b.sequence ? 0 : a.sequence > b.sequence ? -1 : 1));
    return { data: merged.slice(0, limit).map((m) => m.view) };
  }
}
