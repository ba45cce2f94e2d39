import { idempotencyKeyOf } from './idempotency.js';
import { LedgerInvariantError } from './errors.js';
import { recentSize } from './recent-window.js';
import {
  adjust,
  adjustmentPosted,
  bonus,
  charge,
  compensation,
  days,
  draws,
  gift,
  giftCredited,
  minutes,
  referral,
  topUp,
  topUpCredited,
  bonusCredited,
  usageCharged,
} from './testing/builders.js';
import {
  decided,
  expectAlreadyApplied,
  expectBalance,
  expectEvents,
  given,
  givenCommands,
  givenCommandsWith,
} from './testing/scenario.js';

describe('order of consumption', () => {
  it('given a $100 top-up and its $20 bonus, when $30 of usage is charged, then the bonus is spent first: bonus $0, top-up $90', () => {
    const outcome = givenCommands(topUp('t1', '100'), bonus('g1', '20', { topUpId: 't1' })).when(
      charge('r1', '30'),
    );

    expectEvents(outcome, [
      usageCharged('r1', '30', { draws: draws(['bonus:g1', '20'], ['top_up:t1', '10']) }),
    ]);
    expectBalance(outcome.state, { total: '90', topUp: '90', bonusAndCompensation: '0' });
  });

  it('given the same history as stored events, when usage is charged, then the decision is the same (given events, not commands)', () => {
    const outcome = given(
      topUpCredited('t1', '100'),
      bonusCredited('g1', '20', { topUpId: 't1' }),
    ).when(charge('r1', '30'));

    expectEvents(outcome, [
      usageCharged('r1', '30', { draws: draws(['bonus:g1', '20'], ['top_up:t1', '10']) }),
    ]);
  });

  it('given two bonuses with different expiries, when usage is charged, then the one expiring first is drawn first, whatever the order they came in', () => {
    const outcome = givenCommands(
      bonus('late', '10', { expiresAt: days(30), at: minutes(0) }),
      bonus('soon', '10', { expiresAt: days(10), at: minutes(1) }),
    ).when(charge('r1', '15', { at: minutes(2) }));

    expectEvents(outcome, [
      usageCharged('r1', '15', {
        at: minutes(2),
        draws: draws(['bonus:soon', '10'], ['bonus:late', '5']),
      }),
    ]);
  });

  it('given two bonuses with the same expiry, when usage is charged, then the oldest is drawn first', () => {
    const outcome = givenCommands(
      bonus('new', '10', { expiresAt: days(30), at: minutes(5) }),
      bonus('old', '10', { expiresAt: days(30), at: minutes(1) }),
    ).when(charge('r1', '12', { at: minutes(6) }));

    expectEvents(outcome, [
      usageCharged('r1', '12', {
        at: minutes(6),
        draws: draws(['bonus:old', '10'], ['bonus:new', '2']),
      }),
    ]);
  });

  it('given two lots with the same expiry opened in the same millisecond, when usage is charged, then the one credited first is drawn first', () => {
    const outcome = givenCommands(gift('first', '1'), gift('second', '1')).when(
      charge('r1', '1.5'),
    );

    expectEvents(outcome, [
      usageCharged('r1', '1.5', { draws: draws(['gift:first', '1'], ['gift:second', '0.5']) }),
    ]);
  });

  it('given a lot that never expires and a newer one that does, when usage is charged, then the expiring one is drawn first', () => {
    const outcome = givenCommands(
      gift('forever', '5', { at: minutes(0) }),
      referral('expiring', '5', { at: minutes(1), expiresAt: days(7) }),
    ).when(charge('r1', '6', { at: minutes(2) }));

    expectEvents(outcome, [
      usageCharged('r1', '6', {
        at: minutes(2),
        draws: draws(['referral:expiring', '5'], ['gift:forever', '1']),
      }),
    ]);
  });

  it('given an old top-up and newer gift, referral and compensation credits, when usage is charged, then every non-top-up lot is spent before the top-up', () => {
    const outcome = givenCommands(
      topUp('t1', '100', { at: minutes(0) }),
      gift('gf', '1', { at: minutes(1) }),
      referral('rf', '2', { at: minutes(2) }),
      compensation('cp', '3', { at: minutes(3) }),
    ).when(charge('r1', '10', { at: minutes(4) }));

    expectEvents(outcome, [
      usageCharged('r1', '10', {
        at: minutes(4),
        draws: draws(
          ['gift:gf', '1'],
          ['referral:rf', '2'],
          ['compensation:cp', '3'],
          ['top_up:t1', '4'],
        ),
      }),
    ]);
    expectBalance(outcome.state, { total: '96', topUp: '96', bonusAndCompensation: '0' });
  });

  it('given two top-ups, when usage spans both, then the older top-up is drawn first', () => {
    const outcome = givenCommands(
      topUp('t2', '10', { at: minutes(2) }),
      topUp('t1', '10', { at: minutes(1) }),
    ).when(charge('r1', '15', { at: minutes(3) }));

    expectEvents(outcome, [
      usageCharged('r1', '15', {
        at: minutes(3),
        draws: draws(['top_up:t1', '10'], ['top_up:t2', '5']),
      }),
    ]);
  });

  it('given credits, when a request costs nothing, then it is still recorded (for analytics) and draws nothing', () => {
    const outcome = givenCommands(topUp('t1', '1')).when(charge('r1', '0'));

    expectEvents(outcome, [usageCharged('r1', '0')]);
    expectBalance(outcome.state, { total: '1', topUp: '1', bonusAndCompensation: '0' });
  });

  it('given a usage that spends a lot exactly, then the lot closes and leaves the state', () => {
    const outcome = givenCommands(gift('gf', '2'), topUp('t1', '5')).when(charge('r1', '2'));

    expect(outcome.state.lots.map((lot) => lot.lotId)).toEqual(['top_up:t1']);
  });
});

describe('debt', () => {
  it('given $10, when $25 of usage is charged, then all $10 is drawn and $15 is debt: Total and Top-Up show -$15', () => {
    const outcome = givenCommands(topUp('t1', '10')).when(charge('r1', '25'));

    expectEvents(outcome, [
      usageCharged('r1', '25', { draws: draws(['top_up:t1', '10']), debt: '15' }),
    ]);
    expectBalance(outcome.state, { total: '-15', topUp: '-15', bonusAndCompensation: '0' });
  });

  it('given $15 of debt, when the next top-up of $50 arrives, then it repays the debt first and $35 remains', () => {
    const outcome = givenCommands(topUp('t1', '10'), charge('r1', '25')).when(topUp('t2', '50'));

    expectEvents(outcome, [topUpCredited('t2', '50', { debtRepaid: '15' })]);
    expectBalance(outcome.state, { total: '35', topUp: '35', bonusAndCompensation: '0' });
    expect(outcome.state.debtNanos).toBe(0n);
  });

  it('given $15 of debt, when a $20 bonus arrives, then it repays the debt first: Top-Up back to $0 and $5 of bonus left', () => {
    const outcome = givenCommands(topUp('t1', '10'), charge('r1', '25')).when(bonus('g1', '20'));

    expectEvents(outcome, [bonusCredited('g1', '20', { debtRepaid: '15' })]);
    expectBalance(outcome.state, { total: '5', topUp: '0', bonusAndCompensation: '5' });
  });

  it('given $15 of debt, when a $5 gift arrives, then the debt takes all of it, no lot opens and $10 is still owed', () => {
    const outcome = givenCommands(charge('r1', '15')).when(gift('gf', '5'));

    expectEvents(outcome, [giftCredited('gf', '5', { debtRepaid: '5' })]);
    expect(outcome.state.lots).toEqual([]);
    expectBalance(outcome.state, { total: '-10', topUp: '-10', bonusAndCompensation: '0' });
  });

  it('given debt and no lots, when more usage is charged, then the debt deepens by the whole cost', () => {
    const outcome = givenCommands(charge('r1', '1')).when(charge('r2', '2'));

    expectEvents(outcome, [usageCharged('r2', '2', { debt: '2' })]);
    expectBalance(outcome.state, { total: '-3', topUp: '-3', bonusAndCompensation: '0' });
  });
});

describe('adjustments', () => {
  it('given a top-up, when a positive adjustment is posted, then it opens an adjustment lot that is spent before the top-up', () => {
    const story = givenCommands(topUp('t1', '10'));
    const credited = story.when(adjust('a1', '2'));

    expectEvents(credited, [adjustmentPosted('a1', '2')]);
    expectBalance(credited.state, { total: '12', topUp: '10', bonusAndCompensation: '2' });
    expectEvents(credited.then.when(charge('r1', '3')), [
      usageCharged('r1', '3', { draws: draws(['adjustment:a1', '2'], ['top_up:t1', '1']) }),
    ]);
  });

  it('given a bonus and a top-up, when a negative adjustment is posted, then it debits like usage: bonus first, then top-up, then debt', () => {
    const outcome = givenCommands(topUp('t1', '5'), bonus('g1', '2')).when(adjust('a1', '-10'));

    expectEvents(outcome, [
      adjustmentPosted('a1', '-10', {
        draws: draws(['bonus:g1', '2'], ['top_up:t1', '5']),
        debt: '3',
      }),
    ]);
    expectBalance(outcome.state, { total: '-3', topUp: '-3', bonusAndCompensation: '0' });
  });

  it('given debt, when a positive adjustment is posted, then it repays the debt first', () => {
    const outcome = givenCommands(charge('r1', '4')).when(adjust('a1', '10'));

    expectEvents(outcome, [adjustmentPosted('a1', '10', { debtRepaid: '4' })]);
    expectBalance(outcome.state, { total: '6', topUp: '0', bonusAndCompensation: '6' });
  });

  it('given a zero adjustment, then it is a bug upstream and throws instead of returning a failure', () => {
    expect(() => givenCommands().when(adjust('a1', '0'))).toThrow(LedgerInvariantError);
  });
});

describe('every input applied exactly once', () => {
  it.each([
    ['top-up', topUp('x', '10')],
    ['bonus', bonus('x', '10')],
    ['gift', gift('x', '10')],
    ['referral', referral('x', '10')],
    ['compensation', compensation('x', '10')],
    ['positive adjustment', adjust('x', '10')],
    ['negative adjustment', adjust('x', '-10')],
  ])(
    'given a %s already applied, when it arrives again, then nothing is appended',
    (_kind, command) => {
      const story = givenCommands(command);
      const outcome = story.when(command);

      expectAlreadyApplied(outcome);
      expect(outcome.state).toBe(story.state);
    },
  );

  it('given a gift and a referral that share a source id, then both are credited (ids are per kind)', () => {
    const outcome = givenCommands(gift('same', '1')).when(referral('same', '2'));

    expect(decided(outcome)).toHaveLength(1);
    expectBalance(outcome.state, { total: '3', topUp: '0', bonusAndCompensation: '3' });
  });

  it('given a charged request, when the same requestId arrives again, then it is charged once', () => {
    const outcome = givenCommands(topUp('t1', '10'), charge('r1', '3')).when(charge('r1', '3'));

    expectAlreadyApplied(outcome);
    expectBalance(outcome.state, { total: '7', topUp: '7', bonusAndCompensation: '0' });
  });

  it('given a request id older than the state remembers, then decide charges it again and the idempotency key is what stops it', () => {
    const many = Array.from({ length: 200 }, (_, i) => charge(`later-${i}`, '0'));
    const story = givenCommandsWith(
      { recentIdsRemembered: 32 },
      topUp('t1', '10'),
      charge('r1', '3'),
      ...many,
    );

    const outcome = story.when(charge('r1', '3'));

    // The window is bounded (about 32 ids plus one chunk), so r1 has been forgotten: the state
    // stays small for an account with millions of requests. The event store refuses the append
    // because the key is the same as the first charge's.
    expect(recentSize(story.state.recentRequests)).toBeLessThanOrEqual(64);
    expect(decided(outcome)).toHaveLength(1);
    expect(idempotencyKeyOf(charge('r1', '3'))).toBe('usage:r1');
  });

  it('given a malformed command (a negative top-up), then it throws: malformed input is a bug, not an expected failure', () => {
    expect(() => givenCommands().when(topUp('t1', '-1'))).toThrow(LedgerInvariantError);
  });
});
