import type { HoldExpiredData } from '../events.js';
import { timedHold, type EventCodec, type StoredTimedHoldV1 } from './fields.js';

export type HoldExpiredV1 = StoredTimedHoldV1;

export const holdExpired: EventCodec<HoldExpiredData, HoldExpiredV1> = timedHold;
