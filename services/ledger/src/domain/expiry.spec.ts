import { breakdownOf } from './breakdown.js';
import { transactionHistoryOf } from './transactions.js';
import {
  bonus,
  charge,
  compensation,
  creditsExpired,
  days,
  draws,
  expireLots,
  gift,
  topUp,
  usageCharged,
  usd,
} from './testing/builders.js';
import { expectBalance, expectEvents, givenCommands } from './testing/scenario.js';

describe('credit expiry', () => {
  it('given a bonus expiring on day 30 with $5 left, when lots are expired on day 30, then CreditsExpired posts the $5 remainder', () => {
    const outcome = givenCommands(
      topUp('t1', '100'),
      bonus('g1', '20', { expiresAt: days(30) }),
      charge('r1', '15', { at: days(1) }),
    ).when(expireLots(days(30)));

    expectEvents(outcome, [creditsExpired('bonus:g1', '5', { expiresAt: days(30) })]);
    expectBalance(outcome.state, { total: '100', topUp: '100', bonusAndCompensation: '0' });
  });

  it('given an expired lot, then it appears under Expired in the breakdown and the total still adds up', () => {
    const outcome = givenCommands(
      topUp('t1', '100'),
      bonus('g1', '20', { expiresAt: days(30) }),
      charge('r1', '15', { at: days(1) }),
    ).when(expireLots(days(31)));

    const breakdown = breakdownOf(outcome.events);
    expect(breakdown.expiredNanos).toBe(usd('5'));
    expect(breakdown.bonusesNanos).toBe(usd('20'));
    expect(breakdown.usageNanos).toBe(usd('15'));
    expect(breakdown.totalBalanceNanos).toBe(usd('100'));
  });

  it('given a bonus expiring on day 30, when lots are expired a millisecond before, then nothing expires', () => {
    const outcome = givenCommands(bonus('g1', '20', { expiresAt: days(30) })).when(
      expireLots(days(30) - 1),
    );

    expectEvents(outcome, []);
  });

  it('given several due lots, when lots are expired, then each posts its own remainder and lots not due stay', () => {
    const outcome = givenCommands(
      gift('a', '1', { expiresAt: days(5) }),
      compensation('b', '2', { expiresAt: days(3) }),
      bonus('c', '3', { expiresAt: days(40) }),
    ).when(expireLots(days(10)));

    expectEvents(outcome, [
      creditsExpired('compensation:b', '2', { expiresAt: days(3), at: days(10) }),
      creditsExpired('gift:a', '1', { expiresAt: days(5), at: days(10) }),
    ]);
    expectBalance(outcome.state, { total: '3', topUp: '0', bonusAndCompensation: '3' });
  });

  it('given a lot already expired, when lots are expired again, then nothing more is posted', () => {
    const outcome = givenCommands(gift('a', '1', { expiresAt: days(5) }), expireLots(days(6))).when(
      expireLots(days(7)),
    );

    expectEvents(outcome, []);
  });

  it('given a lot spent in full before its expiry, then nothing expires', () => {
    const outcome = givenCommands(gift('a', '1', { expiresAt: days(5) }), charge('r1', '1')).when(
      expireLots(days(6)),
    );

    expectEvents(outcome, []);
  });

  it('given top-up credits, then they never expire', () => {
    const outcome = givenCommands(topUp('t1', '10')).when(expireLots(days(10_000)));

    expectEvents(outcome, []);
  });

  it('given a due lot the scheduler has not expired yet, when usage is charged, then the charge expires it first and never draws from it', () => {
    const outcome = givenCommands(
      topUp('t1', '10'),
      bonus('g1', '20', { expiresAt: days(30) }),
    ).when(charge('r1', '3', { at: days(31) }));

    expectEvents(outcome, [
      creditsExpired('bonus:g1', '20', { expiresAt: days(30), at: days(31) }),
      usageCharged('r1', '3', { at: days(31), draws: draws(['top_up:t1', '3']) }),
    ]);
  });

  describe('the bonus of a top-up with a lifetime (the expiry policy of payments, issue #17)', () => {
    // What payments sends for a $100 top-up settled at T0 with BONUS_LIFETIME_DAYS=30: the top-up
    // and its $20 bonus, linked by topUpId, expiring at settledAt + 30 days.
    const settled = [
      topUp('t1', '100'),
      bonus('bonus_t1', '20', { topUpId: 't1', expiresAt: days(30) }),
    ] as const;

    it('given the untouched bonus, when its expiry passes, then exactly $20 expires and the history shows an expiry row of -$20', () => {
      const outcome = givenCommands(...settled).when(expireLots(days(30)));

      expectEvents(outcome, [creditsExpired('bonus:bonus_t1', '20', { expiresAt: days(30) })]);
      expect(breakdownOf(outcome.events)).toMatchObject({
        topUpsNanos: usd('100'),
        bonusesNanos: usd('20'),
        expiredNanos: usd('20'),
        usageNanos: 0n,
        totalBalanceNanos: usd('100'),
      });
      const expiry = transactionHistoryOf(outcome.events).filter((r) => r.type === 'expiry');
      expect(expiry).toEqual([
        expect.objectContaining({
          id: 'expiry:bonus:bonus_t1',
          amountNanos: -usd('20'),
          occurredAtMs: days(30),
        }),
      ]);
    });

    it('given $7.345678912 spent (drawn from the bonus first), when it expires, then only the remaining $12.654321088 expires', () => {
      const outcome = givenCommands(...settled, charge('r1', '7.345678912', { at: days(3) })).when(
        expireLots(days(31)),
      );

      expectEvents(outcome, [
        creditsExpired('bonus:bonus_t1', '12.654321088', { expiresAt: days(30), at: days(31) }),
      ]);
      expect(breakdownOf(outcome.events)).toMatchObject({
        bonusesNanos: usd('20'),
        expiredNanos: usd('12.654321088'),
        usageNanos: usd('7.345678912'),
        totalBalanceNanos: usd('100'),
      });
      expectBalance(outcome.state, { total: '100', topUp: '100', bonusAndCompensation: '0' });
    });

    it('given the bonus spent in full and $5 more from the top-up, when it expires, then nothing expires', () => {
      const outcome = givenCommands(...settled, charge('r1', '25', { at: days(3) })).when(
        expireLots(days(31)),
      );

      expectEvents(outcome, []);
      expect(breakdownOf(outcome.events).expiredNanos).toBe(0n);
      expectBalance(outcome.state, { total: '95', topUp: '95', bonusAndCompensation: '0' });
    });

    it('given a bonus without expiry (no lifetime configured), when years pass, then it never expires', () => {
      const outcome = givenCommands(
        topUp('t1', '100'),
        bonus('bonus_t1', '20', { topUpId: 't1' }),
      ).when(expireLots(days(36_500)));

      expectEvents(outcome, []);
      expectBalance(outcome.state, { total: '120', topUp: '100', bonusAndCompensation: '20' });
    });
  });
});
