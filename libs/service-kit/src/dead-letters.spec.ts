import type { StoredDeadLetter } from '@billing/messaging';
import { DEAD_LETTER_PAYLOAD_MAX_CHARS, deadLetterView } from './dead-letters.js';

// How a stored dead letter is shown on the desk: the envelope's id and type when it has them,
// the payload cut to a bound, times in ISO 8601.

function letter(value: Buffer | null, messageId: string | null = null): StoredDeadLetter {
  return {
    id: '12',
    consumerName: 'metering-usage',
    topic: 'usage.observed.v1',
    partition: 1,
    offset: '99',
    key: 'acct_1',
    messageId,
    value,
    headers: {},
    reason: 'INVALID_JSON: Unexpected end of JSON input',
    error: null,
    createdAt: new Date('2026-12-07T12:00:00.000Z'),
    replayedAt: null,
    replayOutcome: null,
  };
}

describe('deadLetterView', () => {
  it("shows an envelope's id and type, and the payload", () => {
    const value = '{"id":"e1","type":"UsageObserved","data":{}}';
    expect(deadLetterView('metering', letter(Buffer.from(value)))).toEqual({
      id: '12',
      service: 'metering',
      topic: 'usage.observed.v1',
      partition: 1,
      offset: '99',
      key: 'acct_1',
      eventId: 'e1',
      eventType: 'UsageObserved',
      reason: 'INVALID_JSON: Unexpected end of JSON input',
      error: null,
      deadLetteredAt: '2026-12-07T12:00:00.000Z',
      consumerGroup: 'metering-usage',
      replayedAt: null,
      replayOutcome: null,
      payload: value,
      payloadTruncated: false,
    });
  });

  it('prefers the id the consumer extracted, and survives what is not JSON or not an object', () => {
    expect(deadLetterView('metering', letter(Buffer.from('{"id":"e1"'), 'e2'))).toMatchObject({
      eventId: 'e2',
      eventType: null,
    });
    expect(deadLetterView('metering', letter(Buffer.from('[1,2]')))).toMatchObject({
      eventId: null,
      eventType: null,
    });
    expect(deadLetterView('metering', letter(Buffer.from('{"id":5,"type":null}')))).toMatchObject({
      eventId: null,
      eventType: null,
    });
    expect(deadLetterView('metering', letter(null))).toMatchObject({
      payload: null,
      payloadTruncated: false,
    });
  });

  it('cuts a long payload and says so', () => {
    const long = `{"id":"e1","data":"${'x'.repeat(DEAD_LETTER_PAYLOAD_MAX_CHARS)}"}`;
    const view = deadLetterView('metering', letter(Buffer.from(long)));
    expect(view.payload).toHaveLength(DEAD_LETTER_PAYLOAD_MAX_CHARS);
    expect(view.payloadTruncated).toBe(true);
    expect(view.eventId).toBe('e1');
  });
});
