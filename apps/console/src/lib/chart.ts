import { parseUsd } from '@billing/money';

/**
 * Each amount's bar as a share of the largest, from 0 to 1, for drawing only: the ratio is taken
 * on nano-dollars (bigint) and only then made a number, to 1/10000, so no amount passes through a
 * float. Negative amounts draw as 0.
 */
export function barShares(amounts: readonly string[]): number[] {
  const nanos = amounts.map((a) => {
    const n = parseUsd(a);
    return n < 0n ? 0n : n;
  });
  const max = nanos.reduce((m, n) => (n > m ? n : m), 0n);
  if (max === 0n) return nanos.map(() => 0);
  return nanos.map((n) => Number((n * 10_000n) / max) / 10_000);
}

/** Every UTC day from `from` to `to` ("YYYY-MM-DD"), both included; at most `limit` of them. */
export function daysBetween(from: string, to: string, limit = 400): string[] {
  const days: string[] = [];
  const end = Date.parse(`${to}T00:00:00Z`);
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= end && days.length < limit; t += 86_400_000) {
    days.push(new Date(t).toISOString().slice(0, 10));
  }
  return days;
}

/** The rows of a by-day report, with a zero row for each day of the range that had no usage. */
export function fillDays<T extends { day?: string; cost: string }>(
  from: string,
  to: string,
  rows: readonly T[],
): { day: string; cost: string; row: T | undefined }[] {
  const byDay = new Map(rows.map((r) => [r.day ?? '', r]));
  return daysBetween(from, to).map((day) => {
    const row = byDay.get(day);
    return { day, cost: row?.cost ?? '0', row };
  });
}
