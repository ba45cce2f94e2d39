import { formatUsd, PG_INT8_MAX, tryParseUsd } from '@billing/money';
import { fail, ok, type Result } from './errors.js';

/**
 * Credits an operator grants by hand (`POST /v1/admin/accounts/{id}/credits`): a gift, a referral
 * reward, an AI-insurance compensation, or a signed adjustment. `reference` is the idempotency key:
 * the same reference with the same request answers the first result again and emits nothing; the
 * same reference with a different request is a conflict (the operator is about to make a mistake).
 */
export const ADMIN_CREDIT_TYPES = ['gift', 'referral', 'compensation', 'adjustment'] as const;
export type AdminCreditType = (typeof ADMIN_CREDIT_TYPES)[number];

/** What a request and the credit validated from it say alike. */
export interface AdminCreditBasis {
  readonly accountId: string;
  readonly type: AdminCreditType;
  readonly reason: string;
  readonly reference: string;
}

export interface AdminCreditRequest extends AdminCreditBasis {
  readonly amount: string;
  readonly expiresAt?: string | undefined;
  readonly referredAccountId?: string | undefined;
  readonly claimId?: string | undefined;
}

/** A validated request: the amount in nano-dollars, the expiry normalised. */
export interface AdminCredit extends AdminCreditBasis {
  readonly amountNanos: bigint;
  readonly expiresAtMs: number | null;
  readonly referredAccountId: string | null;
  readonly claimId: string | null;
}

/**
 * Checks a request against the event it will become: gifts, referrals and compensations are
 * positive and may expire; an adjustment is signed and non-zero and never expires (CreditsAdjusted
 * has no expiry). `nowMs` rejects an expiry in the past, which would grant nothing.
 */
export function validateAdminCredit(
  request: AdminCreditRequest,
  expiresAtMs: number | null,
  nowMs: number,
): Result<AdminCredit> {
  const amountNanos = tryParseUsd(request.amount);
  if (amountNanos === undefined) {
    return fail('PAYMENTS.INVALID_AMOUNT', 'amount must be a decimal USD string, e.g. "25"');
  }
  if (amountNanos > PG_INT8_MAX || -amountNanos > PG_INT8_MAX) {
    return fail('PAYMENTS.INVALID_AMOUNT', 'amount is too large');
  }
  if (request.type === 'adjustment') {
    if (amountNanos === 0n) {
      return fail('PAYMENTS.INVALID_AMOUNT', 'an adjustment must not be zero');
    }
    if (expiresAtMs !== null) {
      return fail('PAYMENTS.INVALID_REQUEST', 'an adjustment cannot expire; leave expiresAt out');
    }
  } else if (amountNanos <= 0n) {
    return fail('PAYMENTS.INVALID_AMOUNT', `a ${request.type} must be a positive amount`);
  }
  if (expiresAtMs !== null && expiresAtMs <= nowMs) {
    return fail('PAYMENTS.INVALID_REQUEST', 'expiresAt must be in the future');
  }
  if (request.referredAccountId !== undefined && request.type !== 'referral') {
    return fail('PAYMENTS.INVALID_REQUEST', 'referredAccountId is only for a referral');
  }
  if (request.claimId !== undefined && request.type !== 'compensation') {
    return fail('PAYMENTS.INVALID_REQUEST', 'claimId is only for a compensation');
  }
  return ok({
    accountId: request.accountId,
    type: request.type,
    amountNanos,
    reason: request.reason,
    reference: request.reference,
    expiresAtMs,
    referredAccountId: request.referredAccountId ?? null,
    claimId: request.claimId ?? null,
  });
}

/**
 * What makes two requests "the same" for idempotency: every field that reaches the event, in a
 * canonical spelling ("25" and "25.00" are the same amount).
 */
export function adminCreditFingerprint(credit: AdminCredit): string {
  return JSON.stringify([
    credit.accountId,
    credit.type,
    formatUsd(credit.amountNanos),
    credit.reason,
    credit.expiresAtMs,
    credit.referredAccountId,
    credit.claimId,
  ]);
}

/** The contract event each type becomes. */
export const EVENT_TYPE_OF_CREDIT = {
  gift: 'GiftGranted',
  referral: 'ReferralRewarded',
  compensation: 'CompensationIssued',
  adjustment: 'CreditsAdjusted',
} as const satisfies Record<AdminCreditType, string>;
