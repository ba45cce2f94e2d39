// The admission estimate: what a request can cost at most, which the gateway holds on the ledger
// before calling the upstream (DESIGN.md, "Holds").
import { priceUsage, type NanoUsd } from '@billing/money';
import type { CatalogModel, ModelPrices } from './catalog.js';

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
