// `PUT /v1/admin/models/{modelId}`: set a model's price from a given time on, as a new price
// version, creating the model if it is new. The rules, and why:
//
// - Prices are decimal USD strings per million tokens (the money grammar of CONTRACTS.md), zero or
//   more, within Postgres int8 as nano-dollars. Zero is allowed (a free model); negative is not.
//   cachedInput and cacheWrite default to the input price (`withDefaultPrices`).
// - effectiveFrom is an ISO-8601 UTC time with at most millisecond precision (what a Date holds;
//   more digits would be silently cut). Left out, it means `now`: the price applies from now on.
// - effectiveFrom before `now` is refused (METERING.EFFECTIVE_FROM_IN_PAST) unless the request
//   says `allowRetroactive: true`. A past version changes the price of requests that already
//   started: those still in flight get it, those already recorded keep the price they were
//   charged (recorded usage is never re-priced), so the two disagree. That is sometimes wanted (a
//   correction) but never by accident.
// - Versions are immutable, identified by model and effectiveFrom. Sending the same price for the
//   same instant again is a harmless retry (`created: false`); a different price for an instant
//   that already has one is METERING.PRICE_VERSION_CONFLICT: pick another instant.
// - A new model needs displayName, contextWindow and maxOutputTokens; provider defaults to the
//   part of the model id before '/'. For a known model these fields are optional and replace the
//   description (which is not versioned: it prices nothing).
import { PG_INT8_MAX, tryParseUsd } from '@billing/money';
import {
  isModelId,
  priceVersionId,
  samePrices,
  withDefaultPrices,
  type ModelInfo,
  type PriceCatalog,
  type PriceVersion,
} from './catalog.js';
import { fail, ok, type Result } from './errors.js';

export const MAX_DISPLAY_NAME_LENGTH = 200;

/** The body of `PUT /v1/admin/models/{modelId}`, as decoded JSON (each field is checked here). */
export interface PriceUpdateRequest {
  readonly displayName?: string;
  readonly provider?: string;
  readonly contextWindow?: number;
  readonly maxOutputTokens?: number;
  /** USD per million tokens, e.g. `{ "input": "1.25", "output": "10", "cachedInput": "0.125" }`. */
  readonly prices: {
    readonly input: string;
    readonly output: string;
    readonly cachedInput?: string;
    readonly cacheWrite?: string;
  };
  /** ISO-8601 UTC; defaults to `now`. */
  readonly effectiveFrom?: string;
  /** Allows an effectiveFrom before `now` (see above). */
  readonly allowRetroactive?: boolean;
}

export interface PriceUpdateContext {
  readonly now: Date;
  readonly catalog: PriceCatalog;
}

export interface AcceptedPriceUpdate {
  /** The model's description after the update (to upsert). */
  readonly model: ModelInfo;
  /** The version to insert, or the identical one that already exists. */
  readonly version: PriceVersion;
  /** False when `version` already existed: nothing to insert, the request was a retry. */
  readonly created: boolean;
}

const ISO_UTC_MILLIS = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,3})?Z$/;
const CONTROL = /[\p{Cc}\u2028\u2029\u202A-\u202E\u2066-\u2069]/u;
const PROVIDER = /^[a-z0-9][a-z0-9-]{0,39}$/;

/** Validates an admin price update against the current catalog. Pure: `now` comes in. */
export function validatePriceUpdate(
  modelId: string,
  request: PriceUpdateRequest,
  context: PriceUpdateContext,
): Result<AcceptedPriceUpdate> {
  if (!isModelId(modelId)) {
    return fail(
      'METERING.INVALID_PRICE_UPDATE',
      `model id must look like <provider>/<name> (at most 150 characters, no '@'), got ${quote(modelId)}`,
    );
  }
  const now = context.now;
  if (Number.isNaN(now.getTime())) throw new RangeError('invalid now');

  const problems: string[] = [];
  const body: Partial<PriceUpdateRequest> =
    typeof request === 'object' && request !== null ? request : {};
  const pricesGiven = typeof body.prices === 'object' && body.prices !== null;
  const rawPrices: Record<string, unknown> = pricesGiven ? { ...body.prices } : {};
  if (!pricesGiven) problems.push('prices must be an object with input and output');
  const price = (name: string, required: boolean): bigint | undefined => {
    const text = rawPrices[name];
    if (text === undefined) {
      if (required && pricesGiven) problems.push(`prices.${name} is required`);
      return undefined;
    }
    const nanos = tryParseUsd(text);
    if (nanos === undefined) {
      problems.push(`prices.${name} must be a decimal string of USD, got ${quote(text)}`);
    } else if (nanos < 0n) {
      problems.push(`prices.${name} must not be negative`);
    } else if (nanos > PG_INT8_MAX) {
      problems.push(`prices.${name} is too large`);
    } else {
      return nanos;
    }
    return undefined;
  };
  const input = price('input', true);
  const output = price('output', true);
  const cachedInput = price('cachedInput', false);
  const cacheWrite = price('cacheWrite', false);
  for (const name of Object.keys(rawPrices)) {
    if (!['input', 'output', 'cachedInput', 'cacheWrite'].includes(name)) {
      problems.push(`prices.${name} is not a known price (input, output, cachedInput, cacheWrite)`);
    }
  }

  let effectiveFrom = now;
  if (body.effectiveFrom !== undefined) {
    const parsed = parseIsoUtc(body.effectiveFrom);
    if (parsed === undefined) {
      problems.push(
        `effectiveFrom must be an ISO-8601 UTC time with at most millisecond precision, ` +
          `e.g. 2026-01-01T00:00:00Z, got ${quote(body.effectiveFrom)}`,
      );
    } else {
      effectiveFrom = parsed;
    }
  }
  if (body.allowRetroactive !== undefined && typeof body.allowRetroactive !== 'boolean') {
    problems.push('allowRetroactive must be a boolean');
  }

  const model = describeModel(modelId, body, context.catalog.model(modelId), problems);

  if (problems.length > 0 || input === undefined || output === undefined || model === undefined) {
    return fail('METERING.INVALID_PRICE_UPDATE', problems.join('; '));
  }

  const version: PriceVersion = {
    versionId: priceVersionId(modelId, effectiveFrom),
    modelId,
    effectiveFrom,
    perMillionTokens: withDefaultPrices({ input, output, cachedInput, cacheWrite }),
  };

  const existing = context.catalog
    .versionsOf(modelId)
    .find((v) => v.effectiveFrom.getTime() === effectiveFrom.getTime());
  if (existing !== undefined) {
    // Checked before the time rule, so that retrying a request after its instant has passed
    // still answers as the first attempt did.
    if (samePrices(existing.perMillionTokens, version.perMillionTokens)) {
      return ok({ model, version: existing, created: false });
    }
    return fail(
      'METERING.PRICE_VERSION_CONFLICT',
      `${modelId} already has a different price from ${effectiveFrom.toISOString()} ` +
        `(version ${existing.versionId}); versions are immutable, choose another effectiveFrom`,
    );
  }

  if (effectiveFrom.getTime() < now.getTime() && body.allowRetroactive !== true) {
    return fail(
      'METERING.EFFECTIVE_FROM_IN_PAST',
      `effectiveFrom ${effectiveFrom.toISOString()} is before now (${now.toISOString()}); ` +
        'leave it out to apply the price from now on, or set allowRetroactive: true to re-price ' +
        'requests that started since then and are not yet recorded',
    );
  }

  return ok({ model, version, created: true });
}

/** The model description after the update, or undefined (with problems pushed) if invalid. */
function describeModel(
  modelId: string,
  body: Partial<PriceUpdateRequest>,
  known: ModelInfo | undefined,
  problems: string[],
): ModelInfo | undefined {
  const before = problems.length;
  const isNew = known === undefined;
  const required = (name: string): void => {
    problems.push(`${name} is required for a new model`);
  };

  let displayName = known?.displayName;
  if (body.displayName !== undefined) {
    const trimmed = typeof body.displayName === 'string' ? body.displayName.trim() : '';
    if (
      trimmed.length === 0 ||
      [...trimmed].length > MAX_DISPLAY_NAME_LENGTH ||
      CONTROL.test(trimmed) ||
      !trimmed.isWellFormed()
    ) {
      problems.push(
        `displayName must be 1 to ${MAX_DISPLAY_NAME_LENGTH} characters without control characters`,
      );
    } else {
      displayName = trimmed;
    }
  } else if (isNew) {
    required('displayName');
  }

  let provider = known?.provider ?? modelId.slice(0, modelId.indexOf('/'));
  if (body.provider !== undefined) {
    if (typeof body.provider !== 'string' || !PROVIDER.test(body.provider)) {
      problems.push('provider must be 1 to 40 lowercase letters, digits or dashes');
    } else {
      provider = body.provider;
    }
  }

  const limit = (name: 'contextWindow' | 'maxOutputTokens'): number | undefined => {
    const value: unknown = body[name];
    if (value === undefined) {
      if (isNew) required(name);
      return known?.[name];
    }
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
      problems.push(`${name} must be a positive integer`);
      return undefined;
    }
    return value;
  };
  const contextWindow = limit('contextWindow');
  const maxOutputTokens = limit('maxOutputTokens');
  if (
    contextWindow !== undefined &&
    maxOutputTokens !== undefined &&
    maxOutputTokens > contextWindow
  ) {
    problems.push(`maxOutputTokens (${maxOutputTokens}) exceeds contextWindow (${contextWindow})`);
  }

  if (
    problems.length > before ||
    displayName === undefined ||
    contextWindow === undefined ||
    maxOutputTokens === undefined
  ) {
    return undefined;
  }
  return { modelId, displayName, provider, contextWindow, maxOutputTokens };
}

/** Parses a strict ISO-8601 UTC time, refusing impossible dates such as February 30th. */
function parseIsoUtc(text: unknown): Date | undefined {
  if (typeof text !== 'string') return undefined;
  const match = ISO_UTC_MILLIS.exec(text);
  if (match === null) return undefined;
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) return undefined;
  // The fields of the text must be the fields of the date, or the parser rolled something over.
  const fields = match.slice(1, 7).map(Number);
  const roundTrips = [
    date.getUTCFullYear(),
    date.getUTCMonth() + 1,
    date.getUTCDate(),
    date.getUTCHours(),
    date.getUTCMinutes(),
    date.getUTCSeconds(),
  ].every((value, index) => value === fields[index]);
  return roundTrips ? date : undefined;
}

function quote(value: unknown): string {
  if (typeof value !== 'string') return value === null ? 'null' : typeof value;
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
}
