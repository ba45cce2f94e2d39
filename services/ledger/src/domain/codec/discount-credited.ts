import type { DiscountCreditedData } from '../events.js';
import { decodeCredit, encodeCredit, type EventCodec, type StoredCreditV1 } from './fields.js';

export interface DiscountCreditedV1 extends StoredCreditV1 {
  readonly discountId: string;
  readonly topUpId: string;
  readonly promotionCode: string;
}

export const discountCredited: EventCodec<DiscountCreditedData, DiscountCreditedV1> = {
  encode: (d) => ({
    discountId: d.discountId,
    topUpId: d.topUpId,
    promotionCode: d.promotionCode,
    ...encodeCredit(d),
  }),
  decode: (r) => ({
    discountId: r.id('discountId'),
    topUpId: r.id('topUpId'),
    promotionCode: r.id('promotionCode'),
    ...decodeCredit(r),
  }),
};
