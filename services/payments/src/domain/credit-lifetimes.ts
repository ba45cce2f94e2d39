import type { AdminCreditType } from './admin-credit.js';

/**
 * The credit expiry policy (issue #17): how long each kind of credit payments grants lives, in
 * whole days, or `null` for "never" (the default of every kind, as before the policy existed).
 *
 * The policy is applied when the credit is granted and its result is written into the event as
 * the absolute `expiresAt` (BonusGranted, GiftGranted, ReferralRewarded, CompensationIssued), which
 * the ledger copies onto the lot. So the event is the audit record of the policy that was in
 * force: changing a lifetime later changes new grants only, never a lot already opened, and a
 * replay of the log expires exactly what it expired the first time.
 *
 * Adjustments have no lifetime: CreditsAdjusted carries no expiry (an operator's correction of
 * the balance is not a promotion), so there is nothing to configure for them.
 */
export interface CreditLifetimes {
  /** The +BONUS_RATE bonus of a settled top-up (BONUS_LIFETIME_DAYS). */
  readonly bonusDays: number | null;
  readonly giftDays: number | null;
  readonly referralDays: number | null;
  readonly compensationDays: number | null;
}

export const NO_CREDIT_LIFETIMES: CreditLifetimes = {
  bonusDays: null,
  giftDays: null,
  referralDays: null,
  compensationDays: null,
};

/** The longest lifetime accepted: a hundred years is "never" spelled with a number. */
export const MAX_CREDIT_LIFETIME_DAYS = 36_500;

const DAY_MS = 86_400_000;

/** `grantedAtMs + days`, or null when the kind never expires. */
function expiryAfter(grantedAtMs: number, days: number | null): number | null {
  return days === null ? null : grantedAtMs + days * DAY_MS;
}

/** When the bonus of a top-up settled at `settledAtMs` expires: `settledAt + lifetime`. */
export function bonusExpiry(lifetimes: CreditLifetimes, settledAtMs: number): number | null {
  return expiryAfter(settledAtMs, lifetimes.bonusDays);
}

/**
 * The expiry of an operator's grant: the one the operator gave, else the policy's default for its
 * type (`grantedAt + lifetime`); never one for an adjustment, which cannot expire.
 */
export function grantExpiry(
  type: AdminCreditType,
  given: number | null,
  lifetimes: CreditLifetimes,
  grantedAtMs: number,
): number | null {
  if (given !== null) return given;
  switch (type) {
    case 'gift':
      return expiryAfter(grantedAtMs, lifetimes.giftDays);
    case 'referral':
      return expiryAfter(grantedAtMs, lifetimes.referralDays);
    case 'compensation':
      return expiryAfter(grantedAtMs, lifetimes.compensationDays);
    case 'adjustment':
      return null;
  }
}
