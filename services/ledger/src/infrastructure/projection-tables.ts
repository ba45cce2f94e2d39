import { createHash } from 'node:crypto';
import { assertSchemaName } from '@billing/service-kit';
import type pg from 'pg';
import type { ProjectionChanges } from './projection-changes.js';

/** The projection tables of the ledger, in the order `projections:rebuild` lists them. */
export const PROJECTION_NAMES = [
  'balances',
  'breakdowns',
  'transactions',
  'key_usage',
  'usage_daily',
  'expiry_schedule',
] as const;
export type ProjectionName = (typeof PROJECTION_NAMES)[number];

export const isProjectionName = (name: string): name is ProjectionName =>
  (PROJECTION_NAMES as readonly string[]).includes(name);

/** The schema-name rule of every service (@billing/postgres, through service-kit). */
export const assertSchema = assertSchemaName;

const iso = (ms: number): string => new Date(ms).toISOString();
const int8 = (n: bigint): string => n.toString();

/**
 * Writes {@link ProjectionChanges} with one statement: every table is one data-modifying CTE fed
 * by `unnest` of column arrays, so a consumer chunk of hundreds of events costs one round trip.
 * Additive tables add to what is there (`ON CONFLICT ... DO UPDATE SET x = t.x + EXCLUDED.x`),
 * balances and the schedule are set, and a balance never goes back to an older version.
 *
 * `tableOf` maps a projection to its physical table, which is how `projections:rebuild` writes the
 * same rows into `<name>_rebuild`.
 */
export class ProjectionWriter {
  private readonly text: string;
  private readonly name: string;

  constructor(
    schema: string,
    tableOf: (projection: ProjectionName) => string = (p) => p,
    /** Which tables to write; the others are left alone (a partial rebuild). */
    only: ReadonlySet<ProjectionName> = new Set(PROJECTION_NAMES),
  ) {
    const s = `"${assertSchema(schema)}"`;
    const t = (p: ProjectionName): string => `${s}."${tableOf(p)}"`;
    const parts: string[] = [];
    // One `$n` per column, numbered in the order of `parameters()` whether the table is written
    // or skipped, so that every writer has the same parameter list.
    let next = 1;
    const param = (type: string): string => `$${next++}::${type}[]`;
    /** An upsert fed by `unnest`; `columns` is "name type, ..." in the order of the parameters. */
    const upsert = (
      alias: string,
      projection: ProjectionName,
      columns: string,
      conflict: string,
      set: string,
    ): void => {
      const typed = columns.split(',').map((column) => column.trim().split(/\s+/));
      const params = typed.map(([, type]) => param(type ?? 'text'));
      if (!only.has(projection)) return;
      parts.push(`${alias} AS (
        INSERT INTO ${t(projection)} AS t (${typed.map(([name]) => name).join(', ')})
        SELECT * FROM unnest(${params.join(', ')})
        ON CONFLICT (${conflict}) DO UPDATE SET ${set}
        RETURNING 1)`);
    };
    // What an upsert does with a column: takes the new value, adds it (additive tables), or keeps
    // the later of the two.
    const replace = (...columns: string[]): string =>
      columns.map((c) => `${c} = EXCLUDED.${c}`).join(', ');
    const add = (...columns: string[]): string =>
      columns.map((c) => `${c} = t.${c} + EXCLUDED.${c}`).join(', ');
    const latest = (c: string): string => `${c} = GREATEST(t.${c}, EXCLUDED.${c})`;

    upsert(
      'b',
      'balances',
      `account_id text, total int8, top_up int8, bonus_and_compensation int8, held int8,
       available int8, version int4`,
      'account_id',
      `${replace('total', 'top_up', 'bonus_and_compensation', 'held', 'available', 'version')},
       updated_at = now() WHERE t.version <= EXCLUDED.version`,
    );
    const categories = [
      ...['top_ups', 'bonuses', 'gifts', 'referrals', 'compensations', 'adjustments'],
      ...['expired', 'usage', 'total_balance'],
    ];
    upsert(
      'bd',
      'breakdowns',
      `account_id text, ${categories.map((c) => `${c} int8`).join(', ')}, version int4`,
      'account_id',
      `${add(...categories)}, ${latest('version')}`,
    );
    upsert(
      'tx',
      'transactions',
      `account_id text, id text, type text, occurred_at timestamptz, amount int8, description text,
       method text, invoice_id text, api_key_id text, request_count int8`,
      'account_id, id',
      `${add('amount', 'request_count')}, ${latest('occurred_at')}`,
    );
    upsert(
      'ku',
      'key_usage',
      'account_id text, api_key_id text, used int8, requests int8, last_used_at timestamptz',
      'account_id, api_key_id',
      `${add('used', 'requests')}, ${latest('last_used_at')}`,
    );
    const sums = [
      ...['cost', 'requests', 'input_tokens', 'output_tokens'],
      ...['cached_input_tokens', 'cache_write_tokens', 'reasoning_tokens'],
    ];
    upsert(
      'ud',
      'usage_daily',
      `account_id text, day date, model text, api_key_id text,
       ${sums.map((c) => `${c} int8`).join(', ')}`,
      'account_id, day, model, api_key_id',
      add(...sums),
    );
    upsert(
      'su',
      'expiry_schedule',
      'account_id text, due_at timestamptz',
      'account_id',
      replace('due_at'),
    );
    const unscheduled = param('text');
    if (only.has('expiry_schedule')) {
      parts.push(`sd AS (
        DELETE FROM ${t('expiry_schedule')} WHERE account_id = ANY(${unscheduled})
        RETURNING 1)`);
    }
    // Parameters of skipped tables are still sent (empty arrays) so that every writer has the same
    // parameter list; PostgreSQL only needs their types, given by a cast in a no-op select.
    const unused = Array.from({ length: next - 1 }, (_, i) => i + 1).filter(
      (n) => !parts.some((p) => p.includes(`$${n}:`)),
    );
    const keepTypes = unused.length
      ? `, params AS (SELECT ${unused.map((n) => `cardinality($${n}::text[])`).join(', ')})`
      : '';
    this.text = `WITH ${parts.join(',\n')}${keepTypes} SELECT 1`;
    // Named, so that each connection plans it once; the name is derived from the text, since a
    // name must never be reused for another text on the same connection.
    this.name = `ledger_project_${createHash('sha256').update(this.text).digest('hex').slice(0, 24)}`;
  }

  async write(client: pg.ClientBase, changes: ProjectionChanges): Promise<void> {
    if (changes.isEmpty) return;
    await client.query({ name: this.name, text: this.text, values: parameters(changes) });
  }
}

function parameters(c: ProjectionChanges): unknown[] {
  const balances = [...c.balances];
  const breakdowns = [...c.breakdowns];
  const transactions = [...c.transactions.values()];
  const keyUsage = [...c.keyUsage.values()];
  const usageDaily = [...c.usageDaily.values()];
  const due = [...c.schedule].filter((e): e is [string, number] => e[1] !== undefined);
  const none = [...c.schedule].filter(([, at]) => at === undefined).map(([id]) => id);
  return [
    balances.map(([id]) => id),
    balances.map(([, b]) => int8(b.totalNanos)),
    balances.map(([, b]) => int8(b.topUpNanos)),
    balances.map(([, b]) => int8(b.bonusAndCompensationNanos)),
    balances.map(([, b]) => int8(b.heldNanos)),
    balances.map(([, b]) => int8(b.availableNanos)),
    balances.map(([, b]) => b.version),

    breakdowns.map(([id]) => id),
    breakdowns.map(([, r]) => int8(r.breakdown.topUpsNanos)),
    breakdowns.map(([, r]) => int8(r.breakdown.bonusesNanos)),
    breakdowns.map(([, r]) => int8(r.breakdown.giftsNanos)),
    breakdowns.map(([, r]) => int8(r.breakdown.referralsNanos)),
    breakdowns.map(([, r]) => int8(r.breakdown.compensationsNanos)),
    breakdowns.map(([, r]) => int8(r.breakdown.adjustmentsNanos)),
    breakdowns.map(([, r]) => int8(r.breakdown.expiredNanos)),
    breakdowns.map(([, r]) => int8(r.breakdown.usageNanos)),
    breakdowns.map(([, r]) => int8(r.breakdown.totalBalanceNanos)),
    breakdowns.map(([, r]) => r.version),

    transactions.map((t) => t.accountId),
    transactions.map((t) => t.row.id),
    transactions.map((t) => t.row.type),
    transactions.map((t) => iso(t.row.occurredAtMs)),
    transactions.map((t) => int8(t.row.amountNanos)),
    transactions.map((t) => t.row.description),
    transactions.map((t) => t.row.method ?? null),
    transactions.map((t) => t.row.invoiceId ?? null),
    transactions.map((t) => t.row.apiKeyId ?? null),
    transactions.map((t) => t.row.requestCount ?? null),

    keyUsage.map((k) => k.accountId),
    keyUsage.map((k) => k.apiKeyId),
    keyUsage.map((k) => int8(k.usedNanos)),
    keyUsage.map((k) => k.requests),
    keyUsage.map((k) => iso(k.lastUsedAtMs)),

    usageDaily.map((u) => u.accountId),
    usageDaily.map((u) => u.day),
    usageDaily.map((u) => u.model),
    usageDaily.map((u) => u.apiKeyId),
    usageDaily.map((u) => int8(u.costNanos)),
    usageDaily.map((u) => u.requests),
    usageDaily.map((u) => u.inputTokens),
    usageDaily.map((u) => u.outputTokens),
    usageDaily.map((u) => u.cachedInputTokens),
    usageDaily.map((u) => u.cacheWriteTokens),
    usageDaily.map((u) => u.reasoningTokens),

    due.map(([id]) => id),
    due.map(([, at]) => iso(at)),
    none,
  ];
}

/** A timestamptz column as the API serves times: ISO-8601 UTC with milliseconds. */
export const isoColumn = (column: string): string =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** A row of the `transactions` projection as read back (pg hands int8 back as text). */
export interface TransactionTableRow {
  readonly id: string;
  readonly type: string;
  readonly occurred_at: string;
  readonly amount: string;
  readonly description: string;
  readonly method: string | null;
  readonly invoice_id: string | null;
  readonly api_key_id: string | null;
  readonly request_count: string | null;
}

/** The columns of a `TransactionTableRow`, for a SELECT. */
export const TRANSACTION_TABLE_COLUMNS = `id, type, ${isoColumn('occurred_at')} AS occurred_at,
  amount::text, description, method, invoice_id, api_key_id, request_count::text`;
