import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { PG_INT8_MAX, PG_INT8_MIN } from './constants.js';
import { formatUsd, formatUsdFixed, type UsdFractionDigits } from './format.js';
import { parseUsd } from './parse.js';
import { expectProperty, same } from './testing/property.js';

const D = Decimal.clone({ precision: 200, rounding: Decimal.ROUND_HALF_UP });

const int8 = fc.bigInt({ min: PG_INT8_MIN, max: PG_INT8_MAX });
/** Every amount with at most 40 integer digits: the whole domain of parseUsd. */
const parseable = fc.bigInt({ min: -(10n ** 49n) + 1n, max: 10n ** 49n - 1n });
const fractionDigits = fc.constantFrom<UsdFractionDigits>(2, 3, 4, 5, 6, 7, 8, 9);

describe('formatUsd', () => {
  it.each([
    [0n, '0'],
    [120_000_000_000n, '120'],
    [153_000n, '0.000153'],
    [-2_500_000_000n, '-2.5'],
    [1n, '0.000000001'],
    [-1n, '-0.000000001'],
    [1_000_000_000n, '1'],
    [10_000_000_000n, '10'],
    [1_100_000_000n, '1.1'],
    [PG_INT8_MAX, '9223372036.854775807'],
    [PG_INT8_MIN, '-9223372036.854775808'],
    [10n ** 60n, `1${'0'.repeat(51)}`],
  ])('given %p nanos, when formatted, then it is the canonical %j', (nanos, text) => {
    expect(formatUsd(nanos)).toBe(text);
  });

  it('given a JavaScript number at runtime, when formatted, then it is refused with a TypeError', () => {
    expect(() => formatUsd(1.5 as unknown as bigint)).toThrow(
      new TypeError('nanos must be a bigint (nano-dollars), got number'),
    );
  });

  it('given any amount in int8 range, when formatted and parsed back, then it is unchanged', () => {
    expectProperty(
      fc.property(int8, (nanos) => same(parseUsd(formatUsd(nanos)), nanos)),
      10_000,
    );
  });

  it('given any amount with up to 40 integer digits (far beyond int8), when formatted and parsed back, then it is unchanged', () => {
    expectProperty(
      fc.property(parseable, (nanos) => same(parseUsd(formatUsd(nanos)), nanos)),
      10_000,
    );
  });

  it('given any amount, when formatted, then it is the decimal.js plain notation of nanos / 1e9', () => {
    expectProperty(
      fc.property(parseable, (nanos) =>
        same(formatUsd(nanos), new D(nanos.toString()).div(1e9).toFixed()),
      ),
      10_000,
    );
  });
});

describe('formatUsdFixed', () => {
  it.each<[bigint, UsdFractionDigits, string]>([
    [0n, 2, '0.00'],
    [0n, 9, '0.000000000'],
    [120_000_000_000n, 2, '120.00'],
    [153_000n, 6, '0.000153'],
    [153_000n, 2, '0.00'],
    [1_005_000_000n, 2, '1.01'],
    [1_004_999_999n, 2, '1.00'],
    [-1_005_000_000n, 2, '-1.01'],
    [-1_004_999_999n, 2, '-1.00'],
    [-5_000_000n, 2, '-0.01'],
    [999_999_999n, 2, '1.00'],
    [-2_500_000_000n, 3, '-2.500'],
    [1_234_567_891n, 8, '1.23456789'],
    [1_234_567_895n, 8, '1.23456790'],
    [-1n, 9, '-0.000000001'],
    [PG_INT8_MAX, 2, '9223372036.85'],
  ])(
    'given %p nanos and %p digits, when formatted, then it is %j (half away from zero)',
    (nanos, digits, text) => {
      expect(formatUsdFixed(nanos, digits)).toBe(text);
    },
  );

  it('given a negative amount that rounds to zero, when formatted, then it is "0.00" and not "-0.00"', () => {
    expect(formatUsdFixed(-4_999_999n, 2)).toBe('0.00');
    expect(formatUsdFixed(-1n, 8)).toBe('0.00000000');
  });

  it.each([0, 1, 10, 2.5, Number.NaN])(
    'given %p fraction digits, when formatted, then it is refused with a RangeError',
    (digits) => {
      expect(() => formatUsdFixed(1n, digits as UsdFractionDigits)).toThrow(RangeError);
    },
  );

  it('given a JavaScript number at runtime, when formatted, then it is refused with a TypeError', () => {
    expect(() => formatUsdFixed(1 as unknown as bigint, 2)).toThrow(TypeError);
  });

  it('given any amount and digits, when formatted, then it equals decimal.js toFixed with ROUND_HALF_UP', () => {
    expectProperty(
      fc.property(parseable, fractionDigits, (nanos, digits) => {
        const reference = new D(nanos.toString())
          .div(1e9)
          .toFixed(digits, Decimal.ROUND_HALF_UP)
          // The one intended difference: no negative zero on an invoice.
          .replace(/^-(0\.0+)$/, '$1');
        return same(formatUsdFixed(nanos, digits), reference);
      }),
      10_000,
    );
  });
});
