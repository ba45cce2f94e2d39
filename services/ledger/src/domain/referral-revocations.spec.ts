import { formatUsd } from '@billing/money';
import { breakdownOf } from './breakdown.js';
import {
  charge,
  creditsExpired,
  days,
  referral,
  referralRevoked,
  revokeReferral,
  topUp,
} from './testing/builders.js';
import {
  expectAlreadyApplied,
  expectBalance,
  expectEvents,
  expectFailure,
  givenCommands,
} from './testing/scenario.js';
import { transactionHistoryOf } from './transactions.js';

/**
 * A referral reward is revoked when the referred account's rewarding top-up is refunded within
 * the claw-back window (payments decides that; the ledger applies it). The policy: the revocation
 * takes what the reward's lot still holds, never more, so the referrer is never put in debt by
 * someone else's refund; what was already spent or has expired stays spent.
 */
describe('referral reward revocations', () => {
  const rewarded = () => givenCommands(topUp('t1', '100'), referral('rf', '10'));

  it('given an untouched $10 reward, when it is revoked, then the whole $10 leaves the referral lot and the top-up is untouched', () => {
    const outcome = rewarded().when(revokeReferral('rf', '10', { at: days(1) }));

    expectEvents(outcome, [referralRevoked('rf', '10', { at: days(1) })]);
    expectBalance(outcome.state, { total: '100', topUp: '100', bonusAndCompensation: '0' });
  });

  it('given $4 of the reward already spent, when it is revoked, then only the $6 left is taken: no debt, the top-up untouched', () => {
    const outcome = rewarded()
      .when(charge('r1', '4'))
      .then.when(revokeReferral('rf', '10', { at: days(1) }));

    expectEvents(outcome, [referralRevoked('rf', '10', { taken: '6', at: days(1) })]);
    expectBalance(outcome.state, { total: '100', topUp: '100', bonusAndCompensation: '0' });
  });

  it('given the whole reward spent, when it is revoked, then nothing is taken and the balance does not move', () => {
    const outcome = rewarded()
      .when(charge('r1', '10'))
      .then.when(revokeReferral('rf', '10', { at: days(1) }));

    expectEvents(outcome, [referralRevoked('rf', '10', { taken: '0', at: days(1) })]);
    expectBalance(outcome.state, { total: '100', topUp: '100', bonusAndCompensation: '0' });
    expect(transactionHistoryOf([...outcome.events]).map((row) => row.id)).not.toContain(
      'referral-revoked:rf',
    );
  });

  it('given a reward past its expiry, when it is revoked, then the lot expires first and nothing is taken from it', () => {
    const outcome = givenCommands(
      topUp('t1', '100'),
      referral('rf', '10', { expiresAt: days(5) }),
    ).when(revokeReferral('rf', '10', { at: days(6) }));

    expectEvents(outcome, [
      creditsExpired('referral:rf', '10', { expiresAt: days(5), at: days(6) }),
      referralRevoked('rf', '10', { taken: '0', at: days(6) }),
    ]);
    expectBalance(outcome.state, { total: '100', topUp: '100', bonusAndCompensation: '0' });
  });

  it('given a reward revoked once, when the same revocation arrives again, then it is already applied: one revocation per reward', () => {
    const once = rewarded().when(revokeReferral('rf', '10'));

    expectAlreadyApplied(once.then.when(revokeReferral('rf', '10', { at: days(2) })));
  });

  it('given no such reward on this account, when a revocation arrives, then it is refused with LEDGER.REFERRAL_NOT_FOUND', () => {
    expectFailure(
      givenCommands(topUp('t1', '100')).when(revokeReferral('rf', '10')),
      'LEDGER.REFERRAL_NOT_FOUND',
    );
  });

  it('given a revoked reward, then the breakdown counts referrals net of what was taken and the history shows a negative referral row', () => {
    const outcome = rewarded()
      .when(charge('r1', '4'))
      .then.when(revokeReferral('rf', '10', { at: days(1) }));
    const events = [...outcome.events];

    expect(formatUsd(breakdownOf(events).referralsNanos)).toBe('4');
    expect(formatUsd(breakdownOf(events).totalBalanceNanos)).toBe('100');
    const rows = transactionHistoryOf(events).filter((row) => row.type === 'referral');
    expect(rows.map((row) => [row.id, formatUsd(row.amountNanos)])).toEqual([
      ['referral:rf', '10'],
      ['referral-revoked:rf', '-6'],
    ]);
  });
});
