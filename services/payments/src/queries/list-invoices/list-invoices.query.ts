import { formatUsd } from '@billing/money';
import { Query } from '@nestjs/cqrs';
import type { NumberedBuilderInvoice } from '../../infrastructure/builder-subscription-repository.js';
import type { InvoiceRow } from '../../infrastructure/invoice-repository.js';
import { builderInvoiceDescription, topUpDescription } from '../../infrastructure/invoice-pdf.js';

/**
 * One invoice of the account: a top-up's (`kind: "top_up"`) or a Builder subscription period's
 * (`kind: "builder_subscription"`), numbered from one sequence. The fields of a top-up were the
 * whole answer before Builder invoices were listed and keep their meaning; on a Builder invoice
 * those that only a top-up has are null (`topUpId`, `method`, `trigger`) or "0" (`bonus`,
 * `discount`).
 */
export interface InvoiceView {
  readonly invoiceId: string;
  readonly number: string;
  readonly kind: 'top_up' | 'builder_subscription';
  /** What the invoice is for: "Account top-up (manual top-up)", "Builder plan, period A to B". */
  readonly description: string;
  readonly topUpId: string | null;
  readonly issuedAt: string;
  /** What was charged, decimal USD. */
  readonly amount: string;
  readonly bonus: string;
  /** What a promotion code took off the top-up ("0" without one); `amount` is what was charged. */
  readonly discount: string;
  readonly promotionCode: string | null;
  readonly currency: string;
  readonly method: string | null;
  readonly trigger: string | null;
  /** The provider's payment (`pi_...`) or, for a Builder invoice, the provider's invoice (`in_...`). */
  readonly paymentReference: string;
  /** The Builder subscription and the period paid for; null on a top-up invoice. */
  readonly subscriptionId: string | null;
  readonly periodStart: string | null;
  readonly periodEnd: string | null;
  /** Relative to the service: where the PDF is downloaded. */
  readonly pdfUrl: string;
}

const pdfUrl = (accountId: string, invoiceId: string): string =>
  `/v1/accounts/${accountId}/invoices/${invoiceId}/pdf`;

export function invoiceView(i: InvoiceRow): InvoiceView {
  return {
    invoiceId: i.invoiceId,
    number: i.number,
    kind: 'top_up',
    description: topUpDescription(i.trigger),
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
    subscriptionId: null,
    periodStart: null,
    periodEnd: null,
    pdfUrl: pdfUrl(i.accountId, i.invoiceId),
  };
}

export function builderInvoiceView(i: NumberedBuilderInvoice): InvoiceView {
  return {
    invoiceId: i.invoiceId,
    number: i.number,
    kind: 'builder_subscription',
    description: builderInvoiceDescription(i.periodStartMs, i.periodEndMs),
    topUpId: null,
    issuedAt: new Date(i.issuedAtMs).toISOString(),
    amount: formatUsd(i.amountNanos),
    bonus: '0',
    discount: '0',
    promotionCode: null,
    currency: i.currency.toUpperCase(),
    method: null,
    trigger: null,
    paymentReference: i.providerInvoiceId,
    subscriptionId: i.subscriptionId,
    periodStart: new Date(i.periodStartMs).toISOString(),
    periodEnd: new Date(i.periodEndMs).toISOString(),
    pdfUrl: pdfUrl(i.accountId, i.invoiceId),
  };
}

/** `GET /v1/accounts/{accountId}/invoices`: top-up and Builder invoices together, newest first. */
export class ListInvoicesQuery extends Query<{ readonly data: InvoiceView[] }> {
  constructor(
    readonly accountId: string,
    readonly limit: number,
  ) {
    super();
  }
}
