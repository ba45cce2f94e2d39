import { type Failure, results, type ServiceResult } from '@billing/service-kit/result';

/**
 * The expected failures of the payments domain. Each code is stable: it is what an API client sees
 * in `{"error": {"code": ...}}`, so a code is never renamed, only added. Broken invariants (a bug,
 * corrupted storage) are thrown instead, never returned as one of these.
 */
export type PaymentsErrorCode =
  /** An amount that is not a decimal USD string, not whole cents, or out of range (HTTP 400). */
  | 'PAYMENTS.INVALID_AMOUNT'
  | 'PAYMENTS.AMOUNT_TOO_SMALL'
  | 'PAYMENTS.AMOUNT_TOO_LARGE'
  /** A field combination the operation does not accept (HTTP 400). */
  | 'PAYMENTS.INVALID_REQUEST'
  /** The same idempotency reference was used with a different body (HTTP 409). */
  | 'PAYMENTS.REFERENCE_CONFLICT'
  /** The top-up, invoice or setting does not exist for this account (HTTP 404). */
  | 'PAYMENTS.NOT_FOUND'
  /**
   * A payment method that is not a card saved on this account's own customer (another account's,
   * unknown, or detached): the same answer for each, so it tells nothing about other accounts
   * (HTTP 400).
   */
  | 'PAYMENTS.PAYMENT_METHOD_NOT_ATTACHED'
  /** The payment provider could not be reached or refused for a reason not the caller's (HTTP 502). */
  | 'PAYMENTS.PROVIDER_UNAVAILABLE'
  /** A low-balance alert webhook URL that is not https:// (or has credentials, or is too long) (HTTP 400). */
  | 'PAYMENTS.INVALID_WEBHOOK_URL'
  /** An e-mail alert asked of a deployment with no SMTP server configured (HTTP 409). */
  | 'PAYMENTS.EMAIL_ALERTS_UNAVAILABLE'
  /** A promotion code that does not exist, is disabled, or is outside its validity window (HTTP 400). */
  | 'PAYMENTS.PROMOTION_CODE_INVALID'
  /** A promotion code whose total or per-account redemption limit is reached (HTTP 409). */
  | 'PAYMENTS.PROMOTION_CODE_EXHAUSTED'
  /** A discount that would leave less than the minimum charge (HTTP 400). */
  | 'PAYMENTS.DISCOUNT_EXCEEDS_AMOUNT'
  /** A promotion code created twice (HTTP 409). */
  | 'PAYMENTS.PROMOTION_CODE_EXISTS'
  /** A referral code no account has (HTTP 404). */
  | 'PAYMENTS.REFERRAL_CODE_UNKNOWN'
  /** An account's own referral code (HTTP 400). */
  | 'PAYMENTS.SELF_REFERRAL'
  /** The account signed up with another referral code already (HTTP 409). */
  | 'PAYMENTS.ALREADY_REFERRED'
  /** A referral code used after the account's first top-up settled (HTTP 409). */
  | 'PAYMENTS.REFERRAL_TOO_LATE'
  /** The deployment sells no Builder subscription (no BUILDER_PRICE_ID / price) (HTTP 409). */
  | 'PAYMENTS.BUILDER_PLAN_UNAVAILABLE'
  /** A Builder subscription asked for while the account holds an active one (HTTP 409). */
  | 'PAYMENTS.BUILDER_SUBSCRIPTION_ACTIVE';

export type PaymentsError = Failure<PaymentsErrorCode>;
export type Result<T> = ServiceResult<T, PaymentsErrorCode>;
export const { ok, fail } = results<PaymentsErrorCode>();
