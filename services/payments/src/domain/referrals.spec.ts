import { formatUsd, parseUsd } from '@billing/money';
import {
  decideClawback,
  decideJoin,
  decideReward,
  NO_REFERRAL_REWARD,
  normalizeReferralCode,
  parseRewardPercent,
  referralCodeFrom,
  referralIdOf,
  referralReward,
  type Referral,
  type ReferralPolicy,
} from './referrals.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-12-01T10:00:00.000Z');

const policy = (o: {
  percent?: string;
  fixed?: string;
  cap?: string;
  clawbackDays?: number;
}): ReferralPolicy => ({
  percentMicros: parseRewardPercent(o.percent ?? '0') ?? 0n,
  fixedNanos: parseUsd(o.fixed ?? '0'),
  capNanos: o.cap === undefined ? null : parseUsd(o.cap),
  clawbackDays: o.clawbackDays ?? 30,
});

const reward = (topUp: string, p: ReferralPolicy): string =>
  formatUsd(referralReward(parseUsd(topUp), p));

const pending = (o: Partial<Referral> = {}): Referral => ({
  referredAccountId: 'acct_new',
  referrerAccountId: 'acct_ref',
  code: 'K7M2QX9P',
  status: 'pending',
  referralId: referralIdOf('acct_new'),
  createdAtMs: T0,
  topUpId: null,
  rewardNanos: null,
  decidedAtMs: null,
  revokedAtMs: null,
  ...o,
});

const rewarded = (o: Partial<Referral> = {}): Referral =>
  pending({
    status: 'rewarded',
    topUpId: 'tu_1',
    rewardNanos: parseUsd('10'),
    decidedAtMs: T0,
    ...o,
  });

describe('the referral reward', () => {
  it('given 10 % of a $100 first top-up, then the reward is exactly $10', () => {
    expect(reward('100', policy({ percent: '10' }))).toBe('10');
  });

  it('given a fixed $5 and 10 %, then the reward is their sum', () => {
    expect(reward('100', policy({ percent: '10', fixed: '5' }))).toBe('15');
  });

  it('given a cap of $25, then 10 % of $1000 pays $25, and 10 % of $100 still pays $10', () => {
    const capped = policy({ percent: '10', cap: '25' });
    expect(reward('1000', capped)).toBe('25');
    expect(reward('100', capped)).toBe('10');
  });

  it('given a cap below the fixed part, then the cap wins: no reward is ever above the cap', () => {
    expect(reward('100', policy({ fixed: '5', cap: '3' }))).toBe('3');
  });

  it('given a percentage that does not divide evenly, then it is rounded down to the micro-dollar, exactly, never through a float', () => {
    // 12.3456 % of $10.01 is $1.23579456: paid as $1.235794.
    expect(reward('10.01', policy({ percent: '12.3456' }))).toBe('1.235794');
    // 33.3333 % of $0.01 is $0.00333333: $0.003333.
    expect(reward('0.01', policy({ percent: '33.3333' }))).toBe('0.003333');
    // 0.0001 % of $5 is $0.000005: exactly representable, paid in full.
    expect(reward('5', policy({ percent: '0.0001' }))).toBe('0.000005');
    // 0.0001 % of $0.99 is $0.00000099: under a micro-dollar, nothing.
    expect(reward('0.99', policy({ percent: '0.0001' }))).toBe('0');
  });

  it('given no configuration (the default), then the reward is 0', () => {
    expect(referralReward(parseUsd('100'), NO_REFERRAL_REWARD)).toBe(0n);
  });

  it.each(['100.00001', '101', '-1', '1e2', '', ' 10', '10%', '0x10'])(
    'given the percentage %p, then it is refused',
    (text) => {
      expect(parseRewardPercent(text)).toBeUndefined();
    },
  );

  it('given "100" and "12.5", then they parse to ten-thousandths of a percent', () => {
    expect(parseRewardPercent('100')).toBe(1_000_000n);
    expect(parseRewardPercent('12.5')).toBe(125_000n);
  });
});

describe('signing up with a referral code', () => {
  const join = (o: Partial<Parameters<typeof decideJoin>[0]>) =>
    decideJoin({
      referredAccountId: 'acct_new',
      codeOwner: 'acct_ref',
      existing: undefined,
      hasSettledTopUp: false,
      ...o,
    });

  it("given another account's code and no top-up yet, then the referral is created", () => {
    expect(join({})).toEqual({ ok: true, value: 'created' });
  });

  it("given the account's own code, then it is refused: no self-referral", () => {
    const result = join({ codeOwner: 'acct_new' });
    expect(!result.ok && result.error.code).toBe('PAYMENTS.SELF_REFERRAL');
  });

  it('given a code nobody has, then it is refused as unknown', () => {
    const result = join({ codeOwner: undefined });
    expect(!result.ok && result.error.code).toBe('PAYMENTS.REFERRAL_CODE_UNKNOWN');
  });

  it('given a settled top-up already, then it is too late: the code cannot reach back to a first top-up', () => {
    const result = join({ hasSettledTopUp: true });
    expect(!result.ok && result.error.code).toBe('PAYMENTS.REFERRAL_TOO_LATE');
  });

  it('given the same code again, then it is unchanged (a retry), even after the first top-up', () => {
    expect(join({ existing: rewarded(), hasSettledTopUp: true })).toEqual({
      ok: true,
      value: 'unchanged',
    });
  });

  it('given a referral by another account already, then a second code is a conflict, not a switch', () => {
    const result = join({ existing: pending({ referrerAccountId: 'acct_other' }) });
    expect(!result.ok && result.error.code).toBe('PAYMENTS.ALREADY_REFERRED');
  });
});

describe('the reward on a settled top-up', () => {
  const tenPercent = policy({ percent: '10' });

  it('given a pending referral, when the first top-up of $100 settles, then the referrer is rewarded $10', () => {
    expect(
      decideReward(pending(), { amountNanos: parseUsd('100'), isFirstSettled: true }, tenPercent),
    ).toEqual({ kind: 'reward', rewardNanos: parseUsd('10') });
  });

  it('given a referral rewarded already, when a second top-up settles, then nothing more: once only', () => {
    expect(
      decideReward(rewarded(), { amountNanos: parseUsd('500'), isFirstSettled: false }, tenPercent),
    ).toEqual({ kind: 'none' });
  });

  it('given a revoked or unrewarded referral, when another top-up settles, then nothing', () => {
    for (const status of ['revoked', 'not_rewarded'] as const) {
      expect(
        decideReward(
          rewarded({ status }),
          { amountNanos: parseUsd('100'), isFirstSettled: false },
          tenPercent,
        ),
      ).toEqual({ kind: 'none' });
    }
  });

  it('given a pending referral but a top-up that is not the first settled, then it is decided without a reward', () => {
    expect(
      decideReward(pending(), { amountNanos: parseUsd('100'), isFirstSettled: false }, tenPercent),
    ).toEqual({ kind: 'not_rewarded', reason: 'not_the_first_top_up' });
  });

  it('given no reward configured, then the referral is decided without a reward and no event is due', () => {
    expect(
      decideReward(
        pending(),
        { amountNanos: parseUsd('100'), isFirstSettled: true },
        NO_REFERRAL_REWARD,
      ),
    ).toEqual({ kind: 'not_rewarded', reason: 'no_reward_configured' });
  });

  it('given an account with no referral, then nothing', () => {
    expect(
      decideReward(undefined, { amountNanos: parseUsd('100'), isFirstSettled: true }, tenPercent),
    ).toEqual({ kind: 'none' });
  });
});

describe('the claw-back on a refund', () => {
  const window30 = policy({ percent: '10', clawbackDays: 30 });

  it('given a reward, when its top-up is refunded 29 days later, then the whole reward is revoked', () => {
    expect(decideClawback(rewarded(), { topUpId: 'tu_1', atMs: T0 + 29 * DAY }, window30)).toEqual({
      kind: 'revoke',
      amountNanos: parseUsd('10'),
    });
  });

  it('given a reward, when its top-up is refunded exactly at the end of the window, then it is still revoked (inclusive)', () => {
    expect(
      decideClawback(rewarded(), { topUpId: 'tu_1', atMs: T0 + 30 * DAY }, window30).kind,
    ).toBe('revoke');
  });

  it('given a reward, when its top-up is refunded 1 ms after the window, then the reward stands', () => {
    expect(
      decideClawback(rewarded(), { topUpId: 'tu_1', atMs: T0 + 30 * DAY + 1 }, window30),
    ).toEqual({ kind: 'keep', reason: 'outside_clawback_window' });
  });

  it('given a window of 0 days (claw-back off), then no refund revokes the reward, not even at once', () => {
    const never = policy({ percent: '10', clawbackDays: 0 });
    expect(decideClawback(rewarded(), { topUpId: 'tu_1', atMs: T0 }, never)).toEqual({
      kind: 'keep',
      reason: 'no_clawback_window',
    });
  });

  it('given a reward, when another top-up of the account is refunded, then the reward stands', () => {
    expect(decideClawback(rewarded(), { topUpId: 'tu_2', atMs: T0 + DAY }, window30)).toEqual({
      kind: 'keep',
      reason: 'another_top_up',
    });
  });

  it('given a reward revoked already, when a second refund arrives, then nothing more: revoked once', () => {
    expect(
      decideClawback(
        rewarded({ status: 'revoked', revokedAtMs: T0 + DAY }),
        { topUpId: 'tu_1', atMs: T0 + 2 * DAY },
        window30,
      ).kind,
    ).toBe('keep');
  });

  it('given a pending referral (nothing paid), when a refund arrives, then there is nothing to revoke', () => {
    expect(decideClawback(pending(), { topUpId: 'tu_1', atMs: T0 }, window30).kind).toBe('keep');
  });
});

describe('referral codes', () => {
  it('given random bytes, then the code is 8 characters of the unambiguous alphabet', () => {
    const code = referralCodeFrom(new Uint8Array([0, 1, 31, 32, 200, 255, 17, 9]));
    expect(code).toBe('01Z08ZH9');
    expect(normalizeReferralCode(code)).toBe(code);
  });

  it('given a code typed in lower case with spaces around, then it is the same code', () => {
    expect(normalizeReferralCode('  k7m2qx9p ')).toBe('K7M2QX9P');
  });

  it.each(['K7M2QX9', 'K7M2QX9PP', 'K7M2QX9I', 'K7M2-X9P', ''])(
    'given %p, then it is not a code',
    (text) => {
      expect(normalizeReferralCode(text)).toBeUndefined();
    },
  );
});
