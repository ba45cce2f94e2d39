import { tokenCountsOf, type TokenCounts, type UsageChargedData } from '../events.js';
import * as f from './fields.js';

/** Token counts are stored as they are in memory: plain integers under the same names. */
export interface UsageChargedV1 extends TokenCounts, f.StoredDebitV1 {
  readonly requestId: string;
  readonly apiKeyId?: string;
  readonly model: string;
  readonly cost: f.UsdString;
  readonly priceVersion: string;
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

export const usageCharged: f.EventCodec<UsageChargedData, UsageChargedV1> = {
  encode: (d) => ({
    requestId: d.requestId,
    ...f.optionalId('apiKeyId', d.apiKeyId),
    model: d.model,
    cost: f.usd(d.costNanos),
    priceVersion: d.priceVersion,
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
    ...decodeTokenCounts(r),
    occurredAtMs: r.time('occurredAt'),
    ...r.optionalId('holdId'),
    ...r.optional('capturedHold', () => ({ capturedHoldNanos: r.money('capturedHold') })),
    ...f.decodeDebit(r),
  }),
};
