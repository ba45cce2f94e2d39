import { describe, expect, it } from '@jest/globals';
import { parseUsd } from '@billing/money';
import type { ModelPrices } from './catalog.js';
import { MIN_HOLD_NANOS, UNKNOWN_LIMIT_OUTPUT_TOKENS, worstCaseCost } from './cost.js';

const prices = (input: string, output: string, cached = input, write = input): ModelPrices => ({
  version: 'v',
  effectiveFromMs: 0,
  inputNanos: parseUsd(input),
  outputNanos: parseUsd(output),
  cachedInputNanos: parseUsd(cached),
  cacheWriteNanos: parseUsd(write),
});

describe('worstCaseCost', () => {
  it('is the prompt at the input price plus the requested output at the output price', () => {
    // gpt-5: $1.25/M in, $10/M out; 1,000 prompt tokens + 500 output = 0.00125 + 0.005.
    const worst = worstCaseCost({
      promptTokens: 1_000,
      requestedMaxOutputTokens: 500,
      choices: 1,
      model: { maxOutputTokens: 128_000 },
      prices: prices('1.25', '10', '0.125'),
    });
    expect(worst).toEqual({ outputTokens: 500, costNanos: parseUsd('0.00625') });
  });

  it("uses the model's output limit when none is requested, and caps a larger request at it", () => {
    const base = {
      promptTokens: 0,
      choices: 1,
      model: { maxOutputTokens: 1_000 },
      prices: prices('1', '2'),
    };
    expect(worstCaseCost({ ...base, requestedMaxOutputTokens: undefined }).outputTokens).toBe(
      1_000,
    );
    expect(worstCaseCost({ ...base, requestedMaxOutputTokens: 10_000_000 }).outputTokens).toBe(
      1_000,
    );
    expect(
      worstCaseCost({ ...base, model: { maxOutputTokens: 0 }, requestedMaxOutputTokens: undefined })
        .outputTokens,
    ).toBe(UNKNOWN_LIMIT_OUTPUT_TOKENS);
  });

  it('multiplies the output budget by n', () => {
    const worst = worstCaseCost({
      promptTokens: 0,
      requestedMaxOutputTokens: 100,
      choices: 3,
      model: { maxOutputTokens: 1_000 },
      prices: prices('1', '2'),
    });
    expect(worst.outputTokens).toBe(300);
  });

  it('prices the prompt at the dearest input price (a cache write can cost more than input)', () => {
    const worst = worstCaseCost({
      promptTokens: 1_000_000,
      requestedMaxOutputTokens: 1,
      choices: 1,
      model: { maxOutputTokens: 1 },
      prices: prices('3', '0', '0.3', '3.75'),
    });
    expect(worst.costNanos).toBe(parseUsd('3.75'));
  });

  it('rounds once, half-up, to the nano-dollar, and never holds zero', () => {
    // 1 token at $0.0005/M = 0.5 nano → 1 nano (half-up).
    const half = worstCaseCost({
      promptTokens: 1,
      requestedMaxOutputTokens: 1,
      choices: 1,
      model: { maxOutputTokens: 1 },
      prices: prices('0.0005', '0'),
    });
    expect(half.costNanos).toBe(1n);
    const free = worstCaseCost({
      promptTokens: 10,
      requestedMaxOutputTokens: 10,
      choices: 1,
      model: { maxOutputTokens: 10 },
      prices: prices('0', '0'),
    });
    expect(free.costNanos).toBe(MIN_HOLD_NANOS);
  });
});
