// Per-key spend limits (issue #17): what one API key of an account has spent in the current UTC
// day and UTC month, and the rule that admits a hold for that key only while
// settled spend in the period + the key's open holds + the new hold <= the key's limit.
//
// The rule lives here, in the ledger, because the ledger is where a hold is admitted atomically:
// the key's spend is part of the account's decision state, so the limit is checked in the same
// decision (one stream version, one transaction) as Available. Concurrent requests of one key can
// then never spend more than its limit together, exactly as they can never overdraw the balance.
// The limits themselves are the key's settings (the keys service owns them; the gateway's key
// cache projects them) and arrive with each hold: the ledger keeps no copy of them.
//
// Periods are UTC calendar days and months. A charge counts in the period in which the ledger
// records it (its `recordedAtMs`, the ledger's clock), not in the one the request completed in,
// so a charge arriving late never reopens a period already closed; an open hold counts in full
// against whatever period it is open in. With every charge at most its hold (the gateway caps
// usage to the hold) this keeps Σ charges recorded in a period <= the limit in force.

/** A key's limits, as the hold request carries them; an absent limit is no limit. */
export interface KeySpendLimits {
  readonly dailyNanos?: bigint;
  readonly monthlyNanos?: bigint;
}

export type SpendPeriod = 'daily' | 'monthly';

/** What one key has had charged in its latest UTC day and UTC month. */
export interface KeyPeriodSpend {
  /** The start (epoch ms, 00:00 UTC) of the day `dayNanos` is for. */
  readonly dayStartMs: number;
  readonly dayNanos: bigint;
  /** The start (epoch ms, the 1st at 00:00 UTC) of the month `monthNanos` is for. */
  readonly monthStartMs: number;
  readonly monthNanos: bigint;
}

/**
 * The spend of every key of an account: settled charges of the current month (pruned when the
 * month turns, so the state grows with the keys used this month, not with history), and the sum
 * of each key's open holds.
 */
export interface KeySpendBook {
  /** The latest month a charge was recorded in; entries of earlier months are dropped. */
  readonly monthStartMs: number;
  readonly settled: ReadonlyMap<string, KeyPeriodSpend>;
  /** The sum of each key's open holds (keys with none are absent). */
  readonly held: ReadonlyMap<string, bigint>;
}

export const EMPTY_KEY_SPEND: KeySpendBook = {
  monthStartMs: Number.MIN_SAFE_INTEGER,
  settled: new Map(),
  held: new Map(),
};

const MS_PER_DAY = 86_400_000;

export function utcDayStartMs(ms: number): number {
  return Math.floor(ms / MS_PER_DAY) * MS_PER_DAY;
}

export function utcMonthStartMs(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/** When the period that contains `ms` ends: the next 00:00 UTC, or the next month's 1st. */
export function periodResetsAtMs(period: SpendPeriod, ms: number): number {
  if (period === 'daily') return utcDayStartMs(ms) + MS_PER_DAY;
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** A charge of `costNanos` recorded at `atMs` for `apiKeyId`. */
export function recordKeyCharge(
  book: KeySpendBook,
  apiKeyId: string,
  costNanos: bigint,
  atMs: number,
): KeySpendBook {
  if (costNanos === 0n) return book;
  const dayStartMs = utcDayStartMs(atMs);
  const monthStartMs = utcMonthStartMs(atMs);
  // A new month: every entry is of an earlier one, so the map starts afresh (once a month).
  const newMonth = monthStartMs > book.monthStartMs;
  const settled = newMonth ? new Map<string, KeyPeriodSpend>() : new Map(book.settled);
  const before = settled.get(apiKeyId);
  const [dayStart, dayNanos] = addToPeriod(
    before?.dayStartMs,
    before?.dayNanos,
    dayStartMs,
    costNanos,
  );
  const [monthStart, monthNanos] = addToPeriod(
    before?.monthStartMs,
    before?.monthNanos,
    monthStartMs,
    costNanos,
  );
  settled.set(apiKeyId, { dayStartMs: dayStart, dayNanos, monthStartMs: monthStart, monthNanos });
  return { ...book, monthStartMs: Math.max(book.monthStartMs, monthStartMs), settled };
}

/**
 * One period's counter `[start, nanos]` after a charge in the period starting at `chargeStartMs`:
 * a later period starts afresh at the charge; the same period adds it; an earlier one (ledger
 * replicas' clocks differ by a little around midnight) is a period already over, and the charge is
 * not added to the current one.
 */
function addToPeriod(
  startMs: number | undefined,
  nanos: bigint | undefined,
  chargeStartMs: number,
  costNanos: bigint,
): [number, bigint] {
  if (startMs === undefined || nanos === undefined || chargeStartMs > startMs) {
    return [chargeStartMs, costNanos];
  }
  if (chargeStartMs < startMs) return [startMs, nanos];
  return [startMs, nanos + costNanos];
}

/** The book with `amountNanos` more (a hold placed) or less (negative: closed) held for a key. */
export function changeKeyHeld(
  book: KeySpendBook,
  apiKeyId: string,
  amountNanos: bigint,
): KeySpendBook {
  const held = new Map(book.held);
  const next = (held.get(apiKeyId) ?? 0n) + amountNanos;
  if (next < 0n) throw new RangeError(`key ${apiKeyId} would hold ${next} nano-USD`);
  if (next === 0n) held.delete(apiKeyId);
  else held.set(apiKeyId, next);
  return { ...book, held };
}

/** What counts against the key's limit of `period` at `nowMs`: settled in the period + held. */
export function keySpentNanos(
  book: KeySpendBook,
  apiKeyId: string,
  period: SpendPeriod,
  nowMs: number,
): bigint {
  const spend = book.settled.get(apiKeyId);
  let settledNanos = 0n;
  if (spend !== undefined) {
    if (period === 'daily' && spend.dayStartMs === utcDayStartMs(nowMs)) {
      settledNanos = spend.dayNanos;
    }
    if (period === 'monthly' && spend.monthStartMs === utcMonthStartMs(nowMs)) {
      settledNanos = spend.monthNanos;
    }
  }
  return settledNanos + (book.held.get(apiKeyId) ?? 0n);
}

/** Why a hold of a key is refused: the limit it would pass, what already counts, when it resets. */
export interface KeySpendLimitBreach {
  readonly period: SpendPeriod;
  readonly limitNanos: bigint;
  readonly spentNanos: bigint;
  readonly resetsAtMs: number;
}

/**
 * The limit a hold of `amountNanos` for `apiKeyId` at `nowMs` would pass, or undefined when it
 * fits every limit (spend + hold exactly at a limit fits). The monthly limit is checked first: when
 * both are reached, the one that lasts longer is the one worth telling.
 */
export function keySpendLimitBreach(
  book: KeySpendBook,
  apiKeyId: string,
  limits: KeySpendLimits,
  amountNanos: bigint,
  nowMs: number,
): KeySpendLimitBreach | undefined {
  const checks: [SpendPeriod, bigint | undefined][] = [
    ['monthly', limits.monthlyNanos],
    ['daily', limits.dailyNanos],
  ];
  for (const [period, limitNanos] of checks) {
    if (limitNanos === undefined) continue;
    const spentNanos = keySpentNanos(book, apiKeyId, period, nowMs);
    if (spentNanos + amountNanos > limitNanos) {
      return { period, limitNanos, spentNanos, resetsAtMs: periodResetsAtMs(period, nowMs) };
    }
  }
  return undefined;
}
