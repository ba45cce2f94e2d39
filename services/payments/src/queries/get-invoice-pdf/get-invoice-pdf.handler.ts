import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { INVOICE_LAYOUT_VERSION, renderInvoicePdf } from '../../infrastructure/invoice-pdf.js';
import { PaymentsStore } from '../../infrastructure/payments-store.js';
import { GetInvoicePdfQuery, type InvoicePdf } from './get-invoice-pdf.query.js';

/**
 * Rendered on the first download and stored; every later download serves the stored bytes. The
 * rendering is deterministic too, so two first downloads racing store the same document.
 */
@QueryHandler(GetInvoicePdfQuery)
export class GetInvoicePdfHandler implements IQueryHandler<GetInvoicePdfQuery> {
  constructor(private readonly store: PaymentsStore) {}

  async execute({ accountId, invoiceId }: GetInvoicePdfQuery): Promise<InvoicePdf | undefined> {
    const db = this.store.pool;
    const invoice = await this.store.invoices.get(db, accountId, invoiceId);
    if (invoice === undefined) return undefined;
    const stored = await this.store.invoices.document(db, invoiceId);
    if (stored !== undefined) return { number: invoice.number, pdf: stored };
    const rendered = await renderInvoicePdf(invoice);
    const pdf = await this.store.invoices.storeDocument(
      db,
      invoiceId,
      INVOICE_LAYOUT_VERSION,
      rendered,
    );
    return { number: invoice.number, pdf };
  }
}
