import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { priceTokens, priceUsage, type UsageLine } from './pricing.js';
import { expectProperty, same } from './testing/property.js';

const D = Decimal.clone({ precision: 200, rounding: Decimal.ROUND_HALF_UP });

/** Up to $1,000 per million tokens, to the nano-dollar; up to a billion tokens per line. */
const line: fc.Arbitrary<UsageLine> = fc.record({
  pricePerMillionNanos: fc.bigInt({ min: 0n, max: 1_000n * 1_000_000_000n }),
  tokens: fc.bigInt({ min: 0n, max: 1_000_000_000n }),
});
const lines = fc.array(line, { minLength: 1, maxLength: 5 });

/** The same cost in dollars with decimal.js, rounded to 9 places, back in nano-dollars. */
function reference(usage: ReadonlyArray<UsageLine>): bigint {
  const dollars = usage.reduce(
    (total, { pricePerMillionNanos, tokens }) =>
      total.plus(new D(pricePerMillionNanos.toString()).div(1e9).times(tokens.toString()).div(1e6)),
    new D(0),
  );
  return BigInt(dollars.toDecimalPlaces(9, Decimal.ROUND_HALF_UP).times(1e9).toFixed(0));
}

describe('priceUsage', () => {
  it('given one token of a $0.15 / 1M model, when priced, then it costs 150 nano-dollars', () => {
    expect(priceTokens(150_000_000n, 1n)).toBe(150n);
  });

  it('given 1,234 prompt tokens at $0.27 / 1M and 567 completion tokens at $1.10 / 1M, when priced, then it is $0.00095688', () => {
    const cost = priceUsage([
      { pricePerMillionNanos: 270_000_000n, tokens: 1_234n },
      { pricePerMillionNanos: 1_100_000_000n, tokens: 567n },
    ]);
    expect(cost).toBe(956_880n);
  });

  it.each([
    [1n, 499_999n, 0n],
    [1n, 500_000n, 1n],
    [1n, 1_500_000n, 2n],
    [123_457n, 10n, 1n],
    [2_500_000_000n, 7n, 17_500n],
  ])(
    'given %p nanos / 1M and %p tokens, when priced, then it rounds half-up to %p',
    (price, tokens, cost) => {
      expect(priceTokens(price, tokens)).toBe(cost);
    },
  );

  it('given two lines of half a nano-dollar each, when priced, then the request is rounded once (1n), not per line (2n)', () => {
    const half = { pricePerMillionNanos: 1n, tokens: 500_000n };
    expect(priceUsage([half, half])).toBe(1n);
    expect(priceTokens(1n, 500_000n) + priceTokens(1n, 500_000n)).toBe(2n);
  });

  it('given no lines or zero tokens, when priced, then it costs nothing', () => {
    expect(priceUsage([])).toBe(0n);
    expect(priceTokens(15_000_000_000n, 0n)).toBe(0n);
  });

  it('given a negative token count, when priced, then it is refused with a RangeError naming the line', () => {
    expect(() =>
      priceUsage([
        { pricePerMillionNanos: 1n, tokens: 1n },
        { pricePerMillionNanos: 1n, tokens: -1n },
      ]),
    ).toThrow(new RangeError('lines[1]: negative token count -1'));
  });

  it('given a negative price, when priced, then it is refused with a RangeError', () => {
    expect(() => priceTokens(-1n, 1n)).toThrow(new RangeError('lines[0]: negative price -1'));
  });

  it('given number fields at runtime (e.g. from JSON), when priced, then it is refused with a TypeError', () => {
    expect(() => priceTokens(150_000_000n, 10 as unknown as bigint)).toThrow(
      new TypeError('lines[0].tokens must be a bigint (nano-dollars), got number'),
    );
    expect(() => priceTokens(0.15 as unknown as bigint, 10n)).toThrow(TypeError);
  });

  it('given 1 to 5 random lines, when priced, then it equals decimal.js rounded to 9 places half-up', () => {
    expectProperty(
      fc.property(lines, (usage) => same(priceUsage(usage), reference(usage))),
      10_000,
    );
  });

  it('given random lines, when their order changes, then the cost does not', () => {
    expectProperty(
      fc.property(lines, (usage) => same(priceUsage([...usage].reverse()), priceUsage(usage))),
      5_000,
    );
  });
});
