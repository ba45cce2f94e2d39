import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { canonicalJson } from './canonical-json.js';
import { GENESIS_HASH, eventHash, requestHash } from './hashing.js';

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

describe('eventHash', () => {
  it('is the sha-256 of the canonical JSON of the documented fields', () => {
    fc.assert(
      fc.property(
        fc.record({
          streamId: fc.string({ minLength: 1, unit: 'binary' }),
          version: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
          eventId: fc.uuid(),
          type: fc.string({ minLength: 1, unit: 'binary' }),
          data: fc.jsonValue(),
          metadata: fc.dictionary(fc.string(), fc.jsonValue()),
          occurredAt: fc.date({ noInvalidDate: true }),
          prevHash: fc.stringMatching(/^[0-9a-f]{64}$/),
        }),
        (e) => {
          const byHand = eventHash({
            streamId: e.streamId,
            version: e.version,
            eventId: e.eventId,
            type: e.type,
            dataJson: canonicalJson(e.data),
            metadataJson: canonicalJson(e.metadata),
            occurredAtIso: e.occurredAt.toISOString(),
            prevHash: e.prevHash,
          });
          const reference = sha256(canonicalJson({ ...e, occurredAt: e.occurredAt.toISOString() }));
          expect(byHand).toBe(reference);
        },
      ),
    );
  });

  it('has not changed: a stored chain must verify forever', () => {
    // If this fails, every chain already in a database stops verifying. Do not update the value;
    // version the hash instead.
    expect(
      eventHash({
        streamId: 'account-acct_42',
        version: 1,
        eventId: '6f1c1e0e-7a43-4f7e-9d2b-0a6c3e8f5b11',
        type: 'TopUpSettled',
        dataJson: canonicalJson({ amount: '120', topUpId: 'tu_1' }),
        metadataJson: canonicalJson({ correlationId: 'req_1' }),
        occurredAtIso: '2026-11-27T03:09:32.123Z',
        prevHash: GENESIS_HASH,
      }),
    ).toBe(
      sha256(
        '{"data":{"amount":"120","topUpId":"tu_1"},"eventId":"6f1c1e0e-7a43-4f7e-9d2b-0a6c3e8f5b11",' +
          '"metadata":{"correlationId":"req_1"},"occurredAt":"2026-11-27T03:09:32.123Z",' +
          `"prevHash":"${GENESIS_HASH}","streamId":"account-acct_42","type":"TopUpSettled","version":1}`,
      ),
    );
  });

  it('starts every chain from 64 zeros', () => {
    expect(GENESIS_HASH).toMatch(/^0{64}$/);
  });
});

describe('requestHash', () => {
  const events = [{ type: 'A', dataJson: '{"x":1}', metadataJson: '{}' }];

  it('is the sha-256 of the canonical JSON of the stream and the events', () => {
    expect(requestHash({ streamId: 's', events })).toBe(
      sha256(
        canonicalJson({ streamId: 's', events: [{ type: 'A', data: { x: 1 }, metadata: {} }] }),
      ),
    );
  });

  it('differs for another stream, another payload, another type or another order', () => {
    const base = requestHash({ streamId: 's', events });
    expect(requestHash({ streamId: 't', events })).not.toBe(base);
    expect(
      requestHash({ streamId: 's', events: [{ ...events[0]!, dataJson: '{"x":2}' }] }),
    ).not.toBe(base);
    expect(requestHash({ streamId: 's', events: [{ ...events[0]!, type: 'B' }] })).not.toBe(base);
    const two = [
      { type: 'A', dataJson: '1', metadataJson: '{}' },
      { type: 'B', dataJson: '2', metadataJson: '{}' },
    ];
    expect(requestHash({ streamId: 's', events: two })).not.toBe(
      requestHash({ streamId: 's', events: [...two].reverse() }),
    );
  });
});
