import type { CreditsExpiredData } from '../events.js';
import {
  decodeDraw,
  encodeDraw,
  iso,
  type EventCodec,
  type IsoString,
  type StoredDrawV1,
} from './fields.js';

/** The lot, its kind and the amount it still held: the same fields as a draw of a debit. */
export interface CreditsExpiredV1 extends StoredDrawV1 {
  readonly expiresAt: IsoString;
  readonly recordedAt: IsoString;
}

export const creditsExpired: EventCodec<CreditsExpiredData, CreditsExpiredV1> = {
  encode: (d) => ({
    ...encodeDraw(d),
    expiresAt: iso(d.expiresAtMs),
    recordedAt: iso(d.recordedAtMs),
  }),
  decode: (r) => ({
    ...decodeDraw(r),
    expiresAtMs: r.time('expiresAt'),
    recordedAtMs: r.time('recordedAt'),
  }),
};
