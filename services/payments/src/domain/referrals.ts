import { fail, ok, type Result } from './errors.js';

/**
 * The referral program (issue #17). Every account has a referral code. An account that signs up
 * with another account's code (`POST /v1/accounts/{accountId}/referral`, allowed only before its
 * first settled top-up) becomes that account's referral; when its first top-up settles, the
 * referrer earns one ReferralRewarded: a fixed amount plus a percentage of that top-up, capped.
 * A refund of that top-up within the claw-back window revokes the reward (ReferralRewardRevoked).
 *
 * Exactly once: one referral per referred account (its primary key), and the reward is decided
 * only from `pending`, in the settlement's transaction, under the referred account's lock. Pure:
 * ids and the clock come from the caller.
 */
export interface ReferralPolicy {
  /** The percentage of the first top-up, in ten-thousandths of a percent ("12.5" → 125000n). */
  readonly percentMicros: bigint;
  /** A fixed amount added to the percentage. */
  readonly fixedNanos: bigint;
  /** The most one reward may be; null: no cap. */
  readonly capNanos: bigint | null;
  /** A refund within this many days of the settlement claws the reward back; 0: never. */
  readonly clawbackDays: number;
}

/** The default: no reward (the program is off until configured), a 30-day claw-back window. */
export const NO_REFERRAL_REWARD: ReferralPolicy = {
  percentMicros: 0n,
  fixedNanos: 0n,
  capNanos: null,
  clawbackDays: 30,
};

export const MAX_CLAWBACK_DAYS = 3650;

const PERCENT_SCALE = 10_000n;
const NANOS_PER_MICRO = 1_000n;
const DAY_MS = 86_400_000;

/**
 * "12.5" → 125000n (ten-thousandths of a percent): a decimal from 0 to 100 with at most four
 * fraction digits, never through a float. Undefined when it is not one.
 */
export function parseRewardPercent(text: string): bigint | undefined {
  const match = /^(\d{1,3})(?:\.(\d{1,4}))?$/.exec(text);
  if (match === null) return undefined;
  const whole = BigInt(match[1] ?? '0');
  const fraction = BigInt((match[2] ?? '').padEnd(4, '0'));
  const value = whole * PERCENT_SCALE + fraction;
  return value <= 100n * PERCENT_SCALE ? value : undefined;
}

/**
 * The reward of a first top-up: the percentage part rounded down to the micro-dollar (the program
 * never pays a fraction of a micro-dollar it did not promise), plus the fixed part, then capped.
 */
export function referralReward(topUpNanos: bigint, policy: ReferralPolicy): bigint {
  const percentNanos = (topUpNanos * policy.percentMicros) / (100n * PERCENT_SCALE);
  const percentRounded = (percentNanos / NANOS_PER_MICRO) * NANOS_PER_MICRO;
  const reward = percentRounded + policy.fixedNanos;
  return policy.capNanos !== null && reward > policy.capNanos ? policy.capNanos : reward;
}

export type ReferralStatus = 'pending' | 'rewarded' | 'not_rewarded' | 'revoked';

export interface Referral {
  readonly referredAccountId: string;
  readonly referrerAccountId: string;
  readonly code: string;
  readonly status: ReferralStatus;
  /** `referral_<referred account id>`: the ReferralRewarded's `referralId` and the ledger's lot. */
  readonly referralId: string;
  readonly createdAtMs: number;
  /** The first settled top-up of the referred account, once it settled. */
  readonly topUpId: string | null;
  readonly rewardNanos: bigint | null;
  readonly decidedAtMs: number | null;
  readonly revokedAtMs: number | null;
}

/** One reward per referred account, whatever happens: its id is derived from the account. */
export const referralIdOf = (referredAccountId: string): string => `referral_${referredAccountId}`;

/** What signing up with a code needs to know. */
export interface JoinContext {
  readonly referredAccountId: string;
  /** The owner of the code given; undefined for a code nobody has. */
  readonly codeOwner: string | undefined;
  /** The account's referral already recorded, if any. */
  readonly existing: Referral | undefined;
  /** Whether the account has settled a top-up already (refunded ones included). */
  readonly hasSettledTopUp: boolean;
}

/**
 * Signing up with a referral code: `created`, `unchanged` (the same code again: a retry), or a
 * typed refusal. A referral is fixed once recorded: another code later is a conflict, not a switch.
 */
export function decideJoin(context: JoinContext): Result<'created' | 'unchanged'> {
  const { referredAccountId, codeOwner, existing, hasSettledTopUp } = context;
  if (codeOwner === undefined) {
    return fail('PAYMENTS.REFERRAL_CODE_UNKNOWN', 'no account has this referral code');
  }
  if (codeOwner === referredAccountId) {
    return fail('PAYMENTS.SELF_REFERRAL', 'an account cannot use its own referral code');
  }
  if (existing !== undefined) {
    if (existing.referrerAccountId === codeOwner) return ok('unchanged');
    return fail(
      'PAYMENTS.ALREADY_REFERRED',
      'this account already signed up with another referral code',
    );
  }
  if (hasSettledTopUp) {
    return fail(
      'PAYMENTS.REFERRAL_TOO_LATE',
      'a referral code can only be used before the first top-up settles',
    );
  }
  return ok('created');
}

export type RewardDecision =
  | { readonly kind: 'reward'; readonly rewardNanos: bigint }
  | { readonly kind: 'not_rewarded'; readonly reason: string }
  /** Nothing to decide: no referral, or decided already. */
  | { readonly kind: 'none' };

/**
 * A top-up of the referred account settled. Only a `pending` referral is decided, and only by the
 * account's first settled top-up: a second top-up finds it decided and changes nothing.
 */
export function decideReward(
  referral: Referral | undefined,
  topUp: { readonly amountNanos: bigint; readonly isFirstSettled: boolean },
  policy: ReferralPolicy,
): RewardDecision {
  if (referral?.status !== 'pending') return { kind: 'none' };
  // Unreachable while joining takes the same lock as settling; kept so a race can only lose a
  // reward, never pay one for a later top-up.
  if (!topUp.isFirstSettled) return { kind: 'not_rewarded', reason: 'not_the_first_top_up' };
  const rewardNanos = referralReward(topUp.amountNanos, policy);
  if (rewardNanos <= 0n) return { kind: 'not_rewarded', reason: 'no_reward_configured' };
  return { kind: 'reward', rewardNanos };
}

export type ClawbackDecision =
  | { readonly kind: 'revoke'; readonly amountNanos: bigint }
  | { readonly kind: 'keep'; readonly reason: string };

/**
 * A top-up of the referred account was refunded (partly or wholly). The reward it earned is
 * revoked, whole and once, when the refund comes within `clawbackDays` of the reward (inclusive):
 * the refund says the referral did not bring a paying customer. Later, or with a window of 0 days
 * (claw-back off), the reward stands.
 */
export function decideClawback(
  referral: Referral | undefined,
  refund: { readonly topUpId: string; readonly atMs: number },
  policy: ReferralPolicy,
): ClawbackDecision {
  if (referral?.status !== 'rewarded') return { kind: 'keep', reason: 'no_reward_to_revoke' };
  if (referral.topUpId !== refund.topUpId) return { kind: 'keep', reason: 'another_top_up' };
  if (policy.clawbackDays === 0) return { kind: 'keep', reason: 'no_clawback_window' };
  const rewardedAtMs = referral.decidedAtMs ?? refund.atMs;
  if (refund.atMs - rewardedAtMs > policy.clawbackDays * DAY_MS) {
    return { kind: 'keep', reason: 'outside_clawback_window' };
  }
  return { kind: 'revoke', amountNanos: referral.rewardNanos ?? 0n };
}

/** Referral codes: 8 characters of Crockford's base 32, which read aloud without confusion. */
export const REFERRAL_CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const REFERRAL_CODE_LENGTH = 8;

/** A code as a customer may type it: case and surrounding spaces do not matter. */
export function normalizeReferralCode(text: string): string | undefined {
  const code = text.trim().toUpperCase();
  const valid = new RegExp(`^[${REFERRAL_CODE_ALPHABET}]{${REFERRAL_CODE_LENGTH}}$`);
  return valid.test(code) ? code : undefined;
}

/** A code from random bytes (the caller's randomness: the domain has none). */
export function referralCodeFrom(bytes: Uint8Array): string {
  if (bytes.length < REFERRAL_CODE_LENGTH) throw new RangeError('need 8 random bytes');
  let code = '';
  for (let i = 0; i < REFERRAL_CODE_LENGTH; i++) {
    code += REFERRAL_CODE_ALPHABET[(bytes[i] ?? 0) % REFERRAL_CODE_ALPHABET.length];
  }
  return code;
}
