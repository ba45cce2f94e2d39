import { formatUsd } from '@billing/money';
import type { PriceCatalog, PriceVersion } from '../../domain/index.js';

/** One price version as the API shows it: USD per million tokens, decimal strings. */
export interface PriceView {
  /** The id UsageRecorded.priceVersion carries, e.g. `openai/gpt-5@2025-01-01T00:00:00.000Z`. */
  readonly version: string;
  readonly effectiveFrom: string;
  readonly perMillionTokens: {
    readonly input: string;
    readonly output: string;
    readonly cachedInput: string;
    readonly cacheWrite: string;
  };
}

export interface ModelView {
  readonly id: string;
  readonly displayName: string;
  readonly provider: string;
  readonly contextWindow: number;
  readonly maxOutputTokens: number;
  /** The price in force at the instant asked about; null if the model has none yet. */
  readonly price: PriceView | null;
  /** The next version already scheduled after that instant, if any. */
  readonly nextPrice: PriceView | null;
}

export interface ModelDetailsView extends ModelView {
  /** Every version, oldest first. */
  readonly versions: readonly PriceView[];
}

export function toPriceView(version: PriceVersion): PriceView {
  const p = version.perMillionTokens;
  return {
    version: version.versionId,
    effectiveFrom: version.effectiveFrom.toISOString(),
    perMillionTokens: {
      input: formatUsd(p.inputNanoUsd),
      output: formatUsd(p.outputNanoUsd),
      cachedInput: formatUsd(p.cachedInputNanoUsd),
      cacheWrite: formatUsd(p.cacheWriteNanoUsd),
    },
  };
}

/** Every model of the catalog with its price at `at`. */
export function modelViews(catalog: PriceCatalog, at: Date): ModelView[] {
  return catalog.entriesAt(at).map(({ model, current, next }) => ({
    id: model.modelId,
    displayName: model.displayName,
    provider: model.provider,
    contextWindow: model.contextWindow,
    maxOutputTokens: model.maxOutputTokens,
    price: current === undefined ? null : toPriceView(current),
    nextPrice: next === undefined ? null : toPriceView(next),
  }));
}

/** One model with its whole price history. */
export function modelDetailsView(
  catalog: PriceCatalog,
  modelId: string,
  at: Date,
): ModelDetailsView {
  const view = modelViews(catalog, at).find((m) => m.id === modelId);
  if (view === undefined) throw new Error(`model ${modelId} is not in the catalog`);
  return { ...view, versions: catalog.versionsOf(modelId).map(toPriceView) };
}
