import {
  EMPTY_BREAKDOWN,
  addToBreakdown,
  mergeTransactionRows,
  transactionRowsOf,
  utcDay,
  type Balance,
  type CreditsBreakdown,
  type LedgerEvent,
  type TokenCounts,
  type TransactionRow,
} from '../domain/index.js';

export interface KeyUsageRow {
  readonly accountId: string;
  readonly apiKeyId: string;
  readonly usedNanos: bigint;
  readonly requests: number;
  readonly lastUsedAtMs: number;
}

export interface UsageDailyRow extends Required<TokenCounts> {
  readonly accountId: string;
  /** "2026-11-27", the UTC day of the request's completion. */
  readonly day: string;
  readonly model: string;
  /** '' when the usage reported no key. */
  readonly apiKeyId: string;
  readonly costNanos: bigint;
  readonly requests: number;
}

export interface BreakdownRow {
  readonly breakdown: CreditsBreakdown;
  /** The stream version the row reflects. */
  readonly version: number;
}

/**
 * What a set of events changes in the projection tables, merged in memory so that one statement
 * writes it. The same fold serves three callers:
 *
 * - the writer: the changes of one transaction's appends, written as upserts that add to the rows;
 * - `projections:rebuild`: the whole log folded into fresh tables (adding to nothing);
 * - `projections:verify`: the expected rows, compared with the tables.
 *
 * Every table except `balances` and `expiry_schedule` is additive (sums, counts and latest times),
 * so the order events are folded in does not matter for them. Balances and the schedule are set
 * absolutely from the domain state (or a payload fold) by the caller.
 */
export class ProjectionChanges {
  readonly balances = new Map<string, Balance>();
  readonly breakdowns = new Map<string, BreakdownRow>();
  /** Keyed by `accountId \0 rowId`. */
  readonly transactions = new Map<string, { accountId: string; row: TransactionRow }>();
  readonly keyUsage = new Map<string, KeyUsageRow>();
  readonly usageDaily = new Map<string, UsageDailyRow>();
  /** `undefined`: the account has nothing that can expire (its row is deleted). */
  readonly schedule = new Map<string, number | undefined>();

  get isEmpty(): boolean {
    return (
      this.balances.size === 0 &&
      this.breakdowns.size === 0 &&
      this.transactions.size === 0 &&
      this.keyUsage.size === 0 &&
      this.usageDaily.size === 0 &&
      this.schedule.size === 0
    );
  }

  /** The same rows cut into pieces of at most `maxRows` rows per table, for bulk writes. */
  *chunks(maxRows: number): Generator<ProjectionChanges> {
    let chunk = new ProjectionChanges();
    let rows = 0;
    for (let m = 0; m < 6; m++) {
      for (const [key, value] of chunkMap(this, m)) {
        if (rows >= maxRows) {
          yield chunk;
          chunk = new ProjectionChanges();
          rows = 0;
        }
        chunkMap(chunk, m).set(key, value);
        rows += 1;
      }
    }
    if (rows > 0) yield chunk;
  }

  setBalance(accountId: string, balance: Balance): void {
    this.balances.set(accountId, balance);
  }

  setSchedule(accountId: string, dueAtMs: number | undefined): void {
    this.schedule.set(accountId, dueAtMs);
  }

  /** Adds one event of an account; `version` is the stream version of that event. */
  addEvent(accountId: string, event: LedgerEvent, version: number): void {
    const previous = this.breakdowns.get(accountId);
    this.breakdowns.set(accountId, {
      breakdown: addToBreakdown(previous?.breakdown ?? EMPTY_BREAKDOWN, event),
      version: Math.max(previous?.version ?? 0, version),
    });

    for (const row of transactionRowsOf(event)) {
      const key = `${accountId}\0${row.id}`;
      const existing = this.transactions.get(key);
      this.transactions.set(key, {
        accountId,
        row: existing === undefined ? row : mergeTransactionRows(existing.row, row),
      });
    }

    if (event.type !== 'UsageCharged') return;
    const usage = event.data;
    if (usage.apiKeyId !== undefined) {
      const key = `${accountId}\0${usage.apiKeyId}`;
      const existing = this.keyUsage.get(key);
      this.keyUsage.set(key, {
        accountId,
        apiKeyId: usage.apiKeyId,
        usedNanos: (existing?.usedNanos ?? 0n) + usage.costNanos,
        requests: (existing?.requests ?? 0) + 1,
        lastUsedAtMs: Math.max(existing?.lastUsedAtMs ?? 0, usage.occurredAtMs),
      });
    }
    const day = utcDay(usage.occurredAtMs);
    const apiKeyId = usage.apiKeyId ?? '';
    const key = `${accountId}\0${day}\0${usage.model}\0${apiKeyId}`;
    const existing = this.usageDaily.get(key);
    this.usageDaily.set(key, {
      accountId,
      day,
      model: usage.model,
      apiKeyId,
      costNanos: (existing?.costNanos ?? 0n) + usage.costNanos,
      requests: (existing?.requests ?? 0) + 1,
      inputTokens: (existing?.inputTokens ?? 0) + usage.inputTokens,
      outputTokens: (existing?.outputTokens ?? 0) + usage.outputTokens,
      cachedInputTokens: (existing?.cachedInputTokens ?? 0) + (usage.cachedInputTokens ?? 0),
      cacheWriteTokens: (existing?.cacheWriteTokens ?? 0) + (usage.cacheWriteTokens ?? 0),
      reasoningTokens: (existing?.reasoningTokens ?? 0) + (usage.reasoningTokens ?? 0),
    });
  }
}

function chunkMap(c: ProjectionChanges, index: number): Map<string, unknown> {
  const maps: Map<string, unknown>[] = [
    c.balances,
    c.breakdowns,
    c.transactions,
    c.keyUsage,
    c.usageDaily,
    c.schedule,
  ];
  const map = maps[index];
  if (map === undefined) throw new RangeError(`no projection map ${index}`);
  return map;
}
