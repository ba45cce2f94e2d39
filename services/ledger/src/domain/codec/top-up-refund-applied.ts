import type { TopUpRefundAppliedData } from '../events.js';
import { iso, usd, type EventCodec, type IsoString, type UsdString } from './fields.js';

export interface TopUpRefundAppliedV1 {
  readonly topUpId: string;
  readonly refundReference: string;
  readonly amount: UsdString;
  readonly topUpLotId: string;
  readonly topUpTaken: UsdString;
  readonly debtIncurred: UsdString;
  readonly bonusTakebacks: readonly { readonly lotId: string; readonly amount: UsdString }[];
  readonly recordedAt: IsoString;
}

export const topUpRefundApplied: EventCodec<TopUpRefundAppliedData, TopUpRefundAppliedV1> = {
  encode: (d) => ({
    topUpId: d.topUpId,
    refundReference: d.refundReference,
    amount: usd(d.amountNanos),
    topUpLotId: d.topUpLotId,
    topUpTaken: usd(d.topUpTakenNanos),
    debtIncurred: usd(d.debtIncurredNanos),
    bonusTakebacks: d.bonusTakebacks.map((t) => ({ lotId: t.lotId, amount: usd(t.amountNanos) })),
    recordedAt: iso(d.recordedAtMs),
  }),
  decode: (r) => ({
    topUpId: r.id('topUpId'),
    refundReference: r.id('refundReference'),
    amountNanos: r.money('amount'),
    topUpLotId: r.id('topUpLotId'),
    topUpTakenNanos: r.money('topUpTaken'),
    debtIncurredNanos: r.money('debtIncurred'),
    bonusTakebacks: r.list('bonusTakebacks', (item) => ({
      lotId: item.id('lotId'),
      amountNanos: item.money('amount'),
    })),
    recordedAtMs: r.time('recordedAt'),
  }),
};
