import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { MoneyParseError } from './errors.js';
import { PG_INT8_MAX, PG_INT8_MIN } from './constants.js';
import { formatUsd } from './format.js';
import { parseNanos, parseUsd, tryParseUsd } from './parse.js';
import { expectProperty, same } from './testing/property.js';

const D = Decimal.clone({ precision: 200, rounding: Decimal.ROUND_HALF_UP });

const digits = (minLength: number, maxLength: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789'), minLength, maxLength });

/** Every string the grammar accepts: -?(0|[1-9][0-9]{0,39})(\.[0-9]{1,9})? */
const validAmount = fc
  .tuple(
    fc.boolean(),
    fc.oneof(
      fc.constant('0'),
      fc.tuple(fc.constantFrom(...'123456789'), digits(0, 39)).map(([head, tail]) => head + tail),
    ),
    fc.option(digits(1, 9), { nil: undefined }),
  )
  .map(([negative, integer, fraction]) => {
    const body = fraction === undefined ? integer : `${integer}.${fraction}`;
    return negative ? `-${body}` : body;
  });

/** The canonical form, derived from the string alone (no bigint), as an independent oracle. */
function canonical(text: string): string {
  const negative = text.startsWith('-');
  const [integer = '', fraction = ''] = text.replace(/^-/, '').split('.');
  const trimmed = fraction.replace(/0+$/, '');
  const body = trimmed === '' ? integer : `${integer}.${trimmed}`;
  return body === '0' ? '0' : negative ? `-${body}` : body;
}

function parseError(text: unknown): MoneyParseError {
  try {
    parseUsd(text as string);
  } catch (err) {
    if (err instanceof MoneyParseError) return err;
    throw err;
  }
  throw new Error(`expected ${String(text)} to be rejected`);
}

describe('parseUsd', () => {
  it.each([
    ['0', 0n],
    ['-0', 0n],
    ['-0.000', 0n],
    ['120', 120_000_000_000n],
    ['0.000153', 153_000n],
    ['-2.5', -2_500_000_000n],
    ['0.20', 200_000_000n],
    ['0.000000001', 1n],
    ['-0.000000001', -1n],
    ['9223372036.854775807', 2n ** 63n - 1n],
    ['-9223372036.854775808', -(2n ** 63n)],
    [`${'9'.repeat(40)}.999999999`, 10n ** 49n - 1n],
  ])('given %j, when parsed, then it is exactly %p nano-dollars', (text, nanos) => {
    expect(parseUsd(text)).toBe(nanos);
  });

  it.each([
    ['', 'empty string'],
    [' 1', 'contains whitespace'],
    ['1\n', 'contains whitespace'],
    ['1 000', 'contains whitespace'],
    ['\u00a01', 'contains whitespace'],
    ['1e3', 'exponent notation is not allowed'],
    ['1E-3', 'exponent notation is not allowed'],
    ['2.5e+2', 'exponent notation is not allowed'],
    ['NaN', 'NaN and Infinity are not amounts'],
    ['Infinity', 'NaN and Infinity are not amounts'],
    ['-Infinity', 'NaN and Infinity are not amounts'],
    ['0.0000000001', 'more than 9 fraction digits'],
    ['1.1234567890', 'more than 9 fraction digits'],
    ['.5', "missing integer digits before '.'"],
    ['-.5', "missing integer digits before '.'"],
    ['.', "missing integer digits before '.'"],
    ['5.', "missing fraction digits after '.'"],
    ['-5.', "missing fraction digits after '.'"],
    ['+1', "leading '+' sign is not allowed"],
    ['1,000', 'digit group separators'],
    ['1_000.5', 'digit group separators'],
    ["1'000", 'digit group separators'],
    ['007', 'leading zeros are not allowed'],
    ['-00', 'leading zeros are not allowed'],
    ['00.5', 'leading zeros are not allowed'],
    ['-', 'no digits'],
    ['--1', "'-' is only allowed once, as the leading sign"],
    ['1-', "'-' is only allowed once, as the leading sign"],
    ['1.2.3', "more than one '.'"],
    ['$5', 'unexpected character "$" at position 0'],
    ['0x10', 'unexpected character "x" at position 1'],
    ['١٢', 'unexpected character "١" at position 0'],
    ['1'.repeat(41), 'more than 40 integer digits'],
    ['1'.repeat(52), 'longer than 51 characters'],
  ])('given %j, when parsed, then it is rejected: %s', (text, reason) => {
    const err = parseError(text);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('MoneyParseError');
    expect(err.code).toBe('MONEY.INVALID_AMOUNT');
    expect(err.reason).toContain(reason);
    expect(err.message).toBe(`invalid USD amount ${JSON.stringify(text)}: ${err.reason}`);
  });

  it.each([
    [5, 'number'],
    [5n, 'bigint'],
    [null, 'null'],
    [undefined, 'undefined'],
    [{}, 'object'],
    [['1'], 'array'],
  ])(
    'given the non-string %p at runtime, when parsed, then it is rejected naming %s',
    (input, type) => {
      const err = parseError(input);
      expect(err.code).toBe('MONEY.INVALID_AMOUNT');
      expect(err.reason).toBe(`expected a string, got ${type}`);
    },
  );

  it('given a megabyte of digits, when parsed, then it is rejected at once and the message stays short', () => {
    const started = performance.now();
    const err = parseError('9'.repeat(1_000_000));
    expect(performance.now() - started).toBeLessThan(50);
    expect(err.reason).toContain('longer than 51 characters');
    expect(err.message.length).toBeLessThan(200);
  });

  it('given any valid string, when parsed, then it equals the decimal.js value × 1e9', () => {
    expectProperty(
      fc.property(validAmount, (text) =>
        same(parseUsd(text), BigInt(new D(text).times(1e9).toFixed(0))),
      ),
      10_000,
    );
  });

  it('given any valid string, when parsed and formatted, then the result is its canonical form', () => {
    expectProperty(
      fc.property(validAmount, (text) => same(formatUsd(parseUsd(text)), canonical(text))),
      10_000,
    );
  });

  it('given any string at all, when parsed, then it either succeeds or throws MoneyParseError (never anything else)', () => {
    const alphabet = fc.constantFrom(..."0123456789.-+eE, _'xN");
    expectProperty(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: alphabet, maxLength: 14 })), (text) => {
        let outcome: bigint | MoneyParseError;
        try {
          outcome = parseUsd(text);
        } catch (err) {
          if (!(err instanceof MoneyParseError)) throw err;
          outcome = err;
        }
        if (outcome instanceof MoneyParseError) return same(tryParseUsd(text), undefined);
        same(tryParseUsd(text), outcome);
        return same(/^-?(0|[1-9][0-9]*)(\.[0-9]{1,9})?$/.test(text), true, 'grammar');
      }),
      10_000,
    );
  });
});

describe('tryParseUsd', () => {
  it('given a valid string, when parsed, then it answers the amount', () => {
    expect(tryParseUsd('-2.5')).toBe(-2_500_000_000n);
    expect(tryParseUsd('-0')).toBe(0n);
  });

  it.each(['', '1e3', '.5', '5.', '+1', 'NaN', '0.0000000001', 5, 5n, null, undefined, {}])(
    'given the invalid input %p, when parsed, then it answers undefined without throwing',
    (input) => {
      expect(tryParseUsd(input)).toBeUndefined();
    },
  );

  it('given anything at all, when parsed, then it never throws', () => {
    expectProperty(
      fc.property(fc.anything(), (input) => {
        tryParseUsd(input);
      }),
      5_000,
    );
  });
});

describe('parseNanos', () => {
  it.each([
    ['0', 0n],
    ['153000', 153_000n],
    ['-2500000000', -2_500_000_000n],
    ['9223372036854775807', PG_INT8_MAX],
    ['-9223372036854775808', PG_INT8_MIN],
    ['99999999999999999999999999999999999999999999999999', 10n ** 50n - 1n],
  ])(
    'given the integer string %j (as pg returns int8), when parsed, then it is %p',
    (text, nanos) => {
      expect(parseNanos(text)).toBe(nanos);
    },
  );

  it.each(['', ' 1', '1 ', '0x1f', '1.5', '1e3', '+1', '007', '-', '1_000', '9'.repeat(51)])(
    'given %j, which BigInt() might accept or misread, when parsed, then it is rejected',
    (text) => {
      expect(() => parseNanos(text)).toThrow(MoneyParseError);
      expect(() => parseNanos(text)).toThrow(/^invalid nano-USD integer .*: expected an integer/);
    },
  );

  it('given a non-string at runtime (a NULL column), when parsed, then it is rejected', () => {
    expect(() => parseNanos(null as unknown as string)).toThrow(
      'invalid nano-USD integer (null): expected a string, got null',
    );
  });

  it('given any int8 value, when written as pg writes it and parsed, then it is unchanged', () => {
    expectProperty(
      fc.property(fc.bigInt({ min: PG_INT8_MIN, max: PG_INT8_MAX }), (nanos) =>
        same(parseNanos(nanos.toString()), nanos),
      ),
      5_000,
    );
  });
});
