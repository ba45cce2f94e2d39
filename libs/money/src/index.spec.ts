import * as money from './index.js';
import { formatUsd, formatUsdFixed, mulRatio, parseUsd, priceUsage, proportion } from './index.js';

describe('@billing/money entry point', () => {
  it('exports the public API that other libs and services depend on', () => {
    const functions = [
      'parseUsd',
      'tryParseUsd',
      'parseNanos',
      'formatUsd',
      'formatUsdFixed',
      'priceUsage',
      'priceTokens',
      'mulRatio',
      'proportion',
      'divRoundHalfUp',
      'sumUsd',
      'minUsd',
      'maxUsd',
      'absUsd',
      'assertFitsInt8',
      'MoneyParseError',
    ];
    for (const name of functions)
      expect(typeof (money as Record<string, unknown>)[name]).toBe('function');
    expect(money.NANOS_PER_USD).toBe(1_000_000_000n);
  });

  it('given the README examples, when run, then they give the documented results', () => {
    const cost = priceUsage([
      { pricePerMillionNanos: parseUsd('0.27'), tokens: 1_234n },
      { pricePerMillionNanos: parseUsd('1.10'), tokens: 567n },
    ]);
    expect(cost).toBe(956_880n);
    expect(formatUsd(cost)).toBe('0.00095688');
    expect(formatUsdFixed(cost, 2)).toBe('0.00');

    const topUp = parseUsd('100');
    const bonus = mulRatio(topUp, '0.20');
    expect(topUp).toBe(100_000_000_000n);
    expect(bonus).toBe(20_000_000_000n);
    expect(formatUsd(bonus)).toBe('20');
    expect(proportion(bonus, parseUsd('25'), topUp)).toBe(5_000_000_000n);
  });
});
