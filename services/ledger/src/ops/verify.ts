import { PostgresEventStore, canonicalJson } from '@billing/event-store';
import { withTransaction } from '@billing/service-kit';
import { formatUsd } from '@billing/money';
import type pg from 'pg';
import {
  EMPTY_BREAKDOWN,
  addToBreakdown,
  encodeBreakdown,
  encodeLedgerState,
  evolve,
  initialLedgerState,
  nextExpiryAtMs,
  type Balance,
} from '../domain/index.js';
import { streamIdOf } from '../infrastructure/ids.js';
import { snapshotHash } from '../infrastructure/snapshots.js';
import { fromStoredEvent } from '../infrastructure/stored-events.js';
import type { ProjectionChanges } from '../infrastructure/projection-changes.js';
import {
  TRANSACTION_TABLE_COLUMNS,
  assertSchema,
  isoColumn,
  type TransactionTableRow,
} from '../infrastructure/projection-tables.js';
import { LogFolder } from './log-folder.js';
import { silentProgress, type Progress, type ProgressTotal } from './progress.js';
import { forEachLogPage } from './read-log.js';

export interface VerifyOptions {
  readonly pool: pg.Pool;
  readonly schema: string;
  readonly progress?: Progress;
  readonly pageSize?: number;
}

export interface AccountDifference {
  readonly accountId: string;
  /** What differs, one line each: `balances.total: expected 120, found 100`. */
  readonly problems: readonly string[];
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly accounts: number;
  readonly events: number;
  readonly differences: readonly AccountDifference[];
}

/** Every projection row of the live tables, read in one snapshot, as comparable strings. */
interface LiveRows {
  readonly versions: Map<string, number>;
  /** `table \0 account \0 row key` → the row's values as text. */
  readonly rows: Map<string, string>;
  /** The account streams in the same snapshot: what the fold will go through. */
  readonly total: ProgressTotal;
}

/**
 * `projections:verify`: proves projection == fold(events) for every account.
 *
 * The live tables are read in one REPEATABLE READ snapshot; since every append writes its
 * projection rows in its own transaction, that snapshot shows each account at one stream version
 * (`balances.version`). The log is then folded per account up to exactly that version, and every
 * row is compared: balances, breakdowns, the transaction history, per-key usage, daily usage and
 * the expiry schedule. Accounts whose events have no rows at all are reported too, unless they
 * appeared after the snapshot was taken. Then every stored snapshot (the `snapshots` table) is
 * checked against a fold of its account's stream (`verifySnapshots`).
 */
export async function verifyProjections(options: VerifyOptions): Promise<VerifyReport> {
  const schema = assertSchema(options.schema);
  const progress = options.progress ?? silentProgress;
  const live = await readLive(options.pool, schema);
  const store = new PostgresEventStore({ pool: options.pool, schema });

  const folder = new LogFolder({
    withState: true,
    // An account the snapshot does not know is folded entirely: it must not exist at all.
    upTo: (accountId) => live.versions.get(accountId),
  });
  progress.start('folding the event log', live.total);
  await forEachLogPage(store, options.pageSize ?? 10_000, (events) => {
    for (const event of events) folder.add(event);
    progress.update(folder.folded);
  });
  // The global log is read below the oldest running transaction: events the snapshot saw may not
  // have been readable yet. They are committed, so the stream has them.
  for (const [accountId, version] of live.versions) {
    const folded = folder.versionOf(accountId);
    if (folded >= version) continue;
    const events = await store.readStream(streamIdOf(accountId), {
      fromVersion: folded + 1,
      limit: version - folded,
    });
    for (const event of events) folder.add(event);
  }
  progress.done(folder.folded);
  progress.start('comparing with the projections and the snapshots');

  const expected = expectedRows(folder);
  const problems = new Map<string, string[]>();
  const report = (accountId: string, problem: string): void => {
    let list = problems.get(accountId);
    if (list === undefined) problems.set(accountId, (list = []));
    list.push(problem);
  };

  for (const [accountId, version] of live.versions) {
    if (folder.versionOf(accountId) !== version) {
      report(
        accountId,
        `balances.version: ${version}, but the stream has ${folder.versionOf(accountId)} event(s) up to it`,
      );
    }
  }
  const newcomers = [...folder.accountIds].filter((id) => !live.versions.has(id));
  if (newcomers.length > 0) {
    // Appended after the snapshot, or never projected: only the second is a difference.
    const now = await options.pool.query<{ account_id: string }>(
      `SELECT account_id FROM "${schema}".balances WHERE account_id = ANY($1::text[])`,
      [newcomers],
    );
    const late = new Set(now.rows.map((r) => r.account_id));
    for (const id of newcomers) {
      if (!late.has(id)) report(id, 'the account has events but no projection rows');
    }
  }

  for (const [key, value] of expected) {
    const [table, accountId, rowKey] = key.split('\0') as [string, string, string];
    // Accounts the snapshot did not know were judged above.
    if (!live.versions.has(accountId)) continue;
    const found = live.rows.get(key);
    if (found !== value) {
      report(accountId, `${table}[${rowKey}]: expected ${value}, found ${found ?? 'no row'}`);
    }
  }
  for (const [key, value] of live.rows) {
    if (expected.has(key)) continue;
    const [table, accountId, rowKey] = key.split('\0') as [string, string, string];
    report(accountId, `${table}[${rowKey}]: found ${value}, expected no row`);
  }

  for (const [accountId, list] of await verifySnapshots(options.pool, schema, store)) {
    for (const problem of list) report(accountId, problem);
  }

  const differences = [...problems]
    .map(([accountId, list]) => ({ accountId, problems: list }))
    .sort((a, b) => a.accountId.localeCompare(b.accountId));
  return {
    ok: differences.length === 0,
    accounts: new Set([...live.versions.keys(), ...folder.accountIds]).size,
    events: folder.folded,
    differences,
  };
}

const usd = (nanos: bigint): string => formatUsd(nanos);
const isoMs = (ms: number): string => new Date(ms).toISOString();

function balanceText(b: Balance): string {
  return [b.totalNanos, b.topUpNanos, b.bonusAndCompensationNanos, b.heldNanos, b.availableNanos]
    .map(usd)
    .concat(String(b.version))
    .join(' ');
}

/** The rows the tables should hold, in the same text form `readLive` produces. */
function expectedRows(folder: LogFolder): Map<string, string> {
  const rows = new Map<string, string>();
  const changes: ProjectionChanges = folder.takeChanges();
  for (const accountId of folder.accountIds) {
    rows.set(`balances\0${accountId}\0`, balanceText(folder.balanceOf(accountId)));
    const state = folder.stateOf(accountId);
    const due = state === undefined ? undefined : nextExpiryAtMs(state);
    if (due !== undefined) rows.set(`expiry_schedule\0${accountId}\0`, isoMs(due));
  }
  for (const [accountId, { breakdown: b, version }] of changes.breakdowns) {
    rows.set(
      `breakdowns\0${accountId}\0`,
      [
        b.topUpsNanos,
        b.bonusesNanos,
        b.giftsNanos,
        b.referralsNanos,
        b.compensationsNanos,
        b.adjustmentsNanos,
        b.expiredNanos,
        b.usageNanos,
        b.totalBalanceNanos,
      ]
        .map(usd)
        .concat(String(version))
        .join(' '),
    );
  }
  for (const { accountId, row: r } of changes.transactions.values()) {
    rows.set(
      `transactions\0${accountId}\0${r.id}`,
      [
        r.type,
        isoMs(r.occurredAtMs),
        usd(r.amountNanos),
        r.description,
        r.method ?? '-',
        r.invoiceId ?? '-',
        r.apiKeyId ?? '-',
        r.requestCount === undefined ? '-' : String(r.requestCount),
      ].join(' | '),
    );
  }
  for (const k of changes.keyUsage.values()) {
    rows.set(
      `key_usage\0${k.accountId}\0${k.apiKeyId}`,
      `${usd(k.usedNanos)} ${k.requests} ${isoMs(k.lastUsedAtMs)}`,
    );
  }
  for (const u of changes.usageDaily.values()) {
    rows.set(
      `usage_daily\0${u.accountId}\0${u.day}/${u.model}/${u.apiKeyId}`,
      [
        usd(u.costNanos),
        u.requests,
        u.inputTokens,
        u.outputTokens,
        u.cachedInputTokens,
        u.cacheWriteTokens,
        u.reasoningTokens,
      ].join(' '),
    );
  }
  // An account with events but a zero balance still has a balances row; an empty fold has none.
  for (const accountId of folder.accountIds) {
    if (folder.versionOf(accountId) === 0) rows.delete(`balances\0${accountId}\0`);
  }
  return rows;
}

async function readLive(pool: pg.Pool, schema: string): Promise<LiveRows> {
  const s = `"${schema}"`;
  return withTransaction(
    pool,
    async (client) => {
      const versions = new Map<string, number>();
      const rows = new Map<string, string>();
      const text = (table: string, sql: string) =>
        client.query<{ account_id: string; k: string; v: string }>(sql).then((res) => {
          for (const r of res.rows) rows.set(`${table}\0${r.account_id}\0${r.k}`, r.v);
        });
      // The money columns of one row per account, with the version, as one comparable string.
      const moneyRows = async (table: string, columns: string) => {
        const res = await client.query<{ account_id: string; version: number; v: string[] }>(
          `SELECT account_id, version, ARRAY[${columns}]::text[] AS v FROM ${s}.${table}`,
        );
        for (const r of res.rows) {
          const money = r.v.map((n) => usd(BigInt(n)));
          rows.set(`${table}\0${r.account_id}\0`, [...money, String(r.version)].join(' '));
        }
        return res.rows;
      };
      const balances = await moneyRows(
        'balances',
        'total, top_up, bonus_and_compensation, held, available',
      );
      for (const r of balances) versions.set(r.account_id, r.version);
      await moneyRows(
        'breakdowns',
        `top_ups, bonuses, gifts, referrals, compensations, adjustments, expired, usage,
       total_balance`,
      );
      const transactions = await client.query<TransactionTableRow & { account_id: string }>(
        `SELECT account_id, ${TRANSACTION_TABLE_COLUMNS} FROM ${s}.transactions`,
      );
      for (const r of transactions.rows) {
        rows.set(
          `transactions\0${r.account_id}\0${r.id}`,
          [
            r.type,
            r.occurred_at,
            usd(BigInt(r.amount)),
            r.description,
            r.method ?? '-',
            r.invoice_id ?? '-',
            r.api_key_id ?? '-',
            r.request_count ?? '-',
          ].join(' | '),
        );
      }
      const keyUsage = await client.query<{
        account_id: string;
        api_key_id: string;
        used: string;
        requests: string;
        last_used_at: string;
      }>(
        `SELECT account_id, api_key_id, used::text, requests::text, ${isoColumn('last_used_at')} AS last_used_at
       FROM ${s}.key_usage`,
      );
      for (const r of keyUsage.rows) {
        rows.set(
          `key_usage\0${r.account_id}\0${r.api_key_id}`,
          `${usd(BigInt(r.used))} ${r.requests} ${r.last_used_at}`,
        );
      }
      await text(
        'usage_daily',
        `SELECT account_id, to_char(day, 'YYYY-MM-DD') || '/' || model || '/' || api_key_id AS k,
              concat_ws(' ', cost, requests, input_tokens, output_tokens, cached_input_tokens,
                        cache_write_tokens, reasoning_tokens) AS v
       FROM ${s}.usage_daily`,
      );
      const daily = [...rows].filter(([k]) => k.startsWith('usage_daily\0'));
      for (const [k, v] of daily) {
        const [cost, ...rest] = v.split(' ');
        rows.set(k, [usd(BigInt(cost ?? '0')), ...rest].join(' '));
      }
      await text(
        'expiry_schedule',
        `SELECT account_id, '' AS k, ${isoColumn('due_at')} AS v FROM ${s}.expiry_schedule`,
      );
      // Each stream's version is its number of events; an account's stream is `account-<id>`.
      const streams = await client.query<{ accounts: string; events: string }>(
        `SELECT count(*)::text AS accounts, coalesce(sum(version), 0)::text AS events
         FROM ${s}.streams WHERE stream_id LIKE 'account-%'`,
      );
      const total = {
        accounts: Number(streams.rows[0]?.accounts ?? 0),
        events: Number(streams.rows[0]?.events ?? 0),
      };
      return { versions, rows, total };
    },
    { begin: 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' },
  );
}

/**
 * Checks every stored snapshot: its content hash, the hash of the event at its version, and its
 * state, breakdown and clock against a fold of the account's stream up to that version. A
 * snapshot that fails any of them is reported as `snapshots[v<version>]: ...` under its account.
 * The ledger never uses such a snapshot (AccountLoader checks the first two on every load); this
 * also catches one whose content was rewritten together with its hash.
 */
export async function verifySnapshots(
  pool: pg.Pool,
  schema: string,
  store: PostgresEventStore,
): Promise<Map<string, string[]>> {
  const problems = new Map<string, string[]>();
  const accounts = await pool.query<{ account_id: string }>(
    `SELECT DISTINCT account_id FROM "${schema}".snapshots ORDER BY account_id`,
  );
  for (const { account_id: accountId } of accounts.rows) {
    const list: string[] = [];
    const snapshots = await pool.query<{
      version: number;
      last_recorded_at_ms: string;
      event_hash: string;
      state: string;
      breakdown: string;
      hash: string;
    }>(
      `SELECT version, last_recorded_at_ms::text, event_hash, state::text, breakdown::text, hash
       FROM "${schema}".snapshots WHERE account_id = $1 ORDER BY version`,
      [accountId],
    );
    const last = snapshots.rows.at(-1)?.version ?? 0;
    const events = await store.readStream(streamIdOf(accountId), { limit: last });
    let state = initialLedgerState();
    let breakdown = EMPTY_BREAKDOWN;
    let lastRecordedAtMs = 0;
    let next = 0;
    for (const row of snapshots.rows) {
      const where = `snapshots[v${row.version}]`;
      let stateJson: unknown;
      let breakdownJson: unknown;
      try {
        stateJson = JSON.parse(row.state);
        breakdownJson = JSON.parse(row.breakdown);
      } catch {
        list.push(`${where}: is not JSON`);
        continue;
      }
      const body = {
        accountId,
        version: row.version,
        lastRecordedAtMs: Number(row.last_recorded_at_ms),
        eventHash: row.event_hash,
        state: stateJson,
        breakdown: breakdownJson,
      };
      if (snapshotHash(body) !== row.hash) list.push(`${where}: does not match its hash`);
      while (next < events.length && next < row.version) {
        const stored = events[next];
        if (stored === undefined) break;
        const event = fromStoredEvent(stored);
        state = evolve(state, event);
        breakdown = addToBreakdown(breakdown, event);
        lastRecordedAtMs = Math.max(lastRecordedAtMs, event.data.recordedAtMs);
        next++;
      }
      const event = events[row.version - 1];
      if (event === undefined || state.version !== row.version) {
        list.push(`${where}: the stream has only ${events.length} event(s)`);
        continue;
      }
      if (event.hash !== row.event_hash) {
        list.push(`${where}: event_hash ${row.event_hash}, but the event's hash is ${event.hash}`);
      }
      if (canonicalJson(encodeLedgerState(state)) !== canonicalJson(stateJson)) {
        list.push(`${where}: state differs from the fold of events 1..${row.version}`);
      }
      if (canonicalJson(encodeBreakdown(breakdown)) !== canonicalJson(breakdownJson)) {
        list.push(`${where}: breakdown differs from the fold of events 1..${row.version}`);
      }
      if (lastRecordedAtMs !== body.lastRecordedAtMs) {
        list.push(
          `${where}: last_recorded_at_ms ${body.lastRecordedAtMs}, fold ${lastRecordedAtMs}`,
        );
      }
    }
    if (list.length > 0) problems.set(accountId, list);
  }
  return problems;
}
