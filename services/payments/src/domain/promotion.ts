import { formatUsdFixed, tryParseUsd } from '@billing/money';
import { NANOS_PER_CENT } from './amounts.js';
import { fail, ok, type Result } from './errors.js';

/**
 * Promotion codes on a manual top-up (docs/adr/011-discounts.md). The semantics, in one place:
 *
 * - the customer asks for a top-up of `amount` and gives a code; the code takes `discount` off the
 *   price, so the payment provider charges `amount − discount`;
 * - the account is credited the full `amount`: the charge as the top-up (TopUpSettled) and the
 *   discount as its own credit (DiscountApplied, the guide's "Discount" transaction type);
 * - the +20% bonus is computed on the full `amount` (what the customer topped up, not what the
 *   promotion paid for), so "$100 gives $120" holds with or without a code;
 * - a percentage discount is rounded DOWN to the whole cent: a code never gives more than its
 *   stated percentage, and the charge stays whole cents as a card requires;
 * - the charge must be at least MIN_CHARGE_NANOS: a fixed discount that would leave less (or a
 *   negative charge) is refused, never silently capped;
 * - the validity window is [validFrom, validUntil): valid from its first instant, no longer valid
 *   at `validUntil`;
 * - the limits count redemptions that are reserved (a checkout is open) or confirmed (the top-up
 *   settled); a redemption of a top-up that failed or expired is released and counts no more.
 *
 * Pure: the clock and the current counts come in as arguments.
 */

/** The smallest amount a card can be charged in USD (Stripe's minimum): $0.50. */
export const MIN_CHARGE_NANOS = 50n * NANOS_PER_CENT;

/** Basis points in 100%: a percentage is stored as an integer number of basis points. */
export const BPS_PER_WHOLE = 10_000n;

/** Codes are matched case-insensitively: stored and compared upper case. */
export const PROMOTION_CODE_PATTERN = /^[A-Z0-9][A-Z0-9_-]{2,39}$/;

export type PromotionDiscount =
  | { readonly kind: 'percent'; readonly percentBps: number }
  | { readonly kind: 'fixed'; readonly amountNanos: bigint };

export interface PromotionCode {
  readonly code: string;
  readonly discount: PromotionDiscount;
  /** Inclusive; null: valid from its creation. */
  readonly validFromMs: number | null;
  /** Exclusive; null: never ends. */
  readonly validUntilMs: number | null;
  /** Redemptions across every account; null: no limit. */
  readonly maxRedemptions: number | null;
  /** Redemptions per account; null: no limit. */
  readonly maxRedemptionsPerAccount: number | null;
  /** Set when an operator disabled the code: it is refused from then on. */
  readonly disabledAtMs: number | null;
}

/** The redemptions that count against the limits (reserved or confirmed) at the moment of asking. */
export interface RedemptionCounts {
  readonly total: number;
  readonly byAccount: number;
}

export interface DiscountQuote {
  readonly code: string;
  readonly amountNanos: bigint;
  readonly discountNanos: bigint;
  /** What the payment provider charges: amount − discount. */
  readonly chargedNanos: bigint;
}

/** The discount a code gives on `amountNanos`, before any check: rounded down to the cent. */
export function discountOf(discount: PromotionDiscount, amountNanos: bigint): bigint {
  switch (discount.kind) {
    case 'fixed':
      return discount.amountNanos;
    case 'percent': {
      const exactTimesWhole = amountNanos * BigInt(discount.percentBps);
      const cents = exactTimesWhole / (BPS_PER_WHOLE * NANOS_PER_CENT);
      return cents * NANOS_PER_CENT;
    }
  }
}

/**
 * Whether `code` may be redeemed now by an account on a top-up of `amountNanos` (already
 * validated as a top-up amount), and what it would charge. The same answer serves the quote the
 * customer sees before paying and the reservation at checkout (under the code's row lock).
 */
export function decideRedemption(
  code: PromotionCode,
  counts: RedemptionCounts,
  amountNanos: bigint,
  nowMs: number,
): Result<DiscountQuote> {
  if (code.disabledAtMs !== null && code.disabledAtMs <= nowMs) {
    return fail(
      'PAYMENTS.PROMOTION_CODE_INVALID',
      `promotion code ${code.code} is no longer valid`,
    );
  }
  if (code.validFromMs !== null && nowMs < code.validFromMs) {
    return fail(
      'PAYMENTS.PROMOTION_CODE_INVALID',
      `promotion code ${code.code} is valid from ${new Date(code.validFromMs).toISOString()}`,
    );
  }
  if (code.validUntilMs !== null && nowMs >= code.validUntilMs) {
    return fail(
      'PAYMENTS.PROMOTION_CODE_INVALID',
      `promotion code ${code.code} expired at ${new Date(code.validUntilMs).toISOString()}`,
    );
  }
  if (code.maxRedemptions !== null && counts.total >= code.maxRedemptions) {
    return fail(
      'PAYMENTS.PROMOTION_CODE_EXHAUSTED',
      `promotion code ${code.code} has been redeemed the most times allowed`,
    );
  }
  if (code.maxRedemptionsPerAccount !== null && counts.byAccount >= code.maxRedemptionsPerAccount) {
    return fail(
      'PAYMENTS.PROMOTION_CODE_EXHAUSTED',
      `this account has already redeemed promotion code ${code.code} the most times allowed`,
    );
  }
  const discountNanos = discountOf(code.discount, amountNanos);
  const chargedNanos = amountNanos - discountNanos;
  if (chargedNanos < MIN_CHARGE_NANOS) {
    return fail(
      'PAYMENTS.DISCOUNT_EXCEEDS_AMOUNT',
      `promotion code ${code.code} takes $${formatUsdFixed(discountNanos, 2)} off, which leaves less than the minimum charge of $${formatUsdFixed(MIN_CHARGE_NANOS, 2)}; top up a larger amount`,
    );
  }
  if (discountNanos <= 0n) {
    return fail(
      'PAYMENTS.DISCOUNT_EXCEEDS_AMOUNT',
      `promotion code ${code.code} gives no discount on $${formatUsdFixed(amountNanos, 2)}; top up a larger amount`,
    );
  }
  return ok({ code: code.code, amountNanos, discountNanos, chargedNanos });
}

/** What an operator sends to create a code (`POST /v1/admin/promotion-codes`). */
export interface PromotionCodeRequest {
  readonly code: unknown;
  readonly percentOff?: unknown;
  readonly amountOff?: unknown;
  readonly validFrom?: string | undefined;
  readonly validUntil?: string | undefined;
  readonly maxRedemptions?: number | undefined;
  readonly maxRedemptionsPerAccount?: number | undefined;
}

/** "12.5" percent as 1250 basis points: at most two fraction digits, more than 0, less than 100. */
export function parsePercentOff(value: unknown): number | undefined {
  if (typeof value !== 'string' || !/^\d{1,3}(\.\d{1,2})?$/.test(value)) return undefined;
  const [whole = '0', fraction = ''] = value.split('.');
  const bps = Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
  return bps > 0 && bps < Number(BPS_PER_WHOLE) ? bps : undefined;
}

/**
 * Validates an operator's request into a code: exactly one of `percentOff` ("10" for 10%) and
 * `amountOff` (a USD string in whole cents), a window that is not empty, positive limits.
 */
export function validatePromotionCode(request: PromotionCodeRequest): Result<PromotionCode> {
  const code = typeof request.code === 'string' ? request.code.toUpperCase() : '';
  if (!PROMOTION_CODE_PATTERN.test(code)) {
    return fail(
      'PAYMENTS.INVALID_REQUEST',
      'code must be 3 to 40 letters, digits, "-" or "_", starting with a letter or digit',
    );
  }
  let discount: PromotionDiscount;
  if ((request.percentOff === undefined) === (request.amountOff === undefined)) {
    return fail('PAYMENTS.INVALID_REQUEST', 'give exactly one of percentOff and amountOff');
  }
  if (request.percentOff !== undefined) {
    const percentBps = parsePercentOff(request.percentOff);
    if (percentBps === undefined) {
      return fail(
        'PAYMENTS.INVALID_REQUEST',
        'percentOff must be a decimal string above 0 and below 100 with at most 2 fraction digits, e.g. "10"',
      );
    }
    discount = { kind: 'percent', percentBps };
  } else {
    const amountNanos = tryParseUsd(request.amountOff);
    if (amountNanos === undefined || amountNanos <= 0n || amountNanos % NANOS_PER_CENT !== 0n) {
      return fail(
        'PAYMENTS.INVALID_AMOUNT',
        'amountOff must be a positive decimal USD string in whole cents, e.g. "5"',
      );
    }
    discount = { kind: 'fixed', amountNanos };
  }
  const validFromMs = instant(request.validFrom);
  const validUntilMs = instant(request.validUntil);
  if (validFromMs === undefined || validUntilMs === undefined) {
    return fail('PAYMENTS.INVALID_REQUEST', 'validFrom and validUntil must be ISO-8601 instants');
  }
  if (validFromMs !== null && validUntilMs !== null && validUntilMs <= validFromMs) {
    return fail('PAYMENTS.INVALID_REQUEST', 'validUntil must be after validFrom');
  }
  for (const [name, limit] of [
    ['maxRedemptions', request.maxRedemptions],
    ['maxRedemptionsPerAccount', request.maxRedemptionsPerAccount],
  ] as const) {
    if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1)) {
      return fail('PAYMENTS.INVALID_REQUEST', `${name} must be a positive integer`);
    }
  }
  return ok({
    code,
    discount,
    validFromMs,
    validUntilMs,
    maxRedemptions: request.maxRedemptions ?? null,
    maxRedemptionsPerAccount: request.maxRedemptionsPerAccount ?? null,
    disabledAtMs: null,
  });
}

/** null when absent, undefined when not an instant. */
function instant(value: string | undefined): number | null | undefined {
  if (value === undefined) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** 1250 basis points as "12.5": the inverse of `parsePercentOff`. */
export function formatPercentOff(percentBps: number): string {
  const whole = Math.floor(percentBps / 100);
  const fraction = String(percentBps % 100)
    .padStart(2, '0')
    .replace(/0+$/, '');
  return fraction === '' ? String(whole) : `${whole}.${fraction}`;
}
