// @billing/money: the one place where money is parsed, formatted and computed. See README.md and
// docs/adr/002-money-representation.md. This library depends on nothing, by design.
export {
  NANOS_PER_USD,
  PG_INT8_MAX,
  PG_INT8_MIN,
  USD_FRACTION_DIGITS,
  type NanoUsd,
} from './constants.js';
export { MoneyParseError } from './errors.js';
export { MAX_INTEGER_DIGITS, parseNanos, parseUsd, tryParseUsd } from './parse.js';
export { formatUsd, formatUsdFixed, type UsdFractionDigits } from './format.js';
export { divRoundHalfUp } from './rounding.js';
export {
  absUsd,
  assertFitsInt8,
  maxUsd,
  minUsd,
  mulRatio,
  proportion,
  sumUsd,
} from './arithmetic.js';
export { TOKENS_PER_PRICE_UNIT, priceTokens, priceUsage, type UsageLine } from './pricing.js';
