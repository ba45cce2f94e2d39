import { createHash } from 'node:crypto';
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

const SCHEMA = /^[a-z_][a-z0-9_]{0,55}$/;

export function assertSchema(schema: string): string {
  if (!SCHEMA.test(schema)) throw new Error(`invalid schema name ${JSON.stringify(schema)}`);
  return schema;
}

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
    if (only.has('balances')) {
      parts.push(`b AS (
        INSERT INTO ${t('balances')} AS t
          (account_id, total, top_up, bonus_and_compensation, held, available, version)
        SELECT * FROM unnest($1::text[], $2::int8[], $3::int8[], $4::int8[], $5::int8[],
                             $6::int8[], $7::int4[])
        ON CONFLICT (account_id) DO UPDATE SET
          total = EXCLUDED.total, top_up = EXCLUDED.top_up,
          bonus_and_compensation = EXCLUDED.bonus_and_compensation, held = EXCLUDED.held,
          available = EXCLUDED.available, version = EXCLUDED.version, updated_at = now()
        WHERE t.version <= EXCLUDED.version
        RETURNING 1)`);
    }
    if (only.has('breakdowns')) {
      parts.push(`bd AS (
        INSERT INTO ${t('breakdowns')} AS t
          (account_id, top_ups, bonuses, gifts, referrals, compensations, adjustments, expired,
           usage, total_balance, version)
        SELECT * FROM unnest($8::text[], $9::int8[], $10::int8[], $11::int8[], $12::int8[],
                             $13::int8[], $14::int8[], $15::int8[], $16::int8[], $17::int8[],
                             $18::int4[])
        ON CONFLICT (account_id) DO UPDATE SET
          top_ups = t.top_ups + EXCLUDED.top_ups, bonuses = t.bonuses + EXCLUDED.bonuses,
          gifts = t.gifts + EXCLUDED.gifts, referrals = t.referrals + EXCLUDED.referrals,
          compensations = t.compensations + EXCLUDED.compensations,
          adjustments = t.adjustments + EXCLUDED.adjustments,
          expired = t.expired + EXCLUDED.expired, usage = t.usage + EXCLUDED.usage,
          total_balance = t.total_balance + EXCLUDED.total_balance,
          version = GREATEST(t.version, EXCLUDED.version)
        RETURNING 1)`);
    }
    if (only.has('transactions')) {
      parts.push(`tx AS (
        INSERT INTO ${t('transactions')} AS t
          (account_id, id, type, occurred_at, amount, description, method, invoice_id,
           api_key_id, request_count)
        SELECT * FROM unnest($19::text[], $20::text[], $21::text[], $22::timestamptz[],
                             $23::int8[], $24::text[], $25::text[], $26::text[], $27::text[],
                             $28::int8[])
        ON CONFLICT (account_id, id) DO UPDATE SET
          amount = t.amount + EXCLUDED.amount,
          request_count = t.request_count + EXCLUDED.request_count,
          occurred_at = GREATEST(t.occurred_at, EXCLUDED.occurred_at)
        RETURNING 1)`);
    }
    if (only.has('key_usage')) {
      parts.push(`ku AS (
        INSERT INTO ${t('key_usage')} AS t (account_id, api_key_id, used, requests, last_used_at)
        SELECT * FROM unnest($29::text[], $30::text[], $31::int8[], $32::int8[],
                             $33::timestamptz[])
        ON CONFLICT (account_id, api_key_id) DO UPDATE SET
          used = t.used + EXCLUDED.used, requests = t.requests + EXCLUDED.requests,
          last_used_at = GREATEST(t.last_used_at, EXCLUDED.last_used_at)
        RETURNING 1)`);
    }
    if (only.has('usage_daily')) {
      parts.push(`ud AS (
        INSERT INTO ${t('usage_daily')} AS t
          (account_id, day, model, api_key_id, cost, requests, input_tokens, output_tokens,
           cached_input_tokens, cache_write_tokens, reasoning_tokens)
        SELECT * FROM unnest($34::text[], $35::date[], $36::text[], $37::text[], $38::int8[],
                             $39::int8[], $40::int8[], $41::int8[], $42::int8[], $43::int8[],
                             $44::int8[])
        ON CONFLICT (account_id, day, model, api_key_id) DO UPDATE SET
          cost = t.cost + EXCLUDED.cost, requests = t.requests + EXCLUDED.requests,
          input_tokens = t.input_tokens + EXCLUDED.input_tokens,
          output_tokens = t.output_tokens + EXCLUDED.output_tokens,
          cached_input_tokens = t.cached_input_tokens + EXCLUDED.cached_input_tokens,
          cache_write_tokens = t.cache_write_tokens + EXCLUDED.cache_write_tokens,
          reasoning_tokens = t.reasoning_tokens + EXCLUDED.reasoning_tokens
        RETURNING 1)`);
    }
    if (only.has('expiry_schedule')) {
      parts.push(`su AS (
        INSERT INTO ${t('expiry_schedule')} AS t (account_id, due_at)
        SELECT * FROM unnest($45::text[], $46::timestamptz[])
        ON CONFLICT (account_id) DO UPDATE SET due_at = EXCLUDED.due_at
        RETURNING 1)`);
      parts.push(`sd AS (
        DELETE FROM ${t('expiry_schedule')} WHERE account_id = ANY($47::text[])
        RETURNING 1)`);
    }
    // Parameters of skipped tables are still sent (empty arrays) so that every writer has the same
    // parameter list; PostgreSQL only needs their types, given by a cast in a no-op select.
    const unused = Array.from({ length: 47 }, (_, i) => i + 1).filter(
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
