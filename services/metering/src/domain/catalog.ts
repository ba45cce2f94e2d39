// The price catalog: models, and for each model a history of price versions. A request is priced
// at the version in force when it started, so a price change never reaches back into a request
// that was already running, and re-pricing the same usage years later gives the same answer.
import { PG_INT8_MAX, parseUsd } from '@billing/money';

/** `<provider>/<name>`, e.g. `openai/gpt-5` or `sim/echo-1`. No '@': it separates version ids. */
export const MODEL_ID_PATTERN = /^[a-z0-9][a-z0-9-]*\/[A-Za-z0-9][A-Za-z0-9._:/-]*$/;

/** Leaves room in the 200-character `priceVersion` id for '@' and a timestamp. */
export const MAX_MODEL_ID_LENGTH = 150;

/** What a model is. Descriptive only: it is not versioned, and nothing is priced from it. */
export interface ModelInfo {
  readonly modelId: string;
  readonly displayName: string;
  /** Who serves it upstream (`openai`, `anthropic`, `google`, `sim`, ...). */
  readonly provider: string;
  /** Input plus output tokens the model can attend to. */
  readonly contextWindow: number;
  readonly maxOutputTokens: number;
}

/**
 * Prices of one million tokens of each kind, in nano-dollars ($1.25 / 1M = 1_250_000_000n).
 * See pricing.ts for which tokens fall under which price.
 */
export interface PricesPerMillionTokens {
  /** Prompt tokens read neither from nor into a cache. */
  readonly inputNanoUsd: bigint;
  readonly outputNanoUsd: bigint;
  /** Prompt tokens served from the provider's prompt cache (a cache hit, a "cache read"). */
  readonly cachedInputNanoUsd: bigint;
  /** Prompt tokens written into the provider's prompt cache (Anthropic's cache creation). */
  readonly cacheWriteNanoUsd: bigint;
}

/** A price sheet as decimal USD strings per million tokens: the admin API's and the seed's form. */
export interface UsdPricesPerMillionTokens {
  readonly input: string;
  readonly output: string;
  /** Defaults to `input`: see `withDefaultPrices`. */
  readonly cachedInput?: string;
  /** Defaults to `input`: see `withDefaultPrices`. */
  readonly cacheWrite?: string;
}

/** One price of one model from `effectiveFrom` on, until the next version of the same model. */
export interface PriceVersion {
  /** Opaque and stable; `UsageRecorded.priceVersion` carries it. See `priceVersionId`. */
  readonly versionId: string;
  readonly modelId: string;
  /** Inclusive: a request that started exactly at this instant gets this price. */
  readonly effectiveFrom: Date;
  readonly perMillionTokens: PricesPerMillionTokens;
}

/**
 * The id of the version of `modelId` effective from `effectiveFrom`, e.g.
 * `openai/gpt-5@2025-01-01T00:00:00.000Z`. A model has at most one version per instant, so this
 * identifies it; and it reads well in a request log or an audit years later, where a random id
 * would need a lookup in a table that may have been migrated since.
 */
export function priceVersionId(modelId: string, effectiveFrom: Date): string {
  return `${modelId}@${effectiveFrom.toISOString()}`;
}

/**
 * Fills in the optional prices. A provider that gives no discount for cache reads, or charges no
 * premium for cache writes, bills those tokens as ordinary input; so the default for both is the
 * input price. It is never zero: a missing price must not make tokens free.
 */
export function withDefaultPrices(prices: {
  readonly input: bigint;
  readonly output: bigint;
  readonly cachedInput?: bigint | undefined;
  readonly cacheWrite?: bigint | undefined;
}): PricesPerMillionTokens {
  return {
    inputNanoUsd: prices.input,
    outputNanoUsd: prices.output,
    cachedInputNanoUsd: prices.cachedInput ?? prices.input,
    cacheWriteNanoUsd: prices.cacheWrite ?? prices.input,
  };
}

/** Parses a trusted price sheet (the shipped catalog); throws MoneyParseError on a typo in it. */
export function parseUsdPrices(prices: UsdPricesPerMillionTokens): PricesPerMillionTokens {
  return withDefaultPrices({
    input: parseUsd(prices.input),
    output: parseUsd(prices.output),
    cachedInput: prices.cachedInput === undefined ? undefined : parseUsd(prices.cachedInput),
    cacheWrite: prices.cacheWrite === undefined ? undefined : parseUsd(prices.cacheWrite),
  });
}

/** True when two price sheets are the same to the nano-dollar. */
export function samePrices(a: PricesPerMillionTokens, b: PricesPerMillionTokens): boolean {
  return (
    a.inputNanoUsd === b.inputNanoUsd &&
    a.outputNanoUsd === b.outputNanoUsd &&
    a.cachedInputNanoUsd === b.cachedInputNanoUsd &&
    a.cacheWriteNanoUsd === b.cacheWriteNanoUsd
  );
}

/** A model and the price in force at some instant (undefined: not priced at that instant). */
export interface CatalogEntry {
  readonly model: ModelInfo;
  readonly current: PriceVersion | undefined;
  /** The next version already scheduled after the instant, if any. */
  readonly next: PriceVersion | undefined;
}

/**
 * An immutable catalog. Built once from storage (or the default catalog) and swapped whole when
 * an admin changes a price, so a pricing call never sees a half-applied update.
 */
export class PriceCatalog {
  private constructor(
    private readonly modelsById: ReadonlyMap<string, ModelInfo>,
    /** Per model, sorted by effectiveFrom ascending, one version per instant. */
    private readonly versionsByModel: ReadonlyMap<string, readonly PriceVersion[]>,
  ) {}

  /**
   * @throws Error when the data breaks an invariant: a malformed or duplicate model id, a version
   *   of an unknown model, two versions of a model at the same instant, a duplicate version id,
   *   an invalid date, or a negative price. Such data is a bug or a corrupt table, never
   *   something to price with.
   */
  static of(models: readonly ModelInfo[], versions: readonly PriceVersion[]): PriceCatalog {
    const modelsById = new Map<string, ModelInfo>();
    for (const model of models) {
      assertModel(model);
      if (modelsById.has(model.modelId)) throw new Error(`duplicate model ${model.modelId}`);
      modelsById.set(model.modelId, model);
    }
    const versionsByModel = new Map<string, PriceVersion[]>();
    const versionIds = new Set<string>();
    for (const version of versions) {
      assertVersion(version);
      if (!modelsById.has(version.modelId)) {
        throw new Error(`price version ${version.versionId} of unknown model ${version.modelId}`);
      }
      if (versionIds.has(version.versionId)) {
        throw new Error(`duplicate price version id ${version.versionId}`);
      }
      versionIds.add(version.versionId);
      const list = versionsByModel.get(version.modelId) ?? [];
      list.push(version);
      versionsByModel.set(version.modelId, list);
    }
    for (const [modelId, list] of versionsByModel) {
      list.sort((a, b) => a.effectiveFrom.getTime() - b.effectiveFrom.getTime());
      for (let i = 1; i < list.length; i += 1) {
        if (list[i]?.effectiveFrom.getTime() === list[i - 1]?.effectiveFrom.getTime()) {
          throw new Error(
            `two price versions of ${modelId} effective from ${list[i]?.effectiveFrom.toISOString()}`,
          );
        }
      }
    }
    return new PriceCatalog(modelsById, versionsByModel);
  }

  static empty(): PriceCatalog {
    return PriceCatalog.of([], []);
  }

  /** Every model, in the order given. */
  get models(): readonly ModelInfo[] {
    return [...this.modelsById.values()];
  }

  model(modelId: string): ModelInfo | undefined {
    return this.modelsById.get(modelId);
  }

  /** Every version of a model, oldest first. */
  versionsOf(modelId: string): readonly PriceVersion[] {
    return this.versionsByModel.get(modelId) ?? [];
  }

  /**
   * The version in force when a request started: the one with the latest `effectiveFrom` that is
   * not after `startedAt`. Undefined for an unknown model, and for a request that started before
   * the model's first price: the caller sends such usage to the DLQ; it is never priced at zero.
   *
   * @throws RangeError on an invalid Date: the caller failed to validate `startedAt`.
   */
  priceAt(modelId: string, startedAt: Date): PriceVersion | undefined {
    const time = startedAt.getTime();
    if (Number.isNaN(time)) throw new RangeError(`invalid startedAt for ${modelId}`);
    const list = this.versionsByModel.get(modelId);
    if (list === undefined) return undefined;
    // Binary search for the last version with effectiveFrom <= time.
    let low = 0;
    let high = list.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const version = list[middle];
      if (version !== undefined && version.effectiveFrom.getTime() <= time) low = middle + 1;
      else high = middle;
    }
    return low === 0 ? undefined : list[low - 1];
  }

  /** Every model with its price at `now` and the next scheduled one: what `GET /v1/models` shows. */
  entriesAt(now: Date): readonly CatalogEntry[] {
    return this.models.map((model) => {
      const current = this.priceAt(model.modelId, now);
      const next = this.versionsOf(model.modelId).find(
        (version) => version.effectiveFrom.getTime() > now.getTime(),
      );
      return { model, current, next };
    });
  }

  /**
   * A new catalog with `model` added or its description replaced, and `version` (if given) added.
   *
   * @throws Error as `of` does, for example when the model already has a version at that instant.
   */
  with(model: ModelInfo, version?: PriceVersion): PriceCatalog {
    const models = [...this.modelsById.values()].filter((m) => m.modelId !== model.modelId);
    const versions = [...this.versionsByModel.values()].flat();
    return PriceCatalog.of([...models, model], version ? [...versions, version] : versions);
  }
}

function assertModel(model: ModelInfo): void {
  const { modelId, contextWindow, maxOutputTokens } = model;
  if (!isModelId(modelId)) throw new Error(`invalid model id ${JSON.stringify(modelId)}`);
  if (model.displayName.length === 0 || model.provider.length === 0) {
    throw new Error(`model ${modelId} needs a display name and a provider`);
  }
  if (!isPositiveInteger(contextWindow) || !isPositiveInteger(maxOutputTokens)) {
    throw new Error(`model ${modelId}: token limits must be positive integers`);
  }
  if (maxOutputTokens > contextWindow) {
    throw new Error(`model ${modelId}: maxOutputTokens exceeds contextWindow`);
  }
}

function assertVersion(version: PriceVersion): void {
  const { versionId, effectiveFrom, perMillionTokens: prices } = version;
  if (typeof versionId !== 'string' || versionId.length === 0 || versionId.length > 200) {
    throw new Error(`invalid price version id of ${version.modelId}`);
  }
  if (!(effectiveFrom instanceof Date) || Number.isNaN(effectiveFrom.getTime())) {
    throw new Error(`price version ${versionId}: invalid effectiveFrom`);
  }
  for (const [name, value] of Object.entries(prices)) {
    if (typeof value !== 'bigint' || value < 0n || value > PG_INT8_MAX) {
      throw new Error(`price version ${versionId}: ${name} must be a bigint in [0, 2^63)`);
    }
  }
}

export function isModelId(value: unknown): value is string {
  return (
    typeof value === 'string' && value.length <= MAX_MODEL_ID_LENGTH && MODEL_ID_PATTERN.test(value)
  );
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}
