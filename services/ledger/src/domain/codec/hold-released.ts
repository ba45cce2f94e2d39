import type { HoldReleasedData } from '../events.js';
import { iso, usd, type EventCodec, type IsoString, type UsdString } from './fields.js';

export interface HoldReleasedV1 {
  readonly holdId: string;
  readonly amount: UsdString;
  readonly recordedAt: IsoString;
}

export const holdReleased: EventCodec<HoldReleasedData, HoldReleasedV1> = {
  encode: (d) => ({
    holdId: d.holdId,
    amount: usd(d.amountNanos),
    recordedAt: iso(d.recordedAtMs),
  }),
  decode: (r) => ({
    holdId: r.id('holdId'),
    amountNanos: r.money('amount'),
    recordedAtMs: r.time('recordedAt'),
  }),
};
