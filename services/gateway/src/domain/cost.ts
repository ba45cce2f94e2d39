// The admission estimate: what a request can cost at most, which the gateway holds on the ledger
// before calling the upstream (DESIGN.md, "Holds").
import { priceUsage, type NanoUsd } from '@billing/money';
import type { CatalogModel, ModelPrices } from './catalog.js';
import type { TokenUsage } from './usage.js';

export interface WorstCaseInput {
  readonly promptTokens: number;
  /** What the client asked for (`max_completion_tokens` / `max_tokens`), if anything. */
  readonly requestedMaxOutputTokens: number | undefined;
  /** `n`: every choice can use the whole output budget. */
  readonly choices: number;
  readonly model: Pick<CatalogModel, 'maxOutputTokens'>;
  readonly prices: ModelPrices;
}

export interface WorstCase {
  /** The output tokens assumed: the requested limit, capped by the model's own limit. */
  readonly outputTokens: number;
  readonly costNanos: NanoUsd;
}

/** Assumed when the catalog gives a model no output limit (0) and the client sets none. */
export const UNKNOWN_LIMIT_OUTPUT_TOKENS = 32_768;

/** The hold must be positive (the ledger refuses a zero hold), even for a free model. */
export const MIN_HOLD_NANOS = 1n;

/**
 * Prompt tokens at the dearest input price (a prompt may turn out to be a cache write, which
 * costs more than plain input at some providers) plus every choice's full output budget at the
 * output price, rounded once, half-up, like every price (libs/money `priceUsage`).
 *
 * The output budget is the requested limit, but never more than the model can produce: a client
 * asking for `max_tokens: 10_000_000` is not refused for money it could never spend.
 */
export function worstCaseCost(input: WorstCaseInput): WorstCase {
  const limit = input.model.maxOutputTokens;
  const requested = input.requestedMaxOutputTokens;
  const perChoice =
    limit > 0 ? Math.min(requested ?? limit, limit) : (requested ?? UNKNOWN_LIMIT_OUTPUT_TOKENS);
  const outputTokens = perChoice * input.choices;
  const p = input.prices;
  const inputPrice = [p.inputNanos, p.cachedInputNanos, p.cacheWriteNanos].reduce((a, b) =>
    a > b ? a : b,
  );
  const cost = priceUsage([
    { pricePerMillionNanos: inputPrice, tokens: BigInt(input.promptTokens) },
    { pricePerMillionNanos: p.outputNanos, tokens: BigInt(outputTokens) },
  ]);
  return { outputTokens, costNanos: cost < MIN_HOLD_NANOS ? MIN_HOLD_NANOS : cost };
}

/**
 * What metering will charge for this usage at these prices, by its formula
 * (services/metering/src/domain/pricing.ts): the uncached prompt at the input price, cached
 * reads and cache writes at theirs, all output (reasoning included) at the output price, summed
 * exactly and rounded once, half-up.
 */
export function costOfUsage(usage: TokenUsage, prices: ModelPrices): NanoUsd {
  const cached = BigInt(usage.cachedInputTokens ?? 0);
  const write = BigInt(usage.cacheWriteTokens ?? 0);
  const uncached = BigInt(usage.inputTokens) - cached - write;
  return priceUsage([
    { pricePerMillionNanos: prices.inputNanos, tokens: uncached < 0n ? 0n : uncached },
    { pricePerMillionNanos: prices.cachedInputNanos, tokens: cached },
    { pricePerMillionNanos: prices.cacheWriteNanos, tokens: write },
    { pricePerMillionNanos: prices.outputNanos, tokens: BigInt(usage.outputTokens) },
  ]);
}

export interface CappedUsage {
  readonly usage: TokenUsage;
  /** True when the tokens were lowered to fit the hold. */
  readonly capped: boolean;
}

/**
 * The usage to report, so that one request is never charged more than its hold covered. A
 * request should fit its hold by construction (worstCaseCost), but the hold rests on the
 * gateway's own count of the prompt, and an upstream may report more than it was asked for (a
 * prompt tokenised differently, output past `max_tokens`). The excess is the platform's loss,
 * never the customer's debt: output tokens are lowered first, then prompt tokens (uncached
 * before cache writes before cache reads), to the most that the hold still pays for.
 */
export function capUsageToHold(
  usage: TokenUsage,
  prices: ModelPrices,
  holdNanos: NanoUsd,
): CappedUsage {
  if (costOfUsage(usage, prices) <= holdNanos) return { usage, capped: false };
  const withOutput = (output: number): TokenUsage => {
    const { reasoningTokens, ...rest } = usage;
    const reasoning = Math.min(reasoningTokens ?? 0, output);
    return { ...rest, outputTokens: output, ...(reasoning > 0 && { reasoningTokens: reasoning }) };
  };
  const output = largestFitting(usage.outputTokens, (n) => withOutput(n), prices, holdNanos);
  if (output !== undefined) return { usage: withOutput(output), capped: true };
  const withInput = (input: number): TokenUsage => {
    const cached = Math.min(usage.cachedInputTokens ?? 0, input);
    const write = Math.min(usage.cacheWriteTokens ?? 0, input - cached);
    return {
      inputTokens: input,
      outputTokens: 0,
      ...(cached > 0 && { cachedInputTokens: cached }),
      ...(write > 0 && { cacheWriteTokens: write }),
    };
  };
  // Zero tokens cost zero, so some count always fits.
  const input = largestFitting(usage.inputTokens, withInput, prices, holdNanos) ?? 0;
  return { usage: withInput(input), capped: true };
}

/** The largest n in [0, max] whose usage costs at most the hold (cost grows with n), if any. */
function largestFitting(
  max: number,
  usageOf: (n: number) => TokenUsage,
  prices: ModelPrices,
  holdNanos: NanoUsd,
): number | undefined {
  const fits = (n: number): boolean => costOfUsage(usageOf(n), prices) <= holdNanos;
  if (!fits(0)) return undefined;
  let low = 0;
  let high = max;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (fits(mid)) low = mid;
    else high = mid - 1;
  }
  return low;
}
