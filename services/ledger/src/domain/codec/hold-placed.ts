import type { HoldPlacedData } from '../events.js';
import { timedHold, type EventCodec, type StoredTimedHoldV1 } from './fields.js';

export type HoldPlacedV1 = StoredTimedHoldV1;

export const holdPlaced: EventCodec<HoldPlacedData, HoldPlacedV1> = timedHold;
