/**
 * The pure parts of the console's promotion codes, referrals and AI-insurance claims: what a
 * person may type, what a refusal of the API means in words, and the link a referrer shares.
 * docs/CONTRACTS.md ("payments", "Referrals", "AI insurance") is the source of every rule here.
 */

/** A refusal of the API as the console holds it (ApiError's fields). */
export interface Refusal {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

/** A promotion code as payments accepts one: 3 to 40 letters, digits, "-" or "_". */
const PROMOTION_CODE = /^[A-Za-z0-9][A-Za-z0-9_-]{2,39}$/;

export type Checked =
  { readonly ok: true; readonly code: string } | { readonly ok: false; readonly problem: string };

/** A promotion code as typed: spaces around it dropped, upper-cased (codes match in any case). */
export function checkPromotionCode(input: string): Checked {
  const code = input.trim().toUpperCase();
  if (code === '') return { ok: false, problem: 'Enter a promotion code.' };
  if (!PROMOTION_CODE.test(code)) {
    return {
      ok: false,
      problem: 'A promotion code is 3 to 40 letters, digits, "-" or "_", like SPRING10.',
    };
  }
  return { ok: true, code };
}

/**
 * Why a promotion code was refused, in words: payments' code says which kind of refusal it is,
 * and its message (which names the code and, for an expired code, when it expired) the details.
 */
export function promotionCodeProblem(refusal: Refusal, code: string): string {
  const detail = refusal.message === '' ? '' : ` (${refusal.message})`;
  switch (refusal.code) {
    case 'PAYMENTS.PROMOTION_CODE_INVALID':
      return /expired/.test(refusal.message)
        ? `The promotion code ${code} has expired${detail}.`
        : /does not exist/.test(refusal.message)
          ? `There is no promotion code ${code}. Check its spelling.`
          : `The promotion code ${code} cannot be used now${detail}.`;
    case 'PAYMENTS.PROMOTION_CODE_EXHAUSTED':
      return `The promotion code ${code} has been used up${detail}.`;
    case 'PAYMENTS.DISCOUNT_EXCEEDS_AMOUNT':
      return `The promotion code ${code} does not fit this amount${detail}.`;
    default:
      return `The promotion code ${code} could not be checked: ${refusal.message || `the server answered ${refusal.status}`}.`;
  }
}

/** Referral codes: 8 characters of Crockford's base 32 (no I, L, O or U), in any case. */
const REFERRAL_CODE = /^[0-9A-HJKMNP-TV-Z]{8}$/;

export function normalizeReferralCode(input: string): string | undefined {
  const code = input.trim().toUpperCase();
  return REFERRAL_CODE.test(code) ? code : undefined;
}

/**
 * The link a referrer shares: the console's sign-in page carrying the code (`?ref=`), which the
 * console keeps until the new account is signed in and offers it on the Referrals page.
 */
export function referralLink(origin: string, code: string): string {
  return `${origin}/sign-in?ref=${encodeURIComponent(code)}`;
}

/** The referral code a link carries (`?ref=K7M2QX9P`), if it is one. */
export function referralCodeOf(search: URLSearchParams): string | undefined {
  const ref = search.get('ref');
  return ref === null ? undefined : normalizeReferralCode(ref);
}

/** Why signing up with a referral code was refused, in words (payments' codes). */
export function referralProblem(refusal: Refusal, code: string): string {
  switch (refusal.code) {
    case 'PAYMENTS.REFERRAL_CODE_UNKNOWN':
      return `No account has the referral code ${code}. Check its spelling.`;
    case 'PAYMENTS.SELF_REFERRAL':
      return `${code} is this account's own referral code; share it with others instead.`;
    case 'PAYMENTS.ALREADY_REFERRED':
      return 'This account signed up with another referral code already; it keeps that one.';
    case 'PAYMENTS.REFERRAL_TOO_LATE':
      return 'A referral code can only be used before the account’s first top-up is paid.';
    default:
      return `The referral code ${code} could not be used: ${refusal.message || `the server answered ${refusal.status}`}.`;
  }
}

/** A referral's status (payments' values), as the console shows it. */
export const REFERRAL_STATUSES: Record<string, string> = {
  pending: 'Waiting for their first top-up',
  rewarded: 'Rewarded',
  not_rewarded: 'No reward',
  revoked: 'Reward revoked (refunded)',
};

/** The AI insurance's rules (metering's policy), as the console names them. */
export const CLAIM_RULES: Record<string, string> = {
  failed_charged: 'Failed request, charged',
  slow_first_token: 'Slow first token',
};

/** "1.234 s" from milliseconds, for a request's time to first token; "—" without one. */
export function formatTtft(ms: number | null): string {
  if (ms === null) return '—';
  const seconds = Math.trunc(ms / 1000);
  const rest = String(ms % 1000).padStart(3, '0');
  return `${seconds}.${rest} s`;
}
