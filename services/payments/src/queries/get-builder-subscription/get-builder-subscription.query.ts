import { formatUsd } from '@billing/money';
import { Query } from '@nestjs/cqrs';
import type {
  BuilderInvoiceRow,
  BuilderSubscriptionRow,
} from '../../infrastructure/builder-subscription-repository.js';

/** One paid period of the subscription: its invoice, the fee as the provider charged it. */
export interface BuilderInvoiceView {
  readonly invoiceId: string;
  readonly number: string;
  readonly subscriptionId: string;
  /** The fee paid, decimal USD. */
  readonly amount: string;
  readonly currency: string;
  readonly periodStart: string;
  readonly periodEnd: string;
  readonly issuedAt: string;
}

/** The answer of `GET /v1/accounts/{accountId}/builder-subscription`. */
export interface BuilderSubscriptionView {
  readonly accountId: string;
  readonly subscriptionId: string;
  readonly active: boolean;
  /** The end of the last paid period; null before the first payment. */
  readonly currentPeriodEnd: string | null;
  readonly endedAt: string | null;
  readonly updatedAt: string;
  /** Newest first, at most `limit`. */
  readonly invoices: BuilderInvoiceView[];
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function builderSubscriptionView(
  s: BuilderSubscriptionRow,
  invoices: readonly (BuilderInvoiceRow & { readonly number: string })[],
): BuilderSubscriptionView {
  return {
    accountId: s.accountId,
    subscriptionId: s.subscriptionId,
    active: s.active,
    currentPeriodEnd: iso(s.currentPeriodEndMs),
    endedAt: iso(s.endedAtMs),
    updatedAt: new Date(s.updatedAtMs).toISOString(),
    invoices: invoices.map((i) => ({
      invoiceId: i.invoiceId,
      number: i.number,
      subscriptionId: i.subscriptionId,
      amount: formatUsd(i.amountNanos),
      currency: i.currency,
      periodStart: new Date(i.periodStartMs).toISOString(),
      periodEnd: new Date(i.periodEndMs).toISOString(),
      issuedAt: new Date(i.issuedAtMs).toISOString(),
    })),
  };
}

/** The account's Builder subscription as the payment provider reported it, and its invoices. */
export class GetBuilderSubscriptionQuery extends Query<BuilderSubscriptionView | undefined> {
  constructor(
    readonly accountId: string,
    readonly limit: number,
  ) {
    super();
  }
}
