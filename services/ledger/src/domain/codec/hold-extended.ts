import type { HoldExtendedData } from '../events.js';
import { timedHold, type EventCodec, type StoredTimedHoldV1 } from './fields.js';

/** `expiresAt` is the new expiry; `amount` the hold's, unchanged. */
export type HoldExtendedV1 = StoredTimedHoldV1;

export const holdExtended: EventCodec<HoldExtendedData, HoldExtendedV1> = timedHold;
