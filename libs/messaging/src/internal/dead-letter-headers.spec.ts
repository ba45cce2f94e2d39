import { DLQ_HEADERS, deadLetterHeaders, defaultDlqTopic } from './dead-letter-headers.js';

const record = {
  topic: 'usage.recorded.v1',
  partition: 4,
  offset: '1234',
  key: 'acct_42',
  value: Buffer.from('{not json'),
  headers: { 'x-trace': 'abc' },
};

describe('deadLetterHeaders', () => {
  const now = new Date('2026-11-27T03:09:32.123Z');

  it('records the reason and where the message came from, keeping its own headers', () => {
    expect(
      deadLetterHeaders({ record, consumerName: 'ledger', reason: 'invalid_json' }, now),
    ).toEqual({
      'x-trace': 'abc',
      'x-dlq-reason': 'invalid_json',
      'x-original-topic': 'usage.recorded.v1',
      'x-original-partition': '4',
      'x-original-offset': '1234',
      'x-consumer': 'ledger',
      'x-dlq-at': '2026-11-27T03:09:32.123Z',
    });
  });

  it('adds the error and message id of a handler failure, the error truncated', () => {
    const headers = deadLetterHeaders(
      {
        record,
        consumerName: 'ledger',
        reason: 'handler_failed',
        messageId: 'm-1',
        error: 'x'.repeat(5000),
      },
      now,
    );
    expect(headers[DLQ_HEADERS.messageId]).toBe('m-1');
    expect(headers[DLQ_HEADERS.error]).toHaveLength(1000);
  });

  it('does not let a record header forge the dead-letter headers', () => {
    const forged = { ...record, headers: { 'x-dlq-reason': 'forged', 'x-consumer': 'someone' } };
    const headers = deadLetterHeaders(
      { record: forged, consumerName: 'ledger', reason: 'missing_id' },
      now,
    );
    expect(headers[DLQ_HEADERS.reason]).toBe('missing_id');
    expect(headers[DLQ_HEADERS.consumer]).toBe('ledger');
  });
});

describe('defaultDlqTopic', () => {
  it('appends .dlq, as the contract names the dead-letter topics', () => {
    expect(defaultDlqTopic('payments.v1')).toBe('payments.v1.dlq');
  });
});
