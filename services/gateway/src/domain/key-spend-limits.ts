// Per-key spend limits (issue #17) at the gateway: the key cache's copy of each key's limits
// (from ApiKeySpendLimitChanged, or the keys service's lookup), sent with every hold, and the
// refusal the caller gets when the ledger answers that a hold would pass one. The gateway decides
// nothing here: the ledger checks the key's spend in the same atomic decision that admits the
// hold against the balance (services/ledger/src/domain/key-spend.ts), so concurrent requests of
// one key cannot overshoot its limit, whichever gateway instance serves them.
import { formatUsd, tryParseUsd } from '@billing/money';
import type { GatewayFailure } from './errors.js';

/** The most a key may spend a UTC calendar day and a UTC calendar month; null, no limit. */
export interface KeySpendLimits {
  readonly dailyNanos: bigint | null;
  readonly monthlyNanos: bigint | null;
}

export const NO_SPEND_LIMITS: KeySpendLimits = { dailyNanos: null, monthlyNanos: null };

export type SpendPeriod = 'daily' | 'monthly';

/** The limits of an ApiKeySpendLimitChanged (validated by the decoder): absent, none. */
export function spendLimitsOfEvent(data: {
  readonly daily?: string;
  readonly monthly?: string;
}): KeySpendLimits {
  return {
    dailyNanos: data.daily === undefined ? null : (tryParseUsd(data.daily) ?? null),
    monthlyNanos: data.monthly === undefined ? null : (tryParseUsd(data.monthly) ?? null),
  };
}

/**
 * The limits of a keys-service lookup answer `{daily, monthly}` (decimal USD or null), or
 * undefined when it is malformed. An answer without `spendLimits` (a keys service older than
 * limits) is a key without limits.
 */
export function spendLimitsOfLookup(raw: unknown): KeySpendLimits | undefined {
  if (raw === undefined || raw === null) return NO_SPEND_LIMITS;
  if (typeof raw !== 'object') return undefined;
  const { daily, monthly } = raw as { daily?: unknown; monthly?: unknown };
  const limit = (v: unknown): bigint | null | undefined => {
    if (v === undefined || v === null) return null;
    const nanos = tryParseUsd(v);
    return nanos !== undefined && nanos > 0n ? nanos : undefined;
  };
  const dailyNanos = limit(daily);
  const monthlyNanos = limit(monthly);
  if (dailyNanos === undefined || monthlyNanos === undefined) return undefined;
  return { dailyNanos, monthlyNanos };
}

export function sameSpendLimits(a: KeySpendLimits, b: KeySpendLimits): boolean {
  return a.dailyNanos === b.dailyNanos && a.monthlyNanos === b.monthlyNanos;
}

/** The hold request's fields for the key's limits (the ledger's `POST .../holds`). */
export function holdLimitFields(limits: KeySpendLimits): {
  dailySpendLimit?: string;
  monthlySpendLimit?: string;
} {
  return {
    ...(limits.dailyNanos !== null && { dailySpendLimit: formatUsd(limits.dailyNanos) }),
    ...(limits.monthlyNanos !== null && { monthlySpendLimit: formatUsd(limits.monthlyNanos) }),
  };
}

const MS_PER_DAY = 86_400_000;

/** When the UTC day or month that contains `nowMs` ends. */
export function periodResetsAtMs(period: SpendPeriod, nowMs: number): number {
  if (period === 'daily') return Math.floor(nowMs / MS_PER_DAY) * MS_PER_DAY + MS_PER_DAY;
  const d = new Date(nowMs);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/**
 * 402 `key_spend_limit_reached` in the OpenAI shape: which limit, how much, and when it resets.
 * 402 like an insufficient balance (the request was not admitted for money, and retrying the same
 * request will not help before the reset), with a code of its own because a top-up does not help:
 * raising the key's limit or waiting does.
 */
export function keySpendLimitReached(
  period: SpendPeriod,
  limitNanos: bigint | null,
  nowMs: number,
): GatewayFailure {
  const which = period === 'daily' ? 'daily' : 'monthly';
  const span = period === 'daily' ? 'UTC day' : 'UTC calendar month';
  const amount = limitNanos === null ? '' : ` of $${formatUsd(limitNanos)}`;
  return {
    status: 402,
    type: 'insufficient_quota',
    code: 'key_spend_limit_reached',
    param: null,
    message:
      `This request could take this API key past its ${which} spend limit${amount} ` +
      `(per ${span}, counting what the key has spent and has in flight); the limit resets at ` +
      `${new Date(periodResetsAtMs(period, nowMs)).toISOString()}. ` +
      "Raise the key's limit, lower max_tokens, or wait for the reset.",
  };
}
