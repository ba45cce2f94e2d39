import { breakdownOf } from './breakdown.js';
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
});
