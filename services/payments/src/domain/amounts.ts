import { formatUsdFixed, mulRatio, tryParseUsd } from '@billing/money';
import { fail, ok, type Result } from './errors.js';

/** Nano-dollars in one cent: Stripe charges USD in whole cents. */
export const NANOS_PER_CENT = 10_000_000n;

export interface TopUpLimits {
  readonly minNanos: bigint;
  readonly maxNanos: bigint;
}

/**
 * Parses and checks a top-up amount as the customer typed it: a decimal USD string ("100",
 * "12.50"), whole cents (a card cannot be charged $0.001), within the configured limits. Each
 * refusal says what would have been accepted.
 */
export function parseTopUpAmount(value: unknown, limits: TopUpLimits): Result<bigint> {
  const nanos = tryParseUsd(value);
  if (nanos === undefined || nanos <= 0n) {
    return fail(
      'PAYMENTS.INVALID_AMOUNT',
      'amount must be a positive decimal USD string, e.g. "100" or "12.50"',
    );
  }
  if (nanos % NANOS_PER_CENT !== 0n) {
    return fail('PAYMENTS.INVALID_AMOUNT', 'amount must be a whole number of cents, e.g. "12.50"');
  }
  if (nanos < limits.minNanos) {
    return fail(
      'PAYMENTS.AMOUNT_TOO_SMALL',
      `the minimum top-up is $${formatUsdFixed(limits.minNanos, 2)}`,
    );
  }
  if (nanos > limits.maxNanos) {
    return fail(
      'PAYMENTS.AMOUNT_TOO_LARGE',
      `the maximum top-up is $${formatUsdFixed(limits.maxNanos, 2)}`,
    );
  }
  return ok(nanos);
}

/** Whole cents of an amount that is known to be whole cents (checked on the way in). */
export function centsOf(nanos: bigint): number {
  if (nanos % NANOS_PER_CENT !== 0n) throw new Error(`amount ${nanos} nano-USD is not whole cents`);
  const cents = nanos / NANOS_PER_CENT;
  if (cents > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`amount ${nanos} is too large`);
  return Number(cents);
}

/** The nano-dollars of a whole number of cents reported by the payment provider. */
export function nanosOfCents(cents: number): bigint {
  if (!Number.isSafeInteger(cents)) throw new Error(`cents must be a safe integer, got ${cents}`);
  return BigInt(cents) * NANOS_PER_CENT;
}

/**
 * The bonus a top-up earns: amount x rate, exact, rounded once half-up to the nano-dollar by
 * libs/money. The rate stays a decimal string ("0.20") so it never passes through a float.
 */
export function bonusFor(amountNanos: bigint, rate: string): bigint {
  return mulRatio(amountNanos, rate);
}
