import type { ReferralCreditedData } from '../events.js';
import { expiringCreditCodec, type EventCodec, type StoredExpiringCreditV1 } from './fields.js';

export interface ReferralCreditedV1 extends StoredExpiringCreditV1 {
  readonly referralId: string;
  readonly referredAccountId?: string;
}

export const referralCredited: EventCodec<ReferralCreditedData, ReferralCreditedV1> =
  expiringCreditCodec('referralId', 'referredAccountId');
