/**
 * Shared fixtures of the messaging tests: a test envelope and its decoder, a schema with the
 * messaging tables plus an `effects` table that records every handler run (no unique key, so a
 * double application shows up as two rows), and helpers to write outbox rows.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { enqueue } from '../outbox.js';
import { messagingMigrations } from '../schema.js';
import type { Decoder, MessageHandler, OutboxMessage } from '../types.js';

export interface TestEvent {
  id?: string;
  type: 'TestEvent';
  accountId: string;
  seq: number;
}

/** A strict decoder in the shape services use: JSON, known type, validated fields. */
export const decodeTestEvent: Decoder<TestEvent> = (value) => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch {
    return { ok: false, reason: 'invalid_json' };
  }
  if (typeof parsed !== 'object' || parsed === null) return { ok: false, reason: 'invalid_json' };
  const o = parsed as Record<string, unknown>;
  if (o.type !== 'TestEvent') return { ok: false, reason: 'unknown_type' };
  if (typeof o.accountId !== 'string' || typeof o.seq !== 'number') {
    return { ok: false, reason: 'validation_failed' };
  }
  return {
    ok: true,
    message: {
      ...(typeof o.id === 'string' ? { id: o.id } : {}),
      type: 'TestEvent',
      accountId: o.accountId,
      seq: o.seq,
    },
  };
};

export const testEventId = (m: TestEvent): string | undefined => m.id;

export const effectsMigration = {
  id: 'test_001_effects',
  sql: `CREATE TABLE effects (
          n          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          consumer   text   NOT NULL,
          message_id text   NOT NULL,
          account_id text   NOT NULL,
          seq        integer NOT NULL
        )`,
};

export const testMigrations = [...messagingMigrations, effectsMigration];

/**
 * Applies migrations to a fresh test schema the way `migrate()` of @billing/service-kit does
 * (search_path set to the schema, one transaction each). Tests do not import service-kit itself:
 * it depends on this library, and a dependency back would be a cycle.
 */
export async function applyTestMigrations(
  pool: pg.Pool,
  schema: string,
  migrations: readonly { readonly id: string; readonly sql: string }[] = testMigrations,
): Promise<void> {
  const client = await pool.connect();
  try {
    for (const m of migrations) {
      await client.query('BEGIN');
      await client.query(`SET LOCAL search_path TO ${schema}, public`);
      await client.query(m.sql);
      await client.query('COMMIT');
    }
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** The handler of most tests: one row in `effects` per application. */
export function recordEffect(schema: string, consumer: string): MessageHandler<TestEvent> {
  return async (m, client, ctx) => {
    await client.query(
      `INSERT INTO ${schema}.effects (consumer, message_id, account_id, seq) VALUES ($1, $2, $3, $4)`,
      [consumer, ctx.messageId, m.accountId, m.seq],
    );
  };
}

export function testMessage(topic: string, accountId: string, seq: number): OutboxMessage {
  const id = randomUUID();
  return {
    topic,
    key: accountId,
    id,
    value: JSON.stringify({ id, type: 'TestEvent', accountId, seq }),
  };
}

/** `perAccount` messages for each of `accounts` accounts, interleaved, seq increasing per account. */
export function testMessages(topic: string, accounts: number, perAccount: number): OutboxMessage[] {
  const out: OutboxMessage[] = [];
  for (let seq = 1; seq <= perAccount; seq++) {
    for (let a = 0; a < accounts; a++) out.push(testMessage(topic, `acct_${a}`, seq));
  }
  return out;
}

/** Writes messages to the outbox in transactions of `perTransaction` rows. */
export async function enqueueInTransactions(
  pool: pg.Pool,
  schema: string,
  messages: readonly OutboxMessage[],
  perTransaction = 10,
): Promise<void> {
  const client = await pool.connect();
  try {
    for (let i = 0; i < messages.length; i += perTransaction) {
      await client.query('BEGIN');
      await enqueue(client, messages.slice(i, i + perTransaction), schema);
      await client.query('COMMIT');
    }
  } finally {
    client.release();
  }
}

export interface EffectRow {
  message_id: string;
  account_id: string;
  seq: number;
}

export async function readEffects(
  pool: pg.Pool,
  schema: string,
  consumer: string,
): Promise<EffectRow[]> {
  const { rows } = await pool.query<EffectRow>(
    `SELECT message_id, account_id, seq FROM ${schema}.effects WHERE consumer = $1 ORDER BY n`,
    [consumer],
  );
  return rows;
}

export async function countEffects(
  pool: pg.Pool,
  schema: string,
  consumer: string,
): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM ${schema}.effects WHERE consumer = $1`,
    [consumer],
  );
  return Number(rows[0]?.n ?? 0);
}

/** Accounts whose effects were not applied in strictly increasing `seq` order. */
export function outOfOrderAccounts(effects: readonly EffectRow[]): string[] {
  const last = new Map<string, number>();
  const bad = new Set<string>();
  for (const e of effects) {
    if ((last.get(e.account_id) ?? 0) >= e.seq) bad.add(e.account_id);
    last.set(e.account_id, e.seq);
  }
  return [...bad];
}

export function duplicateIds(effects: readonly EffectRow[]): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const e of effects) {
    if (seen.has(e.message_id)) dup.add(e.message_id);
    seen.add(e.message_id);
  }
  return [...dup];
}
