import { Query } from '@nestjs/cqrs';
import type { PaymentMethodRow } from '../../infrastructure/payment-method-repository.js';

export interface PaymentMethodView {
  readonly paymentMethodId: string;
  /** "card", ... */
  readonly type: string;
  readonly brand: string | null;
  readonly last4: string | null;
  readonly expMonth: number | null;
  readonly expYear: number | null;
  readonly createdAt: string;
  /** The card auto top-up charges (while auto top-up is on). */
  readonly usedByAutoTopUp: boolean;
}

export function paymentMethodView(
  row: PaymentMethodRow,
  autoTopUpCard: string | null,
): PaymentMethodView {
  return {
    paymentMethodId: row.paymentMethodId,
    type: row.type,
    brand: row.brand,
    last4: row.last4,
    expMonth: row.expMonth,
    expYear: row.expYear,
    createdAt: new Date(row.attachedAtMs).toISOString(),
    usedByAutoTopUp: row.paymentMethodId === autoTopUpCard,
  };
}

/** `GET /v1/accounts/{accountId}/payment-methods`: the cards saved on the account, newest first. */
export class ListPaymentMethodsQuery extends Query<{ data: PaymentMethodView[] }> {
  constructor(readonly accountId: string) {
    super();
  }
}
