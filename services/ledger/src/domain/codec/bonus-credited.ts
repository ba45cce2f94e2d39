import type { BonusCreditedData } from '../events.js';
import { expiringCreditCodec, type EventCodec, type StoredExpiringCreditV1 } from './fields.js';

export interface BonusCreditedV1 extends StoredExpiringCreditV1 {
  readonly grantId: string;
  readonly topUpId?: string;
}

export const bonusCredited: EventCodec<BonusCreditedData, BonusCreditedV1> = expiringCreditCodec(
  'grantId',
  'topUpId',
);
