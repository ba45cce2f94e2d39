import { requireBigInt } from './errors.js';

/**
 * numerator / denominator rounded to the nearest integer, an exact half away from zero
 * ("half-up" in the commercial sense, decimal.js ROUND_HALF_UP). This is the one rounding
 * primitive of the library: every other function rounds through it, exactly once.
 *
 * Symmetric in sign: divRoundHalfUp(-n, d) === -divRoundHalfUp(n, d) === divRoundHalfUp(n, -d),
 * so a refund rounds to the same magnitude as the charge it reverses.
 *
 * @throws RangeError when denominator is 0.
 */
export function divRoundHalfUp(numerator: bigint, denominator: bigint): bigint {
  requireBigInt('numerator', numerator);
  requireBigInt('denominator', denominator);
  if (denominator === 0n) throw new RangeError('division by zero');
  const negative = numerator < 0n !== denominator < 0n;
  const n = numerator < 0n ? -numerator : numerator;
  const d = denominator < 0n ? -denominator : denominator;
  // bigint division truncates; on magnitudes that is floor, and the remainder decides the half.
  let quotient = n / d;
  if ((n % d) * 2n >= d) quotient += 1n;
  return negative ? -quotient : quotient;
}
