import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import {
  absUsd,
  assertFitsInt8,
  maxUsd,
  minUsd,
  mulRatio,
  proportion,
  sumUsd,
} from './arithmetic.js';
import { PG_INT8_MAX, PG_INT8_MIN } from './constants.js';
import { MoneyParseError } from './errors.js';
import { expectProperty, same } from './testing/property.js';

const D = Decimal.clone({ precision: 200, rounding: Decimal.ROUND_HALF_UP });

const int8 = fc.bigInt({ min: PG_INT8_MIN, max: PG_INT8_MAX });
const digits = (minLength: number, maxLength: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789'), minLength, maxLength });
/** Rates as configuration would write them: "0.20", "1", "-0.5", "123.000000001". */
const rate = fc
  .tuple(
    fc.boolean(),
    fc.oneof(fc.constant('0'), fc.integer({ min: 1, max: 999 }).map(String)),
    fc.option(digits(1, 9), { nil: undefined }),
  )
  .map(
    ([negative, integer, fraction]) =>
      (negative ? '-' : '') + integer + (fraction === undefined ? '' : `.${fraction}`),
  );

function toBigInt(value: Decimal): bigint {
  return BigInt(value.toDecimalPlaces(0, Decimal.ROUND_HALF_UP).toFixed(0));
}

describe('mulRatio', () => {
  it.each([
    [100_000_000_000n, '0.20', 20_000_000_000n],
    [100_000_000_000n, '0.2', 20_000_000_000n],
    [10_000_000n, '0.20', 2_000_000n],
    [7n, '0.20', 1n],
    [8n, '0.20', 2n],
    [1n, '0.5', 1n],
    [3n, '0.5', 2n],
    [-1n, '0.5', -1n],
    [-3n, '0.5', -2n],
    [1n, '0.499999999', 0n],
    [0n, '0.20', 0n],
    [5n, '-0.5', -3n],
    [123_456_789n, '1', 123_456_789n],
    [123_456_789n, '0', 0n],
  ])(
    'given %p nanos and rate %j, when multiplied, then it is %p (rounded once, half away from zero)',
    (amount, r, result) => {
      expect(mulRatio(amount, r)).toBe(result);
    },
  );

  it.each([
    ['20%', 'unexpected character "%" at position 2'],
    ['0.2000000001', 'more than 9 fraction digits'],
    ['.2', "missing integer digits before '.'"],
    ['2e-1', 'exponent notation is not allowed'],
    ['', 'empty string'],
  ])('given the malformed rate %j, when multiplied, then it is rejected: %s', (r, reason) => {
    expect(() => mulRatio(1n, r)).toThrow(MoneyParseError);
    expect(() => mulRatio(1n, r)).toThrow(`invalid rate ${JSON.stringify(r)}: ${reason}`);
  });

  it('given a float rate at runtime, when multiplied, then it is rejected instead of being trusted', () => {
    expect(() => mulRatio(1n, 0.2 as unknown as string)).toThrow(
      'invalid rate (number): expected a string, got number',
    );
  });

  it('given a number amount at runtime, when multiplied, then it is refused with a TypeError', () => {
    expect(() => mulRatio(100 as unknown as bigint, '0.20')).toThrow(TypeError);
  });

  it('given any int8 amount and rate, when multiplied, then it equals decimal.js ROUND_HALF_UP', () => {
    expectProperty(
      fc.property(int8, rate, (amount, r) =>
        same(mulRatio(amount, r), toBigInt(new D(amount.toString()).times(r))),
      ),
      10_000,
    );
  });
});

describe('proportion', () => {
  it.each([
    [20_000_000_000n, 50_000_000_000n, 100_000_000_000n, 10_000_000_000n],
    [20_000_000_000n, 100_000_000_000n, 100_000_000_000n, 20_000_000_000n],
    [20_000_000_000n, 0n, 100_000_000_000n, 0n],
    [1n, 1n, 2n, 1n],
    [-1n, 1n, 2n, -1n],
    [10n, 1n, 3n, 3n],
    [20n, 1n, 3n, 7n],
    [-20n, 1n, 3n, -7n],
  ])(
    'given %p × %p / %p, when computed, then it is %p',
    (amount, numerator, denominator, result) => {
      expect(proportion(amount, numerator, denominator)).toBe(result);
    },
  );

  it.each([0n, -1n, PG_INT8_MIN])(
    'given the denominator %p, when computed, then it is refused with a RangeError',
    (denominator) => {
      expect(() => proportion(10n, 1n, denominator)).toThrow(RangeError);
      expect(() => proportion(10n, 1n, denominator)).toThrow(
        `proportion: denominator must be positive, got ${denominator}`,
      );
    },
  );

  it('given number arguments at runtime, when computed, then it is refused with a TypeError', () => {
    expect(() => proportion(10n, 1 as unknown as bigint, 2n)).toThrow(TypeError);
    expect(() => proportion(10n, 1n, 2 as unknown as bigint)).toThrow(TypeError);
  });

  it('given any int8 amount and ratio, when computed, then it equals decimal.js ROUND_HALF_UP', () => {
    const positive = fc.oneof(
      fc.bigInt({ min: 1n, max: 1000n }),
      fc.bigInt({ min: 1n, max: PG_INT8_MAX }),
    );
    expectProperty(
      fc.property(int8, int8, positive, (amount, numerator, denominator) =>
        same(
          proportion(amount, numerator, denominator),
          toBigInt(
            new D(amount.toString()).times(numerator.toString()).div(denominator.toString()),
          ),
        ),
      ),
      10_000,
    );
  });

  it('given a refund of part of a top-up, when the bonus share is computed, then it lies between 0 and the bonus', () => {
    const topUpAndRefund = fc
      .bigInt({ min: 1n, max: 10n ** 8n })
      .map((cents) => cents * 10_000_000n)
      .chain((topUp) => fc.tuple(fc.constant(topUp), fc.bigInt({ min: 0n, max: topUp })));
    expectProperty(
      fc.property(topUpAndRefund, ([topUp, refunded]) => {
        const bonus = mulRatio(topUp, '0.20');
        const clawedBack = proportion(bonus, refunded, topUp);
        return (
          clawedBack >= 0n && clawedBack <= bonus && (refunded !== topUp || clawedBack === bonus)
        );
      }),
      5_000,
    );
  });
});

describe('sumUsd, minUsd, maxUsd, absUsd', () => {
  it('given no values, when summed, then it is 0n', () => {
    expect(sumUsd([])).toBe(0n);
  });

  it('given any iterable, when summed, then it is the exact sum, beyond int8 without overflow', () => {
    function* amounts() {
      yield PG_INT8_MAX;
      yield PG_INT8_MAX;
      yield -1n;
    }
    expect(sumUsd(amounts())).toBe(2n * PG_INT8_MAX - 1n);
    expect(sumUsd(new Set([1n, 2n, 3n]))).toBe(6n);
  });

  it('given a number among the values at runtime, when summed, then it is refused with a TypeError', () => {
    expect(() => sumUsd([1n, 2 as unknown as bigint])).toThrow(TypeError);
  });

  it('given values, when min, max and abs are taken, then they compare as integers', () => {
    expect(minUsd(3n, -1n, 2n)).toBe(-1n);
    expect(maxUsd(3n, -1n, 2n)).toBe(3n);
    expect(minUsd(5n)).toBe(5n);
    expect(maxUsd(PG_INT8_MIN, PG_INT8_MAX + 1n)).toBe(PG_INT8_MAX + 1n);
    expect(absUsd(-2_500_000_000n)).toBe(2_500_000_000n);
    expect(absUsd(7n)).toBe(7n);
    expect(absUsd(0n)).toBe(0n);
  });

  it('given a number at runtime, when min, max or abs is taken, then it is refused with a TypeError', () => {
    expect(() => minUsd(1n, 0 as unknown as bigint)).toThrow(TypeError);
    expect(() => maxUsd(1 as unknown as bigint)).toThrow(TypeError);
    expect(() => absUsd(-1 as unknown as bigint)).toThrow(TypeError);
  });
});

describe('assertFitsInt8', () => {
  it.each([0n, 1n, -1n, PG_INT8_MAX, PG_INT8_MIN])(
    'given %p, when checked for a Postgres int8 column, then it is returned unchanged',
    (n) => {
      expect(assertFitsInt8(n)).toBe(n);
    },
  );

  it.each([PG_INT8_MAX + 1n, PG_INT8_MIN - 1n, 10n ** 30n])(
    'given %p, when checked for a Postgres int8 column, then it is refused with a RangeError',
    (n) => {
      expect(() => assertFitsInt8(n)).toThrow(
        new RangeError(`amount ${n} nano-USD does not fit a Postgres int8 column`),
      );
    },
  );

  it('states the bounds a Postgres int8 column has', () => {
    expect(PG_INT8_MAX).toBe(9_223_372_036_854_775_807n);
    expect(PG_INT8_MIN).toBe(-9_223_372_036_854_775_808n);
  });
});
