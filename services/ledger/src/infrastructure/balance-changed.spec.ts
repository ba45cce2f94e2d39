import { createEvent, decodeEvent } from '@billing/contracts';
import { parseUsd } from '@billing/money';
import { balanceChangedEvent, balanceChangedMessage } from './balance-changed.js';

const balance = (total: string, held: string, version: number) => ({
  totalNanos: parseUsd(total),
  topUpNanos: parseUsd(total) - parseUsd('0.5'),
  bonusAndCompensationNanos: parseUsd('0.5'),
  heldNanos: parseUsd(held),
  availableNanos: parseUsd(total) - parseUsd(held),
  version,
});

describe('BalanceChanged as the ledger builds it', () => {
  it.each([
    ['a plain balance', balance('120', '0', 2), {}],
    [
      'a debt with holds',
      balance('-2.000000001', '3.5', 77),
      { causationId: 'c1', correlationId: 'r1' },
    ],
  ])('is exactly what createEvent builds and accepts, for %s', (_, b, ids) => {
    const input = {
      topic: 'ledger.v1',
      accountId: 'acct_42',
      balance: b,
      cause: { type: 'UsageRecorded', id: '0f5b3a4e-8a59-4c55-9d1e-1c2b3a4d5e6f' },
      nowMs: Date.parse('2026-11-27T03:09:32.123Z'),
      ...ids,
    };
    const built = balanceChangedEvent(input);
    const { id, type, accountId, source, occurredAt, data } = built;
    expect(createEvent({ id, type, accountId, source, occurredAt, data, ...ids })).toEqual(built);
    const message = balanceChangedMessage(input);
    const decoded = decodeEvent(message.value, { topic: 'ledger.v1' });
    expect(decoded).toEqual({ ok: true, event: built });
    expect(message).toMatchObject({ key: 'acct_42', id: built.id, topic: 'ledger.v1' });
  });

  it('has one id per account and version, whatever else differs', () => {
    const a = balanceChangedEvent({
      topic: 't',
      accountId: 'acct_1',
      balance: balance('1', '0', 3),
      cause: { type: 'PlaceHold', id: 'h1' },
      nowMs: 1,
    });
    const b = balanceChangedEvent({
      topic: 't',
      accountId: 'acct_1',
      balance: balance('2', '0', 3),
      cause: { type: 'ReleaseHold', id: 'h2' },
      nowMs: 2,
    });
    const c = balanceChangedEvent({
      topic: 't',
      accountId: 'acct_1',
      balance: balance('1', '0', 4),
      cause: { type: 'PlaceHold', id: 'h1' },
      nowMs: 1,
    });
    expect(a.id).toBe(b.id);
    expect(a.id).not.toBe(c.id);
    expect(a.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
