import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import {
  parseUsdPrices,
  priceVersionId,
  type PriceVersion,
  type UsdPricesPerMillionTokens,
} from './catalog.js';
import { DEFAULT_MODELS, defaultCatalog } from './default-catalog.js';
import { priceUsage, validateUsage, type TokenUsage } from './pricing.js';

// The independent computation: decimal.js on the USD strings of the price sheet, no libs/money.
// 80 significant digits hold 1e8 tokens × any 9-fraction-digit price exactly.
const Exact = Decimal.clone({ precision: 80 });

function referenceCostNanos(usd: UsdPricesPerMillionTokens, usage: TokenUsage): bigint {
  const cached = usage.cachedInputTokens ?? 0;
  const cacheWrite = usage.cacheWriteTokens ?? 0;
  const uncached = usage.inputTokens - cached - cacheWrite;
  const dollarsPerMillion = new Exact(usd.input)
    .times(uncached)
    .plus(new Exact(usd.cachedInput ?? usd.input).times(cached))
    .plus(new Exact(usd.cacheWrite ?? usd.input).times(cacheWrite))
    .plus(new Exact(usd.output).times(usage.outputTokens));
  const nanos = dollarsPerMillion.dividedBy(1_000_000).times(1_000_000_000);
  return BigInt(nanos.toDecimalPlaces(0, Decimal.ROUND_HALF_UP).toFixed(0));
}

function versionOf(modelId: string, usd: UsdPricesPerMillionTokens): PriceVersion {
  const effectiveFrom = new Date('2025-01-01T00:00:00Z');
  return {
    versionId: priceVersionId(modelId, effectiveFrom),
    modelId,
    effectiveFrom,
    perMillionTokens: parseUsdPrices(usd),
  };
}

function costOf(usage: TokenUsage, version: PriceVersion): bigint {
  const result = priceUsage(usage, version);
  if (!result.ok) throw new Error(result.error.message);
  return result.value.costNanoUsd;
}

function errorOf(usage: TokenUsage): string | undefined {
  const result = validateUsage(usage);
  return result.ok ? undefined : result.error.code;
}

const MAX_TOKENS = 100_000_000;

/** Usage that follows the accounting convention: cached + cache write ≤ input, reasoning ≤ output. */
const validUsage: fc.Arbitrary<TokenUsage> = fc
  .record({
    inputTokens: fc.integer({ min: 0, max: MAX_TOKENS }),
    outputTokens: fc.integer({ min: 0, max: MAX_TOKENS }),
  })
  .chain(({ inputTokens, outputTokens }) =>
    fc
      .record({
        cachedInputTokens: fc.integer({ min: 0, max: inputTokens }),
        reasoningTokens: fc.integer({ min: 0, max: outputTokens }),
      })
      .chain(({ cachedInputTokens, reasoningTokens }) =>
        fc.integer({ min: 0, max: inputTokens - cachedInputTokens }).map((cacheWriteTokens) => ({
          inputTokens,
          outputTokens,
          cachedInputTokens,
          cacheWriteTokens,
          reasoningTokens,
        })),
      ),
  );

/** A USD price with up to 9 fraction digits, written by hand (not by libs/money). */
const usdPrice = fc.bigInt({ min: 0n, max: 1_000_000_000_000n }).map((nanos) => {
  const fraction = (nanos % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return `${nanos / 1_000_000_000n}${fraction ? `.${fraction}` : ''}`;
});

describe('priceUsage: exact to the nano-dollar', () => {
  it('matches an independent big-decimal computation for every default model and random usage', () => {
    fc.assert(
      fc.property(fc.constantFrom(...DEFAULT_MODELS), validUsage, (model, usage) => {
        const version = versionOf(model.modelId, model.usdPerMillionTokens);
        expect(costOf(usage, version)).toBe(referenceCostNanos(model.usdPerMillionTokens, usage));
      }),
      { numRuns: 3000 },
    );
  });

  it('matches it for arbitrary prices with 9 fraction digits, where half-up rounding matters', () => {
    fc.assert(
      fc.property(
        fc.record({
          input: usdPrice,
          output: usdPrice,
          cachedInput: fc.option(usdPrice, { nil: undefined }),
          cacheWrite: fc.option(usdPrice, { nil: undefined }),
        }),
        validUsage,
        (usd, usage) => {
          expect(costOf(usage, versionOf('custom/model', usd))).toBe(
            referenceCostNanos(usd, usage),
          );
        },
      ),
      { numRuns: 3000 },
    );
  });

  // Every model × every token kind, at 1 token, just under a million and 10^8 tokens.
  const kinds: [string, (tokens: number) => TokenUsage][] = [
    ['uncached input', (n) => ({ inputTokens: n, outputTokens: 0 })],
    ['cached input', (n) => ({ inputTokens: n, outputTokens: 0, cachedInputTokens: n })],
    ['cache write', (n) => ({ inputTokens: n, outputTokens: 0, cacheWriteTokens: n })],
    ['output', (n) => ({ inputTokens: 0, outputTokens: n })],
  ];
  const rows = DEFAULT_MODELS.flatMap((model) =>
    kinds.map(([kind, usageOf]) => ({ modelId: model.modelId, kind, model, usageOf })),
  );

  it.each(rows)('$modelId, $kind tokens', ({ model, usageOf }) => {
    const version = versionOf(model.modelId, model.usdPerMillionTokens);
    for (const tokens of [0, 1, 999_999, 1_000_000, MAX_TOKENS]) {
      const usage = usageOf(tokens);
      expect(costOf(usage, version)).toBe(referenceCostNanos(model.usdPerMillionTokens, usage));
    }
  });
});

describe('priceUsage: the token accounting', () => {
  const sonnet = DEFAULT_MODELS.find((m) => m.modelId === 'anthropic/claude-sonnet-4.5');
  if (sonnet === undefined) throw new Error('claude-sonnet-4.5 missing from the default catalog');
  const sonnetVersion = versionOf(sonnet.modelId, sonnet.usdPerMillionTokens);

  it('bills input minus cached minus cache-write as input, each part at its own price', () => {
    // 2,000 uncached × $3 + 6,000 cached × $0.30 + 2,000 written × $3.75 + 1,500 out × $15
    // = $37,800 per million tokens = $0.0378.
    const result = priceUsage(
      {
        inputTokens: 10_000,
        cachedInputTokens: 6_000,
        cacheWriteTokens: 2_000,
        outputTokens: 1_500,
        reasoningTokens: 500,
      },
      sonnetVersion,
    );

    expect(result).toEqual({
      ok: true,
      value: {
        costNanoUsd: 37_800_000n,
        priceVersion: 'anthropic/claude-sonnet-4.5@2025-01-01T00:00:00.000Z',
        billed: {
          uncachedInputTokens: 2_000n,
          cachedInputTokens: 6_000n,
          cacheWriteTokens: 2_000n,
          outputTokens: 1_500n,
        },
      },
    });
  });

  it('bills reasoning tokens once, as part of the output tokens', () => {
    fc.assert(
      fc.property(validUsage, (usage) => {
        const without = { ...usage, reasoningTokens: undefined };
        const allReasoning = { ...usage, reasoningTokens: usage.outputTokens };
        expect(costOf(usage, sonnetVersion)).toBe(costOf(without, sonnetVersion));
        expect(costOf(allReasoning, sonnetVersion)).toBe(costOf(without, sonnetVersion));
      }),
      { numRuns: 300 },
    );
  });

  it('treats missing optional counts as zero', () => {
    expect(costOf({ inputTokens: 1_000_000, outputTokens: 0 }, sonnetVersion)).toBe(3_000_000_000n);
    expect(costOf({ inputTokens: 0, outputTokens: 0 }, sonnetVersion)).toBe(0n);
  });

  it('returns the version id it priced with', () => {
    const result = priceUsage({ inputTokens: 1, outputTokens: 1 }, sonnetVersion);

    expect(result.ok && result.value.priceVersion).toBe(sonnetVersion.versionId);
  });

  it('prices with the version in force at the start, through the catalog', () => {
    const catalog = defaultCatalog();
    const version = catalog.priceAt('openai/gpt-5', new Date('2026-06-01T00:00:00Z'));
    if (version === undefined) throw new Error('gpt-5 is not priced');

    // 1,000 in (200 cached) and 100 out: 800 × $1.25 + 200 × $0.125 + 100 × $10 = $2,025 / 1M.
    expect(costOf({ inputTokens: 1_000, cachedInputTokens: 200, outputTokens: 100 }, version)).toBe(
      2_025_000n,
    );
  });
});

describe('priceUsage: rounding', () => {
  it('rounds half a nano-dollar up', () => {
    const version = versionOf('custom/model', { input: '0.0005', output: '0.000499999' });

    expect(costOf({ inputTokens: 1, outputTokens: 0 }, version)).toBe(1n); // 0.5 nano
    expect(costOf({ inputTokens: 0, outputTokens: 1 }, version)).toBe(0n); // 0.499999 nano
    expect(costOf({ inputTokens: 3, outputTokens: 0 }, version)).toBe(2n); // 1.5 nano
  });

  it('rounds once per request, not once per kind of token', () => {
    // 0.4 nano of input + 0.4 nano of output = 0.8 nano -> 1; rounding each would give 0.
    const version = versionOf('custom/model', { input: '0.0004', output: '0.0004' });

    expect(costOf({ inputTokens: 1, outputTokens: 1 }, version)).toBe(1n);
  });

  it('stays exact far beyond what a float can hold', () => {
    const version = versionOf('custom/model', { input: '999999.999999999', output: '0' });

    // 10^8 tokens × $999,999.999999999 / 1M = $99,999,999.9999999: past 2^53 nano-dollars.
    expect(costOf({ inputTokens: MAX_TOKENS, outputTokens: 0 }, version)).toBe(
      99_999_999_999_999_900n,
    );
  });
});

describe('validateUsage: METERING.INVALID_USAGE', () => {
  it('refuses cached tokens beyond the input tokens (inputTokens must include them)', () => {
    expect(errorOf({ inputTokens: 10, cachedInputTokens: 11, outputTokens: 0 })).toBe(
      'METERING.INVALID_USAGE',
    );
  });

  it('refuses cached plus cache-write tokens beyond the input tokens', () => {
    expect(
      errorOf({ inputTokens: 10, cachedInputTokens: 6, cacheWriteTokens: 5, outputTokens: 0 }),
    ).toBe('METERING.INVALID_USAGE');
    expect(
      errorOf({ inputTokens: 10, cachedInputTokens: 5, cacheWriteTokens: 5, outputTokens: 0 }),
    ).toBeUndefined();
  });

  it('refuses reasoning tokens beyond the output tokens (outputTokens must include them)', () => {
    expect(errorOf({ inputTokens: 0, outputTokens: 10, reasoningTokens: 11 })).toBe(
      'METERING.INVALID_USAGE',
    );
  });

  it('refuses counts that are not non-negative safe integers', () => {
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      expect(errorOf({ inputTokens: bad, outputTokens: 0 })).toBe('METERING.INVALID_USAGE');
      expect(errorOf({ inputTokens: 0, outputTokens: bad })).toBe('METERING.INVALID_USAGE');
      expect(errorOf({ inputTokens: 5, outputTokens: 5, cachedInputTokens: bad })).toBe(
        'METERING.INVALID_USAGE',
      );
    }
    expect(errorOf({ inputTokens: '5', outputTokens: 0 } as unknown as TokenUsage)).toBe(
      'METERING.INVALID_USAGE',
    );
    expect(errorOf({ outputTokens: 0 } as unknown as TokenUsage)).toBe('METERING.INVALID_USAGE');
  });

  it('names every problem in the message and prices nothing', () => {
    const result = priceUsage(
      { inputTokens: -1, outputTokens: 1.5 },
      versionOf('custom/model', { input: '1', output: '1' }),
    );

    expect(result.ok).toBe(false);
    expect(!result.ok && result.error.message).toMatch(/inputTokens.*outputTokens/);
  });
});
