import type { AdjustmentPostedData } from '../events.js';
import * as f from './fields.js';

/** Positive: `lotId` set and `draws` empty; negative: no `lotId`, `debtRepaid` "0". */
export interface AdjustmentPostedV1 extends f.StoredDebitV1 {
  readonly adjustmentId: string;
  readonly amount: f.UsdString;
  readonly reason: string;
  readonly lotId?: string;
  readonly debtRepaid: f.UsdString;
}

export const adjustmentPosted: f.EventCodec<AdjustmentPostedData, AdjustmentPostedV1> = {
  encode: (d) => ({
    adjustmentId: d.adjustmentId,
    amount: f.usd(d.amountNanos),
    reason: d.reason,
    ...f.optionalId('lotId', d.lotId),
    debtRepaid: f.usd(d.debtRepaidNanos),
    ...f.encodeDebit(d),
  }),
  decode: (r) => ({
    adjustmentId: r.id('adjustmentId'),
    amountNanos: r.money('amount'),
    reason: r.text('reason'),
    ...r.optionalId('lotId'),
    debtRepaidNanos: r.money('debtRepaid'),
    ...f.decodeDebit(r),
  }),
};
