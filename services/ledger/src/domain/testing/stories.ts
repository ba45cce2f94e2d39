// Test support: one account's history that uses every ledger event type, with round numbers, for
// the projection and codec tests.
import {
  adjust,
  bonus,
  charge,
  compensation,
  days,
  discount,
  expireHolds,
  extendHold,
  gift,
  placeHold,
  referral,
  refund,
  releaseHold,
  revokeReferral,
  topUp,
} from './builders.js';
import { givenCommands, type Scenario } from './scenario.js';

const HOUR_MS = 3_600_000;

/**
 * Day 0: $100 top-up with its $20 bonus (expires day 60), a $10 top-up bought for $9 with a $1
 * discount (a promotion code), a $5 gift (expires day 1), $3 and $2 referrals,
 * $2 compensation, adjustments +$1 and −$0.5 (the −$0.5 comes out of the gift), a hold released
 * and one that expires.
 * Day 1 noon: the gift's $4.5 expires as the first charge arrives; $18 of usage over two keys
 * (k1: $10 + $5, k2: $2), drawn from the bonus.
 * Day 2: $1 of usage with no key. Day 3: $50 of the top-up refunded; of the $10 bonus share
 * only the $2 left is clawed back. Day 4: the $2 referral is revoked, whole (none of it was spent).
 * Total: 50 + 10 + 18 + 5 + 3 + 2 + 0.5 − 4.5 − 18 = $66.
 */
export function everyEventStory(): Scenario {
  const noon = days(1) + 12 * HOUR_MS;
  return givenCommands(
    topUp('t1', '100'),
    bonus('g1', '20', { topUpId: 't1', expiresAt: days(60) }),
    topUp('t2', '9'),
    discount('t2', '1'),
    gift('gf', '5', { expiresAt: days(1) }),
    referral('rf', '3'),
    referral('rf2', '2'),
    compensation('cp', '2'),
    adjust('a1', '1'),
    adjust('a2', '-0.5'),
    placeHold('h1', '3'),
    releaseHold('h1'),
    placeHold('h2', '3', { ttlSeconds: 60 }),
    extendHold('h2', { at: days(0) + 30_000, ttlSeconds: 120 }),
    expireHolds(days(0) + HOUR_MS),
    charge('r1', '10', { at: noon, apiKeyId: 'k1' }),
    charge('r2', '5', { at: noon + HOUR_MS, apiKeyId: 'k1' }),
    charge('r3', '2', { at: noon + 2 * HOUR_MS, apiKeyId: 'k2' }),
    charge('r4', '1', { at: days(2) }),
    refund('t1', '50', 're_1', { at: days(3) }),
    revokeReferral('rf2', '2', { at: days(4) }),
  );
}
