import type { CreditsExpiredData } from '../events.js';
import { LOT_KINDS, type LotKind } from '../lots.js';
import { iso, usd, type EventCodec, type IsoString, type UsdString } from './fields.js';

export interface CreditsExpiredV1 {
  readonly lotId: string;
  readonly kind: LotKind;
  readonly amount: UsdString;
  readonly expiresAt: IsoString;
  readonly recordedAt: IsoString;
}

export const creditsExpired: EventCodec<CreditsExpiredData, CreditsExpiredV1> = {
  encode: (d) => ({
    lotId: d.lotId,
    kind: d.kind,
    amount: usd(d.amountNanos),
    expiresAt: iso(d.expiresAtMs),
    recordedAt: iso(d.recordedAtMs),
  }),
  decode: (r) => ({
    lotId: r.id('lotId'),
    kind: r.oneOf('kind', LOT_KINDS),
    amountNanos: r.money('amount'),
    expiresAtMs: r.time('expiresAt'),
    recordedAtMs: r.time('recordedAt'),
  }),
};
