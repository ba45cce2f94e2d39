import type { GiftCreditedData } from '../events.js';
import { expiringCreditCodec, type StoredExpiringCreditV1 } from './fields.js';

export interface GiftCreditedV1 extends StoredExpiringCreditV1 {
  readonly giftId: string;
}

export const giftCredited = expiringCreditCodec<GiftCreditedData, GiftCreditedV1>('giftId');
