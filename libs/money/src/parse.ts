import { USD_FRACTION_DIGITS, type NanoUsd } from './constants.js';
import { MoneyParseError } from './errors.js';

/**
 * The most integer digits an amount may have. 40 digits is about 4e20 times the largest balance
 * Postgres `int8` can hold, so no real amount comes near it; the cap exists so that a hostile
 * megabyte of digits is refused in O(1) instead of being fed to `BigInt()`.
 */
export const MAX_INTEGER_DIGITS = 40;

/** Sign, integer digits, '.', fraction digits: the longest string that can be valid. */
const MAX_LENGTH = 1 + MAX_INTEGER_DIGITS + 1 + USD_FRACTION_DIGITS;

/**
 * The one accepted grammar, deliberately narrower than JSON's or JavaScript's number syntax: an
 * optional '-', an integer part with no leading zeros, and optionally '.' followed by 1 to 9
 * digits. Every accepted string has exactly one meaning, and the canonical output of `formatUsd`
 * is always accepted.
 */
const DECIMAL = /^(-?)(0|[1-9][0-9]*)(?:\.([0-9]{1,9}))?$/;

/**
 * Parses an exact decimal string of US dollars into nano-dollars, e.g. "0.000153" -> 153000n.
 * Accepts what CONTRACTS.md puts in JSON: `-?digits(.digits{1,9})?`, with "-0" meaning 0.
 *
 * @throws MoneyParseError (code MONEY.INVALID_AMOUNT) naming the problem: empty, whitespace,
 *   '+', exponent, NaN/Infinity, separators, ".5", "5.", leading zeros, more than 9 fraction
 *   digits, more than 40 integer digits, or a non-string.
 */
export function parseUsd(text: string): NanoUsd {
  return parseScaledDecimal(text, 'USD amount');
}

/** Like `parseUsd`, but answers `undefined` instead of throwing; accepts any input. */
export function tryParseUsd(text: unknown): NanoUsd | undefined {
  return typeof text === 'string' ? scan(text) : undefined;
}

/**
 * Parses a decimal string scaled by 1e9 (the same grammar as an amount). `what` names the value
 * in the error message ("USD amount", "rate").
 */
export function parseScaledDecimal(text: unknown, what: string): bigint {
  if (typeof text !== 'string') {
    throw new MoneyParseError(`expected a string, got ${describeType(text)}`, what, text);
  }
  const value = scan(text);
  if (value === undefined) throw new MoneyParseError(diagnose(text), what, text);
  return value;
}

/** An integer count of nano-dollars, as Postgres returns int8 and numeric(…, 0) through `pg`. */
const INTEGER = /^-?(0|[1-9][0-9]*)$/;

/**
 * Parses a string of integer nano-dollars, e.g. an int8 column or a `sum()` that `pg` returns as
 * text ("153000" -> 153000n). Use it instead of `BigInt(text)`, which accepts "", " 1 " and "0x1f"
 * (BigInt("") is 0n: a NULL turned into '' would silently become zero). Not for JSON amounts,
 * which are dollars: use `parseUsd`.
 *
 * @throws MoneyParseError (MONEY.INVALID_AMOUNT) unless text is -?(0|[1-9][0-9]*), at most
 *   MAX_INTEGER_DIGITS + 9 digits.
 */
export function parseNanos(text: string): NanoUsd {
  if (typeof text !== 'string') {
    throw new MoneyParseError(
      `expected a string, got ${describeType(text)}`,
      'nano-USD integer',
      text,
    );
  }
  if (text.length > 1 + MAX_INTEGER_DIGITS + USD_FRACTION_DIGITS || !INTEGER.test(text)) {
    throw new MoneyParseError(
      `expected an integer of at most ${MAX_INTEGER_DIGITS + USD_FRACTION_DIGITS} digits without leading zeros`,
      'nano-USD integer',
      text,
    );
  }
  return BigInt(text);
}

function scan(text: string): bigint | undefined {
  if (text.length > MAX_LENGTH) return undefined;
  const match = DECIMAL.exec(text);
  if (match === null) return undefined;
  const [, sign, integer = '', fraction = ''] = match;
  if (integer.length > MAX_INTEGER_DIGITS) return undefined;
  const magnitude = BigInt(integer + fraction.padEnd(USD_FRACTION_DIGITS, '0'));
  return sign === '-' ? -magnitude : magnitude;
}

/**
 * Explains why `scan` refused `text`. Runs only on the error path, so clarity wins over speed;
 * the length check comes first so the remaining patterns only ever see short strings.
 */
function diagnose(text: string): string {
  if (text.length === 0) return 'empty string';
  if (text.length > MAX_LENGTH) {
    return `longer than ${MAX_LENGTH} characters (at most ${MAX_INTEGER_DIGITS} integer and ${USD_FRACTION_DIGITS} fraction digits)`;
  }
  if (/\s/.test(text)) return 'contains whitespace';
  if (/^[+-]?(nan|inf|infinity)$/i.test(text)) return 'NaN and Infinity are not amounts';
  if (text.startsWith('+')) return "leading '+' sign is not allowed";
  if (/^-?[0-9]*\.?[0-9]*[eE][+-]?[0-9]*$/.test(text)) return 'exponent notation is not allowed';
  if (/^-?[0-9]+([,_'][0-9]+)+(\.[0-9]+)?$/.test(text)) {
    return "digit group separators (',', '_', \"'\") are not allowed; '.' is the only separator";
  }
  const unexpected = /[^0-9.-]/.exec(text);
  if (unexpected !== null) {
    return `unexpected character ${JSON.stringify(unexpected[0])} at position ${unexpected.index}`;
  }
  if (text.lastIndexOf('-') > 0) return "'-' is only allowed once, as the leading sign";
  if (text.indexOf('.') !== text.lastIndexOf('.')) return "more than one '.'";
  if (text === '-') return 'no digits';
  if (/^-?\./.test(text)) return "missing integer digits before '.' (write 0.5, not .5)";
  if (text.endsWith('.')) return "missing fraction digits after '.' (write 5, not 5.)";
  const [integer = '', fraction = ''] = text.replace(/^-/, '').split('.');
  if (fraction.length > USD_FRACTION_DIGITS) {
    return `more than ${USD_FRACTION_DIGITS} fraction digits (the smallest unit is 1e-9 USD)`;
  }
  if (integer.length > MAX_INTEGER_DIGITS) return `more than ${MAX_INTEGER_DIGITS} integer digits`;
  if (/^0[0-9]/.test(integer)) return 'leading zeros are not allowed';
  return 'not a decimal number';
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}
