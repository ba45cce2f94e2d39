import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import {
  BUILDER_INVOICE_LAYOUT_VERSION,
  INVOICE_LAYOUT_VERSION,
  renderInvoicePdf,
} from '../../infrastructure/invoice-pdf.js';
import { PaymentsStore } from '../../infrastructure/payments-store.js';
import { PAYMENTS_OPTIONS, type ResolvedPaymentsOptions } from '../../payments.options.js';
import { GetInvoicePdfQuery, type InvoicePdf } from './get-invoice-pdf.query.js';

/**
 * Rendered on the first download and stored; every later download serves the stored bytes. The
 * rendering is deterministic too, so two first downloads racing store the same document. A top-up
 * invoice and a Builder subscription invoice share the numbering and the renderer; each kind keeps
 * its documents next to its own rows.
 */
@QueryHandler(GetInvoicePdfQuery)
export class GetInvoicePdfHandler implements IQueryHandler<GetInvoicePdfQuery> {
  constructor(
    private readonly store: PaymentsStore,
    @Inject(PAYMENTS_OPTIONS) private readonly options: ResolvedPaymentsOptions,
  ) {}

  async execute({ accountId, invoiceId }: GetInvoicePdfQuery): Promise<InvoicePdf | undefined> {
    const db = this.store.pool;
    const invoice = await this.store.invoices.get(db, accountId, invoiceId);
    if (invoice !== undefined) {
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
    const builder = this.store.builderSubscriptions;
    const fee = await builder.getInvoice(db, accountId, invoiceId);
    if (fee === undefined) return undefined;
    const stored = await builder.document(db, invoiceId);
    if (stored !== undefined) return { number: fee.number, pdf: stored };
    const rendered = await renderInvoicePdf({
      kind: 'builder_subscription',
      invoiceId: fee.invoiceId,
      number: fee.number,
      issuedAtMs: fee.issuedAtMs,
      // An invoice issued before its issuer was recorded is printed, once, with today's.
      issuer: fee.issuer ?? this.options.invoiceIssuer,
      accountId: fee.accountId,
      customerName: fee.customerName,
      customerEmail: fee.customerEmail,
      subscriptionId: fee.subscriptionId,
      providerInvoiceId: fee.providerInvoiceId,
      amountNanos: fee.amountNanos,
      currency: fee.currency,
      periodStartMs: fee.periodStartMs,
      periodEndMs: fee.periodEndMs,
    });
    const pdf = await builder.storeDocument(
      db,
      invoiceId,
      BUILDER_INVOICE_LAYOUT_VERSION,
      rendered,
    );
    return { number: fee.number, pdf };
  }
}
