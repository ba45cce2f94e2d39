import type { NanoUsd } from './constants.js';
import { requireBigInt } from './errors.js';
import { divRoundHalfUp } from './rounding.js';

/** Tokens per unit of a price sheet: prices are quoted per million tokens. */
export const TOKENS_PER_PRICE_UNIT = 1_000_000n;

/** One priced component of a request, e.g. prompt tokens or completion tokens of one model. */
export interface UsageLine {
  /** Price of one million tokens, in nano-dollars ($0.15 / 1M tokens = 150_000_000n). */
  readonly pricePerMillionNanos: bigint;
  readonly tokens: bigint;
}

/**
 * The cost of one request: Σ pricePerMillionNanos × tokens, computed exactly, then divided by one
 * million and rounded once, half-up, to the nano-dollar. Rounding per request and not per line
 * (or per token) keeps the error of a request under half a nano-dollar whatever its number of
 * lines, and makes the cost independent of how the lines were split.
 *
 * @throws RangeError on a negative price or token count: usage is never negative; a correction is
 *   a separate ledger entry, not a negative request.
 */
export function priceUsage(lines: ReadonlyArray<UsageLine>): NanoUsd {
  let scaledTotal = 0n;
  for (const [index, line] of lines.entries()) {
    const price = requireBigInt(`lines[${index}].pricePerMillionNanos`, line.pricePerMillionNanos);
    const tokens = requireBigInt(`lines[${index}].tokens`, line.tokens);
    if (price < 0n) throw new RangeError(`lines[${index}]: negative price ${price}`);
    if (tokens < 0n) throw new RangeError(`lines[${index}]: negative token count ${tokens}`);
    scaledTotal += price * tokens;
  }
  return divRoundHalfUp(scaledTotal, TOKENS_PER_PRICE_UNIT);
}

/** priceUsage with a single line. */
export function priceTokens(pricePerMillionNanos: bigint, tokens: bigint): NanoUsd {
  return priceUsage([{ pricePerMillionNanos, tokens }]);
}
