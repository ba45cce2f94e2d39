import { tryParseUsd } from '@billing/money';
import { fail, ok, type Result } from './errors.js';

/**
 * A key's spend limits (issue #17), in nano-USD: the most the key may spend in one UTC calendar
 * day and in one UTC calendar month; null, no limit of that period. The ledger enforces them when
 * it admits each request's hold (services/ledger/src/domain/key-spend.ts); this service only owns
 * the setting.
 */
export interface KeySpendLimits {
  readonly dailyNanos: bigint | null;
  readonly monthlyNanos: bigint | null;
}

export const NO_SPEND_LIMITS: KeySpendLimits = { dailyNanos: null, monthlyNanos: null };

/** A change asked for: each period absent (unchanged), null (removed) or a decimal USD string. */
export interface SpendLimitsChange {
  readonly daily?: string | null;
  readonly monthly?: string | null;
}

/** The largest limit accepted: $1,000,000 a period, far above any real key, well inside int8. */
export const MAX_SPEND_LIMIT_NANOS = 1_000_000n * 1_000_000_000n;

/**
 * The limits after `change`, or KEYS.INVALID_SPEND_LIMIT for a value that is not a positive
 * decimal USD string of at most 9 fraction digits and at most $1,000,000. A limit of 0 is refused
 * rather than read as "block the key": disabling it does that, and says so.
 */
export function applySpendLimitsChange(
  current: KeySpendLimits,
  change: SpendLimitsChange,
): Result<KeySpendLimits> {
  const daily = limitOf('daily', change.daily, current.dailyNanos);
  if (!daily.ok) return daily;
  const monthly = limitOf('monthly', change.monthly, current.monthlyNanos);
  if (!monthly.ok) return monthly;
  return ok({ dailyNanos: daily.value, monthlyNanos: monthly.value });
}

function limitOf(
  period: 'daily' | 'monthly',
  raw: string | null | undefined,
  current: bigint | null,
): Result<bigint | null> {
  if (raw === undefined) return ok(current);
  if (raw === null) return ok(null);
  const nanos = typeof raw === 'string' ? tryParseUsd(raw) : undefined;
  if (nanos === undefined || nanos <= 0n || nanos > MAX_SPEND_LIMIT_NANOS) {
    return fail(
      'KEYS.INVALID_SPEND_LIMIT',
      `spendLimits.${period} must be a positive decimal USD string (at most 9 fraction digits, ` +
        'at most 1000000), or null for no limit',
    );
  }
  return ok(nanos);
}

export function sameSpendLimits(a: KeySpendLimits, b: KeySpendLimits): boolean {
  return a.dailyNanos === b.dailyNanos && a.monthlyNanos === b.monthlyNanos;
}
