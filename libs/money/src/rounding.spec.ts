import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { divRoundHalfUp } from './rounding.js';
import { expectProperty, same } from './testing/property.js';

const D = Decimal.clone({ precision: 200, rounding: Decimal.ROUND_HALF_UP });

const wide = fc.bigInt({ min: -(2n ** 128n), max: 2n ** 128n });
const nonZero = fc
  .oneof(fc.bigInt({ min: -1000n, max: 1000n }), fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }))
  .filter((d) => d !== 0n);

describe('divRoundHalfUp', () => {
  it.each([
    [0n, 7n, 0n],
    [1n, 3n, 0n],
    [2n, 3n, 1n],
    [4n, 3n, 1n],
    [5n, 2n, 3n],
    [7n, 2n, 4n],
    [-5n, 2n, -3n],
    [5n, -2n, -3n],
    [-5n, -2n, 3n],
    [-1n, 3n, 0n],
    [-2n, 3n, -1n],
    [1_500_000n, 1_000_000n, 2n],
    [1_499_999n, 1_000_000n, 1n],
    [-1_500_000n, 1_000_000n, -2n],
  ])(
    'given %p / %p, when rounded, then it is %p (an exact half goes away from zero)',
    (n, d, q) => {
      expect(divRoundHalfUp(n, d)).toBe(q);
    },
  );

  it('given a zero denominator, when divided, then it is refused with a RangeError', () => {
    expect(() => divRoundHalfUp(1n, 0n)).toThrow(new RangeError('division by zero'));
    expect(() => divRoundHalfUp(0n, 0n)).toThrow(RangeError);
  });

  it('given a JavaScript number at runtime, when divided, then it is refused with a TypeError', () => {
    expect(() => divRoundHalfUp(1 as unknown as bigint, 2n)).toThrow(TypeError);
    expect(() => divRoundHalfUp(1n, 2 as unknown as bigint)).toThrow(TypeError);
  });

  it('given any numerator and non-zero denominator, when divided, then it equals decimal.js ROUND_HALF_UP', () => {
    expectProperty(
      fc.property(wide, nonZero, (n, d) => {
        const reference = new D(n.toString())
          .div(d.toString())
          .toDecimalPlaces(0, Decimal.ROUND_HALF_UP);
        return same(divRoundHalfUp(n, d), BigInt(reference.toFixed(0)));
      }),
      10_000,
    );
  });

  it('given any division, when a sign is flipped, then only the sign of the result flips', () => {
    expectProperty(
      fc.property(wide, nonZero, (n, d) => {
        const q = divRoundHalfUp(n, d);
        same(divRoundHalfUp(-n, d), -q, '-n / d');
        same(divRoundHalfUp(n, -d), -q, 'n / -d');
        return same(divRoundHalfUp(-n, -d), q, '-n / -d');
      }),
      10_000,
    );
  });

  it('given any division, when rounded, then the error is at most half a unit', () => {
    expectProperty(
      fc.property(wide, nonZero, (n, d) => {
        const error = divRoundHalfUp(n, d) * d - n; // (q - n/d) * d
        return 2n * (error < 0n ? -error : error) <= (d < 0n ? -d : d);
      }),
      10_000,
    );
  });
});
