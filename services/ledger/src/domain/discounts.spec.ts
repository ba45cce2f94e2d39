import { formatUsd } from '@billing/money';
import { balanceOfEvents } from './balance.js';
import { breakdownOf } from './breakdown.js';
import { transactionHistoryOf } from './transactions.js';
import {
  bonus,
  charge,
  discount,
  discountCredited,
  draws,
  refund,
  refundApplied,
  topUp,
  usageCharged,
} from './testing/builders.js';
import {
  expectAlreadyApplied,
  expectBalance,
  expectEvents,
  givenCommands,
} from './testing/scenario.js';

// A $100 top-up bought with a 10% promotion code: the customer paid $90 (TopUpCredited), the code
// paid $10 (DiscountCredited), and the +20% bonus is on the full $100.
const discounted = () =>
  givenCommands(topUp('t1', '90'), discount('t1', '10'), bonus('g1', '20', { topUpId: 't1' }));

const history = (events: Parameters<typeof transactionHistoryOf>[0]) =>
  transactionHistoryOf(events).map((row) => [
    row.type,
    formatUsd(row.amountNanos),
    row.description,
  ]);

describe('discounts (promotion codes on a top-up)', () => {
  it('given a $90 top-up, when its $10 discount is credited, then DiscountCredited opens a discount lot', () => {
    const outcome = givenCommands(topUp('t1', '90')).when(discount('t1', '10'));

    expectEvents(outcome, [discountCredited('t1', '10')]);
  });

  it('given a discounted $100 top-up and its bonus, then the balance is $100 of top-up credits and $20 of bonus: the discount counts as top-up', () => {
    expectBalance(discounted().state, { total: '120', topUp: '100', bonusAndCompensation: '20' });
  });

  it('given a discounted top-up, then the breakdown shows Top-ups $100 (paid + discount), and history a Top-up $90 row and a Discount $10 row', () => {
    const { events } = discounted();

    const breakdown = breakdownOf(events);
    expect(formatUsd(breakdown.topUpsNanos)).toBe('100');
    expect(formatUsd(breakdown.bonusesNanos)).toBe('20');
    expect(formatUsd(breakdown.totalBalanceNanos)).toBe('120');
    expect(history(events)).toEqual([
      ['top_up', '90', 'Top-up via card'],
      ['discount', '10', 'Discount SPRING10 on top-up t1'],
      ['bonus', '20', 'Bonus for top-up t1'],
    ]);
  });

  it('given a discount already credited, when the same discount comes again, then nothing new: one discount per top-up', () => {
    expectAlreadyApplied(discounted().when(discount('t1', '10')));
  });

  it('given a discounted top-up, when usage is charged, then the bonus is spent first and the discount last, with the top-up', () => {
    const outcome = discounted().when(charge('r1', '25'));

    expectEvents(outcome, [
      usageCharged('r1', '25', { draws: draws(['bonus:g1', '20'], ['top_up:t1', '5']) }),
    ]);
    expectBalance(outcome.state, { total: '95', topUp: '95', bonusAndCompensation: '0' });
  });

  it('given a discounted top-up, when the $90 charge is refunded in full, then the whole discount and bonus are clawed back: nothing is left', () => {
    const outcome = discounted().when(refund('t1', '90', 're_1'));

    expectEvents(outcome, [
      refundApplied('t1', '90', 're_1', {
        bonus: [
          ['discount:disc_t1', '10'],
          ['bonus:g1', '20'],
        ],
      }),
    ]);
    expectBalance(outcome.state, { total: '0', topUp: '0', bonusAndCompensation: '0' });
    const breakdown = breakdownOf(outcome.events);
    expect(formatUsd(breakdown.topUpsNanos)).toBe('0');
    expect(formatUsd(breakdown.bonusesNanos)).toBe('0');
    expect(balanceOfEvents(outcome.events).totalNanos).toBe(0n);
    expect(history(outcome.events).slice(3)).toEqual([
      ['refund', '-90', 'Refund of top-up t1'],
      ['refund', '-10', 'Discount clawed back with the refund of top-up t1'],
      ['refund', '-20', 'Bonus clawed back with the refund of top-up t1'],
    ]);
  });

  it('given a discounted top-up, when half the charge ($45) is refunded, then half the discount ($5) and half the bonus ($10) go with it', () => {
    const outcome = discounted().when(refund('t1', '45', 're_1'));

    expectEvents(outcome, [
      refundApplied('t1', '45', 're_1', {
        bonus: [
          ['discount:disc_t1', '5'],
          ['bonus:g1', '10'],
        ],
      }),
    ]);
    expectBalance(outcome.state, { total: '60', topUp: '50', bonusAndCompensation: '10' });
    // The folds of the events agree with the state, category by category.
    const breakdown = breakdownOf(outcome.events);
    expect(formatUsd(breakdown.topUpsNanos)).toBe('50');
    expect(formatUsd(breakdown.bonusesNanos)).toBe('10');
    expect(balanceOfEvents(outcome.events).topUpNanos).toBe(breakdown.topUpsNanos);
  });
});
