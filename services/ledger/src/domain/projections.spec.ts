import { formatUsd } from '@billing/money';
import { applyToBalance, balanceOf, balanceOfEvents, EMPTY_BALANCE } from './balance.js';
import { breakdownOf, type CreditsBreakdown } from './breakdown.js';
import { foldLedger } from './state.js';
import {
  mergeTransactionRows,
  transactionHistoryOf,
  transactionRowsOf,
  type TransactionRow,
} from './transactions.js';
import { days, holdPlaced, holdReleased } from './testing/builders.js';
import { everyEventStory } from './testing/stories.js';

const asUsd = (breakdown: CreditsBreakdown): Record<string, string> =>
  Object.fromEntries(
    Object.entries(breakdown).map(([key, value]) => [key, formatUsd(value as bigint)]),
  );

describe('credits breakdown', () => {
  it('given a history with every kind of credit, usage, an expiry and a refund, then each category is its sum and the total is granted − usage − expired', () => {
    const { events } = everyEventStory();

    expect(asUsd(breakdownOf(events))).toEqual({
      topUpsNanos: '60', // $100 topped up, $50 refunded; $10 topped up ($9 paid + $1 discount)
      bonusesNanos: '18', // $20 earned, $2 clawed back with the refund
      giftsNanos: '5',
      referralsNanos: '3', // $3 + $2 granted, the $2 revoked
      compensationsNanos: '2',
      adjustmentsNanos: '0.5', // +$1 and −$0.5
      expiredNanos: '4.5',
      usageNanos: '18',
      totalBalanceNanos: '66',
    });
  });

  it('given any history, then the breakdown total equals the Total Balance of the lots', () => {
    const { events, state } = everyEventStory();

    expect(breakdownOf(events).totalBalanceNanos).toBe(balanceOf(state).totalNanos);
  });

  it('given only holds, then the breakdown does not move: a hold is not a credit or a charge', () => {
    expect(breakdownOf([holdPlaced('h', '1'), holdReleased('h', '1')]).totalBalanceNanos).toBe(0n);
  });
});

describe('balance from events', () => {
  it('given a history, then the balance folded from event payloads alone equals the balance of the domain state', () => {
    const { events, state } = everyEventStory();

    expect(balanceOfEvents(events)).toEqual(balanceOf(state));
    expect(balanceOf(state).version).toBe(events.length);
  });

  it('given a history, then ?asOf= is the fold of the events recorded up to that moment', () => {
    const { events } = everyEventStory();
    const asOfDay0 = balanceOfEvents(events.filter((event) => event.data.recordedAtMs < days(1)));

    // Before any usage: 100 + 20 + 9 + 1 + 5 + 3 + 2 + 2 + 1 − 0.5, no hold left active; the
    // discount is top-up credit.
    expect(formatUsd(asOfDay0.totalNanos)).toBe('142.5');
    expect(formatUsd(asOfDay0.topUpNanos)).toBe('110');
    expect(asOfDay0.heldNanos).toBe(0n);
  });

  it('given every prefix of a history, then the incremental balance matches the state at that version', () => {
    const { events } = everyEventStory();
    let balance = EMPTY_BALANCE;
    events.forEach((event, index) => {
      balance = applyToBalance(balance, event);
      expect(balance).toEqual(balanceOf(foldLedger(events.slice(0, index + 1))));
    });
  });
});

describe('transaction history', () => {
  const summary = (rows: readonly TransactionRow[]) =>
    rows.map((row) => [row.id, row.type, formatUsd(row.amountNanos), row.requestCount ?? null]);

  it('given a history, then there is one row per credit, adjustment, expiry and refund part, and usage is one row per day per key', () => {
    const rows = transactionHistoryOf(everyEventStory().events);

    expect(summary(rows)).toEqual([
      ['top_up:t1', 'top_up', '100', null],
      ['bonus:g1', 'bonus', '20', null],
      ['top_up:t2', 'top_up', '9', null],
      ['discount:disc_t2', 'discount', '1', null],
      ['gift:gf', 'gift', '5', null],
      ['referral:rf', 'referral', '3', null],
      ['referral:rf2', 'referral', '2', null],
      ['compensation:cp', 'compensation', '2', null],
      ['adjustment:a1', 'adjustment', '1', null],
      ['adjustment:a2', 'adjustment', '-0.5', null],
      ['expiry:gift:gf', 'expiry', '-4.5', null],
      ['usage:2026-01-02:k1', 'usage', '-15', 2],
      ['usage:2026-01-02:k2', 'usage', '-2', 1],
      ['usage:2026-01-03:-', 'usage', '-1', 1],
      ['refund:re_1', 'refund', '-50', null],
      ['refund:re_1:bonus:g1', 'refund', '-2', null],
      ['referral-revoked:rf2', 'referral', '-2', null],
    ]);
  });

  it('given a history, then the signed rows add up to the Total Balance', () => {
    const { events, state } = everyEventStory();
    const sum = transactionHistoryOf(events).reduce((total, row) => total + row.amountNanos, 0n);

    expect(sum).toBe(balanceOf(state).totalNanos);
  });

  it('given a top-up, then its row carries the method and the invoice id', () => {
    const [row] = transactionHistoryOf(everyEventStory().events);

    expect(row).toEqual(
      expect.objectContaining({
        type: 'top_up',
        method: 'card',
        invoiceId: 'inv_t1',
        description: 'Top-up via card',
      }),
    );
  });

  it('given hold events, then they add no rows: a hold is not a transaction', () => {
    expect(transactionRowsOf(holdPlaced('h', '1'))).toEqual([]);
  });

  it('given two rows with different ids, when merged, then it throws: only one day and key aggregate', () => {
    const [a, b] = transactionHistoryOf(everyEventStory().events);
    if (a === undefined || b === undefined) throw new Error('story too short');

    expect(() => mergeTransactionRows(a, b)).toThrow(RangeError);
  });
});
