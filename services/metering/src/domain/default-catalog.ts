// The catalog a fresh installation starts with, as data.
//
// These are the providers' public list prices per million tokens as of the time of writing
// (late 2025), in US dollars. They go stale: operators maintain them through
// `PUT /v1/admin/models/{modelId}`, which adds a new price version and leaves these in the history.
// They are all effective from 2025-01-01T00:00:00Z so that any realistic request start time finds
// a price; a newer price is a new version, never an edit of these.
//
// What the catalog cannot express, and how each entry simplifies it:
// - Long-context tiers: Gemini 2.5 Pro (prompts over 200k tokens) and Claude Sonnet 4.5 (over
//   200k, 1M-context beta) charge more for long prompts. The ≤200k tier is used here.
// - Anthropic has two cache-write prices (5-minute and 1-hour TTL); the 5-minute one is used.
// - Google bills context caching as a per-hour storage fee plus the cached-token price; storage is
//   not modelled, and writing the cache is billed as ordinary input (cacheWrite = input).
// - OpenAI charges nothing extra to write its automatic prompt cache (cacheWrite = input).
// Where a price is left out, `withDefaultPrices` applies: cachedInput and cacheWrite = input.
import {
  PriceCatalog,
  parseUsdPrices,
  priceVersionId,
  type ModelInfo,
  type PriceVersion,
  type UsdPricesPerMillionTokens,
} from './catalog.js';

export const DEFAULT_PRICES_EFFECTIVE_FROM = new Date('2025-01-01T00:00:00.000Z');

export interface DefaultModel extends ModelInfo {
  readonly usdPerMillionTokens: UsdPricesPerMillionTokens;
}

export const DEFAULT_MODELS: readonly DefaultModel[] = [
  {
    modelId: 'openai/gpt-5',
    displayName: 'GPT-5',
    provider: 'openai',
    contextWindow: 400_000,
    maxOutputTokens: 128_000,
    usdPerMillionTokens: { input: '1.25', output: '10', cachedInput: '0.125' },
  },
  {
    modelId: 'openai/gpt-5-mini',
    displayName: 'GPT-5 mini',
    provider: 'openai',
    contextWindow: 400_000,
    maxOutputTokens: 128_000,
    usdPerMillionTokens: { input: '0.25', output: '2', cachedInput: '0.025' },
  },
  {
    modelId: 'anthropic/claude-sonnet-4.5',
    displayName: 'Claude Sonnet 4.5',
    provider: 'anthropic',
    contextWindow: 200_000,
    maxOutputTokens: 64_000,
    usdPerMillionTokens: { input: '3', output: '15', cachedInput: '0.3', cacheWrite: '3.75' },
  },
  {
    modelId: 'anthropic/claude-haiku-4.5',
    displayName: 'Claude Haiku 4.5',
    provider: 'anthropic',
    contextWindow: 200_000,
    maxOutputTokens: 64_000,
    usdPerMillionTokens: { input: '1', output: '5', cachedInput: '0.1', cacheWrite: '1.25' },
  },
  {
    modelId: 'google/gemini-2.5-pro',
    displayName: 'Gemini 2.5 Pro',
    provider: 'google',
    contextWindow: 1_048_576,
    maxOutputTokens: 65_536,
    // The ≤200k-token prompt tier (see above).
    usdPerMillionTokens: { input: '1.25', output: '10', cachedInput: '0.31' },
  },
  {
    modelId: 'google/gemini-2.5-flash',
    displayName: 'Gemini 2.5 Flash',
    provider: 'google',
    contextWindow: 1_048_576,
    maxOutputTokens: 65_536,
    usdPerMillionTokens: { input: '0.3', output: '2.5', cachedInput: '0.075' },
  },
  // The simulated provider (CONTRACTS.md): no network, exact usage, priced like a real model so
  // that every flow, cache tokens included, can be exercised offline.
  {
    modelId: 'sim/echo-1',
    displayName: 'Echo 1 (simulated)',
    provider: 'sim',
    contextWindow: 128_000,
    maxOutputTokens: 16_384,
    usdPerMillionTokens: { input: '1', output: '2', cachedInput: '0.1', cacheWrite: '1.25' },
  },
  {
    modelId: 'sim/echo-mini',
    displayName: 'Echo mini (simulated)',
    provider: 'sim',
    contextWindow: 32_768,
    maxOutputTokens: 8_192,
    usdPerMillionTokens: { input: '0.1', output: '0.4', cachedInput: '0.01', cacheWrite: '0.125' },
  },
];

/** The first price version of each default model. */
export function defaultPriceVersions(): readonly PriceVersion[] {
  return DEFAULT_MODELS.map((model) => ({
    versionId: priceVersionId(model.modelId, DEFAULT_PRICES_EFFECTIVE_FROM),
    modelId: model.modelId,
    effectiveFrom: DEFAULT_PRICES_EFFECTIVE_FROM,
    perMillionTokens: parseUsdPrices(model.usdPerMillionTokens),
  }));
}

/** The default models, without their price sheets. */
export function defaultModels(): readonly ModelInfo[] {
  return DEFAULT_MODELS.map(
    ({ modelId, displayName, provider, contextWindow, maxOutputTokens }) => ({
      modelId,
      displayName,
      provider,
      contextWindow,
      maxOutputTokens,
    }),
  );
}

/** The catalog to seed an empty database with (and to run standalone on). */
export function defaultCatalog(): PriceCatalog {
  return PriceCatalog.of(defaultModels(), defaultPriceVersions());
}
