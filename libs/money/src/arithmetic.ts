import { NANOS_PER_USD, PG_INT8_MAX, PG_INT8_MIN, type NanoUsd } from './constants.js';
import { requireBigInt } from './errors.js';
import { parseScaledDecimal } from './parse.js';
import { divRoundHalfUp } from './rounding.js';

/**
 * amount × rate, where rate is an exact decimal string with at most 9 fraction digits ("0.20",
 * "1.5", "-1"), rounded once, half away from zero. The rate stays a string all the way in so that
 * configuration such as BONUS_RATE=0.20 never passes through a float.
 * e.g. mulRatio(100_000_000_000n, "0.20") -> 20_000_000_000n (the +20% bonus on a $100 top-up).
 *
 * @throws MoneyParseError (MONEY.INVALID_AMOUNT) when rate is not a valid decimal string.
 */
export function mulRatio(amount: NanoUsd, rate: string): NanoUsd {
  requireBigInt('amount', amount);
  const scaledRate = parseScaledDecimal(rate, 'rate');
  return divRoundHalfUp(amount * scaledRate, NANOS_PER_USD);
}

/**
 * amount × numerator / denominator, rounded once, half away from zero. Used for the share of a
 * bonus clawed back when part of a top-up is refunded: proportion(bonus, refunded, toppedUp).
 * Note that the pieces of a split do not always add up to the whole after rounding; a caller that
 * must split exactly should compute the last piece as the remainder.
 *
 * @throws RangeError when denominator <= 0 (a zero or negative base is a caller bug).
 */
export function proportion(amount: NanoUsd, numerator: bigint, denominator: bigint): NanoUsd {
  requireBigInt('amount', amount);
  requireBigInt('numerator', numerator);
  requireBigInt('denominator', denominator);
  if (denominator <= 0n) {
    throw new RangeError(`proportion: denominator must be positive, got ${denominator}`);
  }
  return divRoundHalfUp(amount * numerator, denominator);
}

/** The exact sum; 0n for no values. */
export function sumUsd(values: Iterable<NanoUsd>): NanoUsd {
  let total = 0n;
  for (const value of values) total += requireBigInt('value', value);
  return total;
}

export function minUsd(first: NanoUsd, ...rest: NanoUsd[]): NanoUsd {
  let min = requireBigInt('value', first);
  for (const value of rest) if (requireBigInt('value', value) < min) min = value;
  return min;
}

export function maxUsd(first: NanoUsd, ...rest: NanoUsd[]): NanoUsd {
  let max = requireBigInt('value', first);
  for (const value of rest) if (requireBigInt('value', value) > max) max = value;
  return max;
}

export function absUsd(value: NanoUsd): NanoUsd {
  return requireBigInt('value', value) < 0n ? -value : value;
}

/**
 * Returns n unchanged when it fits a Postgres `int8` column (±9,223,372,036.854775807 USD in
 * nano-dollars); call it on every amount headed for an int8 column, so that an impossible value
 * fails here with a clear message instead of as a driver error mid-transaction. bigint itself
 * never overflows; only the column does.
 *
 * @throws RangeError outside [-2^63, 2^63 - 1].
 */
export function assertFitsInt8(n: NanoUsd): NanoUsd {
  requireBigInt('n', n);
  if (n < PG_INT8_MIN || n > PG_INT8_MAX) {
    throw new RangeError(`amount ${n} nano-USD does not fit a Postgres int8 column`);
  }
  return n;
}
