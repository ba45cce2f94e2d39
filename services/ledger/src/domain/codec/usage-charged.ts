import {
  tokenCountsOf,
  type TokenCounts,
  type UnitPrices,
  type UsageChargedData,
} from '../events.js';
import * as f from './fields.js';

/** USD per million tokens of each kind, as UsageRecorded carries them. */
export interface StoredUnitPricesV1 {
  readonly input: f.UsdString;
  readonly output: f.UsdString;
  readonly cachedInput: f.UsdString;
  readonly cacheWrite: f.UsdString;
}

/**
 * Token counts are stored as they are in memory: plain integers under the same names.
 * `pricesPerMillionTokens` is an optional field added to version 1 after it was first written:
 * every stored event without it reads as before, and a reader that predates it ignores it (the
 * decoders read named fields only), so it is an addition, not a change of the shape in place.
 */
export interface UsageChargedV1 extends TokenCounts, f.StoredDebitV1 {
  readonly requestId: string;
  readonly apiKeyId?: string;
  readonly model: string;
  readonly cost: f.UsdString;
  readonly priceVersion: string;
  readonly pricesPerMillionTokens?: StoredUnitPricesV1;
  readonly occurredAt: f.IsoString;
  readonly holdId?: string;
  readonly capturedHold?: f.UsdString;
}

function decodeTokenCounts(r: f.Reader): TokenCounts {
  return {
    inputTokens: r.count('inputTokens'),
    outputTokens: r.count('outputTokens'),
    ...r.optionalCount('cachedInputTokens'),
    ...r.optionalCount('cacheWriteTokens'),
    ...r.optionalCount('reasoningTokens'),
  };
}

function encodeUnitPrices(p: UnitPrices): StoredUnitPricesV1 {
  return {
    input: f.usd(p.inputNanos),
    output: f.usd(p.outputNanos),
    cachedInput: f.usd(p.cachedInputNanos),
    cacheWrite: f.usd(p.cacheWriteNanos),
  };
}

function decodeUnitPrices(r: f.Reader): UnitPrices {
  return {
    inputNanos: r.money('input'),
    outputNanos: r.money('output'),
    cachedInputNanos: r.money('cachedInput'),
    cacheWriteNanos: r.money('cacheWrite'),
  };
}

export const usageCharged: f.EventCodec<UsageChargedData, UsageChargedV1> = {
  encode: (d) => ({
    requestId: d.requestId,
    ...f.optionalId('apiKeyId', d.apiKeyId),
    model: d.model,
    cost: f.usd(d.costNanos),
    priceVersion: d.priceVersion,
    ...(d.pricesPerMillionTokens !== undefined && {
      pricesPerMillionTokens: encodeUnitPrices(d.pricesPerMillionTokens),
    }),
    ...tokenCountsOf(d),
    occurredAt: f.iso(d.occurredAtMs),
    ...f.optionalId('holdId', d.holdId),
    ...(d.capturedHoldNanos !== undefined && { capturedHold: f.usd(d.capturedHoldNanos) }),
    ...f.encodeDebit(d),
  }),
  decode: (r) => ({
    requestId: r.id('requestId'),
    ...r.optionalId('apiKeyId'),
    model: r.id('model'),
    costNanos: r.money('cost'),
    priceVersion: r.id('priceVersion'),
    ...r.optional('pricesPerMillionTokens', () => ({
      pricesPerMillionTokens: r.object('pricesPerMillionTokens', decodeUnitPrices),
    })),
    ...decodeTokenCounts(r),
    occurredAtMs: r.time('occurredAt'),
    ...r.optionalId('holdId'),
    ...r.optional('capturedHold', () => ({ capturedHoldNanos: r.money('capturedHold') })),
    ...f.decodeDebit(r),
  }),
};
