// Property tests: whatever bytes arrive, decodeEvent answers, and what it accepts is a real event.
import { tryParseUsd } from '@billing/money';
import fc from 'fast-check';

import { FULL } from './__fixtures__/examples.js';
import { decodeEvent, type DecodeResult } from './decode.js';
import { encodeEvent } from './encode.js';
import { EVENT_TYPES } from './events.js';

const RUNS = { numRuns: 300 };

/** The invariant: no throw; a failure has a code and a reason; a success survives a round trip. */
function expectWellBehaved(result: DecodeResult): void {
  if (!result.ok) {
    expect(result.reason.length).toBeGreaterThan(0);
    return;
  }
  expect(decodeEvent(encodeEvent(result.event))).toEqual(result);
}

describe('decodeEvent: properties', () => {
  it('given random JSON, then it never throws and is ok:false or a valid event', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expectWellBehaved(decodeEvent(JSON.stringify(value)));
        expectWellBehaved(decodeEvent(value));
      }),
      RUNS,
    );
  });

  it('given random text and random bytes, then it never throws', () => {
    fc.assert(
      fc.property(fc.string(), fc.uint8Array({ maxLength: 64 }), (text, bytes) => {
        expectWellBehaved(decodeEvent(text));
        expectWellBehaved(decodeEvent(Buffer.from(bytes)));
      }),
      RUNS,
    );
  });

  it('given a valid event with one field replaced by random JSON, then it never throws', () => {
    const type = fc.constantFrom(...EVENT_TYPES);
    fc.assert(
      fc.property(type, fc.boolean(), fc.nat(), fc.jsonValue(), (t, inData, pick, value) => {
        const event = JSON.parse(JSON.stringify(FULL[t])) as Record<string, unknown>;
        const target = inData ? (event.data as Record<string, unknown>) : event;
        const keys = Object.keys(target);
        target[keys[pick % keys.length] ?? 'id'] = value;
        expectWellBehaved(decodeEvent(JSON.stringify(event), { topic: 'payments.v1' }));
        expectWellBehaved(decodeEvent(event));
      }),
      RUNS,
    );
  });

  it('given any string amount, then a credit decodes exactly when money parses it as positive', () => {
    const amount = fc.oneof(
      fc.string({ maxLength: 14 }),
      fc.stringMatching(/^-?(0|[1-9][0-9]{0,3})(\.[0-9]{1,11})?$/),
    );
    fc.assert(
      fc.property(amount, (text) => {
        const event = { ...FULL.GiftGranted, data: { ...FULL.GiftGranted.data, amount: text } };
        const nanos = tryParseUsd(text);
        expect(decodeEvent(event).ok).toBe(nanos !== undefined && nanos > 0n);
      }),
      RUNS,
    );
  });
});
