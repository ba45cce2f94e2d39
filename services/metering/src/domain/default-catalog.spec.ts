import { priceVersionId } from './catalog.js';
import {
  DEFAULT_MODELS,
  DEFAULT_PRICES_EFFECTIVE_FROM,
  defaultCatalog,
  defaultPriceVersions,
} from './default-catalog.js';

const at = new Date('2026-01-01T00:00:00Z');

describe('the default catalog', () => {
  it('builds, and prices every model it lists', () => {
    const catalog = defaultCatalog();

    expect(catalog.models).toHaveLength(DEFAULT_MODELS.length);
    for (const model of catalog.models) {
      expect(catalog.priceAt(model.modelId, at)).toBeDefined();
    }
  });

  it('holds the public list prices per million tokens, in nano-dollars', () => {
    const catalog = defaultCatalog();
    const prices = (modelId: string): bigint[] => {
      const p = catalog.priceAt(modelId, at)?.perMillionTokens;
      if (p === undefined) throw new Error(`${modelId} is not priced`);
      return [p.inputNanoUsd, p.outputNanoUsd, p.cachedInputNanoUsd, p.cacheWriteNanoUsd];
    };
    const usd = 1_000_000_000n;

    // [input, output, cached input, cache write]; cache write = input where the provider has none.
    expect(prices('openai/gpt-5')).toEqual([
      1_250_000_000n,
      10n * usd,
      125_000_000n,
      1_250_000_000n,
    ]);
    expect(prices('openai/gpt-5-mini')).toEqual([
      250_000_000n,
      2n * usd,
      25_000_000n,
      250_000_000n,
    ]);
    expect(prices('anthropic/claude-sonnet-4.5')).toEqual([
      3n * usd,
      15n * usd,
      300_000_000n,
      3_750_000_000n,
    ]);
    expect(prices('anthropic/claude-haiku-4.5')).toEqual([
      1n * usd,
      5n * usd,
      100_000_000n,
      1_250_000_000n,
    ]);
    expect(prices('google/gemini-2.5-pro')).toEqual([
      1_250_000_000n,
      10n * usd,
      310_000_000n,
      1_250_000_000n,
    ]);
    expect(prices('google/gemini-2.5-flash')).toEqual([
      300_000_000n,
      2_500_000_000n,
      75_000_000n,
      300_000_000n,
    ]);
    expect(prices('sim/echo-1')).toEqual([1n * usd, 2n * usd, 100_000_000n, 1_250_000_000n]);
    expect(prices('sim/echo-mini')).toEqual([
      100_000_000n,
      400_000_000n,
      10_000_000n,
      125_000_000n,
    ]);
  });

  it('makes every price effective from 2025-01-01T00:00:00Z, with a readable version id', () => {
    for (const version of defaultPriceVersions()) {
      expect(version.effectiveFrom).toEqual(new Date('2025-01-01T00:00:00Z'));
      expect(version.versionId).toBe(
        priceVersionId(version.modelId, DEFAULT_PRICES_EFFECTIVE_FROM),
      );
      expect(version.versionId).toBe(`${version.modelId}@2025-01-01T00:00:00.000Z`);
    }
  });

  it('has no price before 2025, so an absurd start time is not priced', () => {
    expect(
      defaultCatalog().priceAt('openai/gpt-5', new Date('2024-12-31T23:59:59.999Z')),
    ).toBeUndefined();
  });

  it('includes the simulated models the offline flows depend on', () => {
    const ids = defaultCatalog().models.map((m) => m.modelId);

    expect(ids).toEqual(expect.arrayContaining(['sim/echo-1', 'sim/echo-mini']));
  });

  it('returns a fresh catalog each time (nothing shared to mutate)', () => {
    expect(defaultCatalog()).not.toBe(defaultCatalog());
    expect(defaultCatalog()).toEqual(defaultCatalog());
  });
});
