import type { HoldReleasedData } from '../events.js';
import {
  decodeHold,
  encodeHold,
  iso,
  type EventCodec,
  type IsoString,
  type StoredHoldV1,
} from './fields.js';

export interface HoldReleasedV1 extends StoredHoldV1 {
  readonly recordedAt: IsoString;
}

export const holdReleased: EventCodec<HoldReleasedData, HoldReleasedV1> = {
  encode: (d) => ({ ...encodeHold(d), recordedAt: iso(d.recordedAtMs) }),
  decode: (r) => ({ ...decodeHold(r), recordedAtMs: r.time('recordedAt') }),
};
