import type { ReferralRevokedData } from '../events.js';
import { iso, usd, type EventCodec, type IsoString, type UsdString } from './fields.js';

export interface ReferralRevokedV1 {
  readonly referralId: string;
  readonly lotId: string;
  readonly amount: UsdString;
  readonly taken: UsdString;
  readonly reason: string;
  readonly recordedAt: IsoString;
}

export const referralRevoked: EventCodec<ReferralRevokedData, ReferralRevokedV1> = {
  encode: (d) => ({
    referralId: d.referralId,
    lotId: d.lotId,
    amount: usd(d.amountNanos),
    taken: usd(d.takenNanos),
    reason: d.reason,
    recordedAt: iso(d.recordedAtMs),
  }),
  decode: (r) => ({
    referralId: r.id('referralId'),
    lotId: r.id('lotId'),
    amountNanos: r.money('amount'),
    takenNanos: r.money('taken'),
    reason: r.text('reason'),
    recordedAtMs: r.time('recordedAt'),
  }),
};
