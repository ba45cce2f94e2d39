import { formatUsd } from '@billing/money';
import { Query } from '@nestjs/cqrs';
import type { InvoiceRow } from '../../infrastructure/invoice-repository.js';

export interface InvoiceView {
  readonly invoiceId: string;
  readonly number: string;
  readonly topUpId: string;
  readonly issuedAt: string;
  readonly amount: string;
  readonly bonus: string;
  /** What a promotion code took off the top-up ("0" without one); `amount` is what was charged. */
  readonly discount: string;
  readonly promotionCode: string | null;
  readonly currency: 'USD';
  readonly method: string;
  readonly trigger: string;
  readonly paymentReference: string;
  /** Relative to the service: where the PDF is downloaded. */
  readonly pdfUrl: string;
}

export function invoiceView(i: InvoiceRow): InvoiceView {
  return {
    invoiceId: i.invoiceId,
    number: i.number,
    topUpId: i.topUpId,
    issuedAt: new Date(i.issuedAtMs).toISOString(),
    amount: formatUsd(i.amountNanos),
    bonus: formatUsd(i.bonusNanos),
    discount: formatUsd(i.discountNanos),
    promotionCode: i.promotionCode,
    currency: 'USD',
    method: i.method,
    trigger: i.trigger,
    paymentReference: i.paymentReference,
    pdfUrl: `/v1/accounts/${i.accountId}/invoices/${i.invoiceId}/pdf`,
  };
}

/** `GET /v1/accounts/{accountId}/invoices`: newest first. */
export class ListInvoicesQuery extends Query<{ readonly data: InvoiceView[] }> {
  constructor(
    readonly accountId: string,
    readonly limit: number,
  ) {
    super();
  }
}
