import { originalRecordOf, type StoredDeadLetter } from './dead-letter-store.js';
import { deadLetterHeaders } from './internal/dead-letter-headers.js';
import type { InboxRecord } from './types.js';

// What a replay hands to the consumer: the record as it first arrived, without what the
// dead-lettering added to its headers.

const record: InboxRecord = {
  topic: 'payments.v1',
  partition: 2,
  offset: '41',
  key: 'acct_1',
  value: Buffer.from('{"id":"e1"}'),
  headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
};

function stored(headers: Record<string, string>): StoredDeadLetter {
  return {
    id: '7',
    consumerName: 'ledger-payments',
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    key: record.key,
    messageId: 'e1',
    value: record.value,
    headers,
    reason: 'handler_failed',
    error: 'LEDGER.TOP_UP_NOT_FOUND: tu_1',
    createdAt: new Date('2026-12-07T12:00:00Z'),
    replayedAt: null,
    replayOutcome: null,
  };
}

describe('originalRecordOf', () => {
  it('gives back the record as the consumer first received it, its own headers kept', () => {
    const headers = deadLetterHeaders(
      {
        record,
        consumerName: 'ledger-payments',
        reason: 'handler_failed',
        messageId: 'e1',
        error: 'LEDGER.TOP_UP_NOT_FOUND: tu_1',
      },
      new Date('2026-12-07T12:00:00Z'),
    );
    expect(Object.keys(headers).length).toBeGreaterThan(Object.keys(record.headers).length);
    expect(originalRecordOf(stored(headers))).toEqual(record);
  });

  it('keeps a header of the record that merely looks like ours', () => {
    const own = { 'x-dlq-like': 'mine', traceparent: 't' };
    expect(originalRecordOf(stored(own)).headers).toEqual(own);
  });
});
