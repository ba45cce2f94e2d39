import type { HoldPlacedData } from '../events.js';
import { optionalId, timedHold, type EventCodec, type StoredTimedHoldV1 } from './fields.js';

/**
 * `apiKeyId` is an optional field added to version 1 after it was first written (per-key spend
 * limits, issue #17): every stored hold without it reads as a hold of no key, as before, and a
 * reader that predates it ignores it, so it is an addition, not a change of the shape in place.
 */
export interface HoldPlacedV1 extends StoredTimedHoldV1 {
  readonly apiKeyId?: string;
}

export const holdPlaced: EventCodec<HoldPlacedData, HoldPlacedV1> = {
  encode: (d) => ({ ...timedHold.encode(d), ...optionalId('apiKeyId', d.apiKeyId) }),
  decode: (r) => ({ ...timedHold.decode(r), ...r.optionalId('apiKeyId') }),
};
