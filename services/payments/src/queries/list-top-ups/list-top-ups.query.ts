import { formatUsd } from '@billing/money';
import { Query } from '@nestjs/cqrs';
import type { TopUpRow } from '../../infrastructure/top-up-repository.js';

export interface TopUpView {
  readonly topUpId: string;
  /** What the payment provider charges (the top-up asked for, less any discount). */
  readonly amount: string;
  /** The promotion code's discount, credited on top of `amount`; null without a code. */
  readonly discount: string | null;
  readonly promotionCode: string | null;
  readonly status: string;
  readonly trigger: string;
  /** The method used once settled; before, the one asked for (if any). */
  readonly method: string | null;
  readonly checkoutUrl: string | null;
  readonly paymentReference: string | null;
  readonly invoiceId: string | null;
  readonly refundedAmount: string;
  readonly failureCode: string | null;
  readonly createdAt: string;
  readonly settledAt: string | null;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function topUpView(t: TopUpRow): TopUpView {
  return {
    topUpId: t.topUpId,
    amount: formatUsd(t.amountNanos),
    discount: t.discountNanos === null ? null : formatUsd(t.discountNanos),
    promotionCode: t.promotionCode,
    status: t.status,
    trigger: t.trigger,
    method: t.method ?? t.requestedMethod,
    // A checkout link is only useful while the top-up can still be paid.
    checkoutUrl: t.status === 'pending' ? t.checkoutUrl : null,
    paymentReference: t.paymentReference,
    invoiceId: t.invoiceId,
    refundedAmount: formatUsd(t.refundedNanos),
    failureCode: t.failureCode,
    createdAt: new Date(t.createdAtMs).toISOString(),
    settledAt: iso(t.settledAtMs),
  };
}

/** `GET /v1/accounts/{accountId}/top-ups`: newest first. */
export class ListTopUpsQuery extends Query<{ readonly data: TopUpView[] }> {
  constructor(
    readonly accountId: string,
    readonly limit: number,
  ) {
    super();
  }
}
