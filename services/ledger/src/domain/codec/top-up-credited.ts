import type { TopUpCreditedData, TopUpTrigger } from '../events.js';
import { decodeCredit, encodeCredit, type EventCodec, type StoredCreditV1 } from './fields.js';

export interface TopUpCreditedV1 extends StoredCreditV1 {
  readonly topUpId: string;
  readonly method: string;
  readonly trigger: TopUpTrigger;
  readonly paymentReference: string;
  readonly invoiceId: string;
}

export const topUpCredited: EventCodec<TopUpCreditedData, TopUpCreditedV1> = {
  encode: (d) => ({
    topUpId: d.topUpId,
    method: d.method,
    trigger: d.trigger,
    paymentReference: d.paymentReference,
    invoiceId: d.invoiceId,
    ...encodeCredit(d),
  }),
  decode: (r) => ({
    topUpId: r.id('topUpId'),
    method: r.text('method'),
    trigger: r.oneOf('trigger', ['manual', 'auto'] as const),
    paymentReference: r.text('paymentReference'),
    invoiceId: r.text('invoiceId'),
    ...decodeCredit(r),
  }),
};
