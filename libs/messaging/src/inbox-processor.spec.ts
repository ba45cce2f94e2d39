import { classifyRecords } from './inbox-processor.js';
import { decodeTestEvent, testEventId } from './testing/fixtures.js';
import type { InboxRecord } from './types.js';

const rec = (offset: number, value: string | null): InboxRecord => ({
  topic: 't',
  partition: 0,
  offset: String(offset),
  key: 'acct_1',
  value: value === null ? null : Buffer.from(value),
  headers: {},
});

const event = (id: string | undefined, seq: number): string =>
  JSON.stringify({ ...(id ? { id } : {}), type: 'TestEvent', accountId: 'acct_1', seq });

describe('classifyRecords', () => {
  it('keeps good records in order and sends each poison record to the DLQ with its reason', () => {
    const { good, poison } = classifyRecords(
      [
        rec(0, event('a', 1)),
        rec(1, '{nope'),
        rec(2, JSON.stringify({ type: 'Other' })),
        rec(3, event(undefined, 2)),
        rec(4, null),
        rec(5, JSON.stringify({ id: 'v', type: 'TestEvent', accountId: 'acct_1', seq: 'x' })),
        rec(6, event('b', 3)),
      ],
      'ledger',
      decodeTestEvent,
      testEventId,
    );
    expect(good.map((g) => [g.record.offset, g.id])).toEqual([
      ['0', 'a'],
      ['6', 'b'],
    ]);
    expect(poison.map((p) => [p.record.offset, p.reason])).toEqual([
      ['1', 'invalid_json'],
      ['2', 'unknown_type'],
      ['3', 'missing_id'],
      ['4', 'empty_value'],
      ['5', 'validation_failed'],
    ]);
    expect(poison.every((p) => p.consumerName === 'ledger')).toBe(true);
  });

  it('dead-letters a record whose decoder throws instead of crashing the loop', () => {
    const { good, poison } = classifyRecords(
      [rec(0, event('a', 1))],
      'ledger',
      () => {
        throw new Error('decoder bug');
      },
      testEventId,
    );
    expect(good).toEqual([]);
    expect(poison).toEqual([
      expect.objectContaining({ reason: 'decoder_threw', error: 'decoder bug' }),
    ]);
  });

  it('treats an empty id as missing', () => {
    const { poison } = classifyRecords([rec(0, event('', 1))], 'c', decodeTestEvent, (m) => m.id);
    expect(poison.map((p) => p.reason)).toEqual(['missing_id']);
  });
});
