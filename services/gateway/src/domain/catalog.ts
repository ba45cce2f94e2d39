// The model catalog as the gateway needs it: which models exist, their output limit and their
// prices per million tokens. The catalog belongs to metering; the gateway keeps a copy fetched
// from metering's `GET /v1/models` (services never read each other's tables or import each
// other's code) and refreshes it periodically.
import { parseUsd } from '@billing/money';

export interface ModelPrices {
  /** Metering's price version id, e.g. `openai/gpt-5@2025-01-01T00:00:00.000Z`. */
  readonly version: string;
  readonly effectiveFromMs: number;
  /** Nano-dollars per million tokens. */
  readonly inputNanos: bigint;
  readonly outputNanos: bigint;
  readonly cachedInputNanos: bigint;
  readonly cacheWriteNanos: bigint;
}

export interface CatalogModel {
  readonly id: string;
  readonly displayName: string;
  readonly provider: string;
  readonly contextWindow: number;
  readonly maxOutputTokens: number;
  /** The price in force when the catalog was fetched; null when the model has none yet. */
  readonly price: ModelPrices | null;
  /** A price already scheduled after that, which takes over at its `effectiveFromMs`. */
  readonly nextPrice: ModelPrices | null;
}

export interface Catalog {
  readonly models: ReadonlyMap<string, CatalogModel>;
  readonly fetchedAtMs: number;
}

export class CatalogFormatError extends Error {
  constructor(reason: string) {
    super(`metering's model list is malformed: ${reason}`);
    this.name = 'CatalogFormatError';
  }
}

function record(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CatalogFormatError(`${where} is not an object`);
  }
  return value as Record<string, unknown>;
}

function text(value: unknown, where: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new CatalogFormatError(`${where} is not a non-empty string`);
  }
  return value;
}

function count(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new CatalogFormatError(`${where} is not a non-negative integer`);
  }
  return value;
}

function usd(value: unknown, where: string): bigint {
  try {
    const nanos = parseUsd(text(value, where));
    if (nanos < 0n) throw new CatalogFormatError(`${where} is negative`);
    return nanos;
  } catch (err) {
    if (err instanceof CatalogFormatError) throw err;
    throw new CatalogFormatError(`${where} is not a USD amount`);
  }
}

function prices(value: unknown, where: string): ModelPrices | null {
  if (value === null || value === undefined) return null;
  const p = record(value, where);
  const per = record(p.perMillionTokens, `${where}.perMillionTokens`);
  const effectiveFromMs = Date.parse(text(p.effectiveFrom, `${where}.effectiveFrom`));
  if (Number.isNaN(effectiveFromMs)) {
    throw new CatalogFormatError(`${where}.effectiveFrom is not a date`);
  }
  const input = usd(per.input, `${where}.perMillionTokens.input`);
  return {
    version: text(p.version, `${where}.version`),
    effectiveFromMs,
    inputNanos: input,
    outputNanos: usd(per.output, `${where}.perMillionTokens.output`),
    // Metering's rule: a missing cache price bills those tokens as ordinary input.
    cachedInputNanos:
      per.cachedInput === undefined ? input : usd(per.cachedInput, `${where}.cachedInput`),
    cacheWriteNanos:
      per.cacheWrite === undefined ? input : usd(per.cacheWrite, `${where}.cacheWrite`),
  };
}

/**
 * Reads metering's `GET /v1/models` answer (`{at, data: [{id, displayName, provider,
 * contextWindow, maxOutputTokens, price, nextPrice}]}`).
 *
 * @throws CatalogFormatError when the answer is not in that shape: a half-understood catalog
 *   must not replace a good one.
 */
export function parseMeteringModels(body: unknown, fetchedAtMs: number): Catalog {
  const root = record(body, 'the answer');
  if (!Array.isArray(root.data)) throw new CatalogFormatError('`data` is not an array');
  const models = new Map<string, CatalogModel>();
  for (const [index, item] of (root.data as unknown[]).entries()) {
    const m = record(item, `data[${index}]`);
    const id = text(m.id, `data[${index}].id`);
    models.set(id, {
      id,
      displayName: typeof m.displayName === 'string' ? m.displayName : id,
      provider: typeof m.provider === 'string' ? m.provider : (id.split('/')[0] ?? id),
      contextWindow: count(m.contextWindow, `data[${index}].contextWindow`),
      maxOutputTokens: count(m.maxOutputTokens, `data[${index}].maxOutputTokens`),
      price: prices(m.price, `data[${index}].price`),
      nextPrice: prices(m.nextPrice, `data[${index}].nextPrice`),
    });
  }
  return { models, fetchedAtMs };
}

/**
 * The price in force at `nowMs`: the scheduled next price once its time has come (the copy may be
 * up to one refresh interval old), else the current one. Undefined when the model has no price:
 * such a model cannot be admitted, since metering would refuse to price its usage.
 */
export function priceInForce(model: CatalogModel, nowMs: number): ModelPrices | undefined {
  if (model.nextPrice !== null && model.nextPrice.effectiveFromMs <= nowMs) return model.nextPrice;
  if (model.price !== null && model.price.effectiveFromMs <= nowMs) return model.price;
  return undefined;
}
