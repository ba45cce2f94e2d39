// What a request costs. The token accounting below is the one convention every producer of
// UsageObserved must follow; the gateway normalises each provider's usage report into it.
//
//   inputTokens        ALL prompt tokens: uncached + cachedInputTokens + cacheWriteTokens
//                      (OpenAI's prompt_tokens and OpenRouter's convention; Anthropic reports the
//                      three separately, so the gateway adds them up).
//   cachedInputTokens  the part of inputTokens read from the prompt cache, at the cachedInput price.
//   cacheWriteTokens   the part of inputTokens written into the prompt cache, at the cacheWrite
//                      price (Anthropic's cache_creation_input_tokens).
//   outputTokens       ALL generated tokens, reasoning included (OpenAI's completion_tokens;
//                      Gemini reports thoughts separately, so the gateway adds them up).
//   reasoningTokens    the part of outputTokens spent thinking. Informational: it is billed as
//                      part of outputTokens at the output price, never a second time.
//
// so:  cost = (input − cached − cacheWrite) × input price + cached × cachedInput price
//             + cacheWrite × cacheWrite price + output × output price,   per million tokens,
// summed exactly and rounded once, half-up, to the nano-dollar (libs/money `priceUsage`).
import { priceUsage as priceLines } from '@billing/money';
import type { PriceVersion } from './catalog.js';
import { fail, ok, type Result } from './errors.js';

/** Token counts as they arrive in UsageObserved (JSON numbers: non-negative safe integers). */
export interface TokenUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cachedInputTokens?: number | undefined;
  readonly cacheWriteTokens?: number | undefined;
  readonly reasoningTokens?: number | undefined;
}

/** The tokens billed under each price; they add up to inputTokens + outputTokens. */
export interface BilledTokens {
  readonly uncachedInputTokens: bigint;
  readonly cachedInputTokens: bigint;
  readonly cacheWriteTokens: bigint;
  readonly outputTokens: bigint;
}

export interface PricedUsage {
  readonly costNanoUsd: bigint;
  /** The `versionId` of the price used: `UsageRecorded.priceVersion`. */
  readonly priceVersion: string;
  readonly billed: BilledTokens;
}

/**
 * Checks the token accounting and splits the prompt into its billed parts.
 * `METERING.INVALID_USAGE` when a count is not a non-negative safe integer, when cached plus
 * cache-write tokens exceed the input tokens, or when reasoning tokens exceed the output tokens.
 */
export function validateUsage(usage: TokenUsage): Result<BilledTokens> {
  const problems: string[] = [];
  const count = (name: keyof TokenUsage, required: boolean): bigint => {
    const value: unknown = usage[name];
    if (value === undefined && !required) return 0n;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      problems.push(`${name} must be a non-negative integer, got ${describe(value)}`);
      return 0n;
    }
    return BigInt(value);
  };
  const input = count('inputTokens', true);
  const output = count('outputTokens', true);
  const cached = count('cachedInputTokens', false);
  const cacheWrite = count('cacheWriteTokens', false);
  const reasoning = count('reasoningTokens', false);
  if (problems.length === 0) {
    if (cached + cacheWrite > input) {
      problems.push(
        `cachedInputTokens (${cached}) + cacheWriteTokens (${cacheWrite}) exceed inputTokens ` +
          `(${input}); inputTokens must include cached and cache-write tokens`,
      );
    }
    if (reasoning > output) {
      problems.push(
        `reasoningTokens (${reasoning}) exceed outputTokens (${output}); ` +
          'outputTokens must include reasoning tokens',
      );
    }
  }
  if (problems.length > 0) return fail('METERING.INVALID_USAGE', problems.join('; '));
  return ok({
    uncachedInputTokens: input - cached - cacheWrite,
    cachedInputTokens: cached,
    cacheWriteTokens: cacheWrite,
    outputTokens: output,
  });
}

/**
 * The cost of one request at `price` (the version `PriceCatalog.priceAt` found for its start).
 * Exact: one sum of price × tokens over the four kinds, then a single half-up rounding to the
 * nano-dollar, so a request is never off by more than half a nano-dollar.
 */
export function priceUsage(usage: TokenUsage, price: PriceVersion): Result<PricedUsage> {
  const billed = validateUsage(usage);
  if (!billed.ok) return billed;
  const tokens = billed.value;
  const prices = price.perMillionTokens;
  const costNanoUsd = priceLines([
    { pricePerMillionNanos: prices.inputNanoUsd, tokens: tokens.uncachedInputTokens },
    { pricePerMillionNanos: prices.cachedInputNanoUsd, tokens: tokens.cachedInputTokens },
    { pricePerMillionNanos: prices.cacheWriteNanoUsd, tokens: tokens.cacheWriteTokens },
    { pricePerMillionNanos: prices.outputNanoUsd, tokens: tokens.outputTokens },
  ]);
  return ok({ costNanoUsd, priceVersion: price.versionId, billed: tokens });
}

function describe(value: unknown): string {
  return typeof value === 'number' ? String(value) : typeof value;
}
