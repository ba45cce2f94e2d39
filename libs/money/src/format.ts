import { NANOS_PER_USD, USD_FRACTION_DIGITS, type NanoUsd } from './constants.js';
import { divRoundHalfUp } from './rounding.js';
import { requireBigInt } from './errors.js';

/**
 * The canonical decimal string of an amount, as it goes into JSON (CONTRACTS.md "Money"): no
 * trailing fraction zeros, no trailing '.', '-' for negatives, "0" for zero.
 * e.g. 120_000_000_000n -> "120", 153_000n -> "0.000153", -2_500_000_000n -> "-2.5".
 * Exact for every bigint; `parseUsd(formatUsd(x)) === x` whenever x has at most 40 integer digits.
 */
export function formatUsd(nanos: NanoUsd): string {
  requireBigInt('nanos', nanos);
  const negative = nanos < 0n;
  const magnitude = negative ? -nanos : nanos;
  const integer = (magnitude / NANOS_PER_USD).toString();
  const fraction = (magnitude % NANOS_PER_USD)
    .toString()
    .padStart(USD_FRACTION_DIGITS, '0')
    .replace(/0+$/, '');
  return (negative ? '-' : '') + (fraction === '' ? integer : `${integer}.${fraction}`);
}

/** Fraction digits accepted by `formatUsdFixed`: cents (2) up to nano-dollars (9). */
export type UsdFractionDigits = 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;

/**
 * A fixed-point string for display and invoices, e.g. formatUsdFixed(1_005_000_000n, 2) -> "1.01"
 * (half-up: away from zero on an exact half). No currency symbol. An amount that rounds to zero
 * is written without a sign ("0.00", never "-0.00"): a "-0.00" line on an invoice confuses
 * readers and means nothing.
 */
export function formatUsdFixed(nanos: NanoUsd, fractionDigits: UsdFractionDigits): string {
  requireBigInt('nanos', nanos);
  if (!Number.isInteger(fractionDigits) || fractionDigits < 2 || fractionDigits > 9) {
    throw new RangeError(`fractionDigits must be an integer from 2 to 9, got ${fractionDigits}`);
  }
  const unitsPerDigitStep = 10n ** BigInt(USD_FRACTION_DIGITS - fractionDigits);
  const scaled = divRoundHalfUp(nanos, unitsPerDigitStep);
  const negative = scaled < 0n;
  const magnitude = (negative ? -scaled : scaled).toString().padStart(fractionDigits + 1, '0');
  const cut = magnitude.length - fractionDigits;
  return `${negative ? '-' : ''}${magnitude.slice(0, cut)}.${magnitude.slice(cut)}`;
}
