import type { CompensationCreditedData } from '../events.js';
import { expiringCreditCodec, type EventCodec, type StoredExpiringCreditV1 } from './fields.js';

export interface CompensationCreditedV1 extends StoredExpiringCreditV1 {
  readonly compensationId: string;
  readonly claimId?: string;
}

export const compensationCredited: EventCodec<CompensationCreditedData, CompensationCreditedV1> =
  expiringCreditCodec('compensationId', 'claimId');
