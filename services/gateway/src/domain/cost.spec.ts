import { describe, expect, it } from '@jest/globals';
import { parseUsd } from '@billing/money';
import type { ModelPrices } from './catalog.js';
import {
  capUsageToHold,
  costOfUsage,
  MIN_HOLD_NANOS,
  UNKNOWN_LIMIT_OUTPUT_TOKENS,
  worstCaseCost,
} from './cost.js';

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

describe('capUsageToHold: one request is never charged more than its hold covered', () => {
  const p = prices('1', '2', '0.1', '1.25');

  it('leaves usage that fits the hold alone', () => {
    const usage = { inputTokens: 100, outputTokens: 50 };
    // 100 × $1/M + 50 × $2/M = $0.0002.
    expect(costOfUsage(usage, p)).toBe(parseUsd('0.0002'));
    expect(capUsageToHold(usage, p, parseUsd('0.0002'))).toEqual({ usage, capped: false });
  });

  it('lowers the output (and reasoning within it) to the most the hold pays for', () => {
    const usage = { inputTokens: 100, outputTokens: 50, reasoningTokens: 40 };
    // $0.00015 pays the prompt ($0.0001) and 25 output tokens ($0.00005).
    const capped = capUsageToHold(usage, p, parseUsd('0.00015'));
    expect(capped).toEqual({
      usage: { inputTokens: 100, outputTokens: 25, reasoningTokens: 25 },
      capped: true,
    });
    expect(costOfUsage(capped.usage, p)).toBe(parseUsd('0.00015'));
  });

  it('lowers the prompt too when even no output fits, uncached tokens first, cache reads last', () => {
    const usage = { inputTokens: 1_000, outputTokens: 10, cachedInputTokens: 600 };
    // 600 cached × $0.1/M = $0.00006; the hold pays that and 100 uncached at $1/M.
    const capped = capUsageToHold(usage, p, parseUsd('0.00016'));
    expect(capped).toEqual({
      usage: { inputTokens: 700, outputTokens: 0, cachedInputTokens: 600 },
      capped: true,
    });
    expect(costOfUsage(capped.usage, p)).toBeLessThanOrEqual(parseUsd('0.00016'));
  });

  it('is priced like metering: uncached, cached reads, cache writes and output, rounded once', () => {
    const usage = { inputTokens: 3, outputTokens: 1, cachedInputTokens: 1, cacheWriteTokens: 1 };
    // (1 × 1 + 1 × 0.1 + 1 × 1.25 + 1 × 2) $/M = 4.35e-6 $ = 4,350 nano-dollars.
    expect(costOfUsage(usage, p)).toBe(4_350n);
  });

  it('never exceeds the hold, whatever the usage (exhaustive over small counts)', () => {
    for (let input = 0; input <= 40; input += 7) {
      for (let output = 0; output <= 40; output += 5) {
        for (const hold of [1n, 999n, 20_000n, 77_777n]) {
          const usage = { inputTokens: input, outputTokens: output, cacheWriteTokens: input >> 1 };
          const capped = capUsageToHold(usage, p, hold);
          expect(costOfUsage(capped.usage, p)).toBeLessThanOrEqual(hold);
          expect(capped.usage.outputTokens).toBeLessThanOrEqual(output);
          expect(capped.usage.inputTokens).toBeLessThanOrEqual(input);
        }
      }
    }
  });
});
