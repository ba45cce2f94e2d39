import type pg from 'pg';
import { DLQ_HEADERS, deadLetterHeaders } from './internal/dead-letter-headers.js';
import { assertSchemaName } from './internal/util.js';
import type { DeadLetter, InboxRecord } from './types.js';

/**
 * `<schema>.dead_letters`: every dead letter of a service's consumers, whatever the transport
 * (docs/adr/015-dead-letter-desk.md). In process it is the dead-letter queue itself; on Kafka it
 * indexes what the consumer also wrote to `<topic>.dlq`, so that the operator's desk lists it with
 * a query and records a replay in the transaction that applies it.
 */

/** What a replay of a dead letter came to: its effect applied, or the inbox had it already. */
export type ReplayOutcome = 'applied' | 'duplicate';

export interface StoredDeadLetter {
  id: string;
  consumerName: string;
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  messageId: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
  reason: string;
  error: string | null;
  createdAt: Date;
  replayedAt: Date | null;
  replayOutcome: ReplayOutcome | null;
}

interface Row {
  id: string;
  consumer_name: string;
  topic: string;
  partition: number;
  offset: string;
  message_key: string | null;
  message_id: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
  reason: string;
  error: string | null;
  created_at: Date;
  replayed_at: Date | null;
  replay_outcome: ReplayOutcome | null;
}

const fromRow = (r: Row): StoredDeadLetter => ({
  id: r.id,
  consumerName: r.consumer_name,
  topic: r.topic,
  partition: r.partition,
  offset: r.offset,
  key: r.message_key,
  messageId: r.message_id,
  value: r.value,
  headers: r.headers,
  reason: r.reason,
  error: r.error,
  createdAt: r.created_at,
  replayedAt: r.replayed_at,
  replayOutcome: r.replay_outcome,
});

/**
 * Stores dead letters. `keyed` (Kafka): each is keyed by consumer and coordinates, so a DLQ write
 * retried after a failure does not store it twice. In process the lanes' offsets restart with the
 * process, so the coordinates are not a key there.
 */
export async function storeDeadLetters(
  pool: pg.Pool,
  schema: string,
  letters: readonly DeadLetter[],
  options: { readonly now: Date; readonly keyed: boolean },
): Promise<void> {
  assertSchemaName(schema);
  const { now, keyed } = options;
  await pool.query(
    `INSERT INTO ${schema}.dead_letters
       (consumer_name, topic, partition, "offset", message_key, message_id, value, headers, reason,
        error, created_at, dedupe_key)
     SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[],
                          $7::bytea[], $8::jsonb[], $9::text[], $10::text[], $11::timestamptz[],
                          $12::text[])
     ON CONFLICT (dedupe_key) DO NOTHING`,
    [
      letters.map((l) => l.consumerName),
      letters.map((l) => l.record.topic),
      letters.map((l) => l.record.partition),
      letters.map((l) => l.record.offset),
      letters.map((l) => l.record.key),
      letters.map((l) => l.messageId ?? null),
      letters.map((l) => l.record.value),
      letters.map((l) => JSON.stringify(deadLetterHeaders(l, now))),
      letters.map((l) => l.reason),
      letters.map((l) => l.error ?? null),
      letters.map(() => now),
      letters.map((l) =>
        keyed
          ? `${l.consumerName}/${l.record.topic}/${l.record.partition}/${l.record.offset}`
          : null,
      ),
    ],
  );
}

/** Reads `<schema>.dead_letters` oldest first, all of them or one consumer's (tests, tools). */
export async function readDeadLetters(
  pool: pg.Pool,
  schema: string,
  consumerName?: string,
): Promise<StoredDeadLetter[]> {
  assertSchemaName(schema);
  const { rows } = await pool.query<Row>(
    `SELECT * FROM ${schema}.dead_letters WHERE $1::text IS NULL OR consumer_name = $1 ORDER BY id`,
    [consumerName ?? null],
  );
  return rows.map(fromRow);
}

export type DeadLetterState = 'pending' | 'replayed' | 'all';

export interface DeadLetterPageQuery {
  readonly topic?: string;
  readonly state: DeadLetterState;
  readonly limit: number;
  /** Only dead letters stored before this one (the id of the last row of the previous page). */
  readonly beforeId?: string;
}

/** One page of dead letters, newest first, and whether there is more after it. */
export async function listDeadLetters(
  pool: pg.Pool,
  schema: string,
  query: DeadLetterPageQuery,
): Promise<{ letters: StoredDeadLetter[]; more: boolean }> {
  assertSchemaName(schema);
  const { rows } = await pool.query<Row>(
    `SELECT * FROM ${schema}.dead_letters
      WHERE ($1::text IS NULL OR topic = $1)
        AND ($2::text = 'all' OR ($2::text = 'pending') = (replayed_at IS NULL))
        AND ($3::bigint IS NULL OR id < $3)
      ORDER BY id DESC
      LIMIT $4`,
    [query.topic ?? null, query.state, query.beforeId ?? null, query.limit + 1],
  );
  return { letters: rows.slice(0, query.limit).map(fromRow), more: rows.length > query.limit };
}

export interface DeadLetterCount {
  readonly topic: string;
  readonly consumerName: string;
  readonly pending: number;
  readonly replayed: number;
}

/** Dead letters per source topic and consumer: waiting for a replay, and replayed. */
export async function countDeadLetters(pool: pg.Pool, schema: string): Promise<DeadLetterCount[]> {
  assertSchemaName(schema);
  const { rows } = await pool.query<{
    topic: string;
    consumer_name: string;
    pending: string;
    replayed: string;
  }>(
    `SELECT topic, consumer_name,
            count(*) FILTER (WHERE replayed_at IS NULL)     AS pending,
            count(*) FILTER (WHERE replayed_at IS NOT NULL) AS replayed
       FROM ${schema}.dead_letters
      GROUP BY topic, consumer_name
      ORDER BY topic, consumer_name`,
  );
  return rows.map((r) => ({
    topic: r.topic,
    consumerName: r.consumer_name,
    pending: Number(r.pending),
    replayed: Number(r.replayed),
  }));
}

export async function findDeadLetter(
  pool: pg.Pool,
  schema: string,
  id: string,
): Promise<StoredDeadLetter | undefined> {
  assertSchemaName(schema);
  const { rows } = await pool.query<Row>(`SELECT * FROM ${schema}.dead_letters WHERE id = $1`, [
    id,
  ]);
  const row = rows[0];
  return row === undefined ? undefined : fromRow(row);
}

/**
 * Marks a dead letter replayed, inside the transaction that applied it: true when this call did,
 * false when another replay did first (that transaction committed; this one must roll back).
 */
export async function claimReplay(
  client: pg.PoolClient,
  schema: string,
  id: string,
  outcome: ReplayOutcome,
): Promise<boolean> {
  assertSchemaName(schema);
  const res = await client.query(
    `UPDATE ${schema}.dead_letters SET replayed_at = now(), replay_outcome = $2
      WHERE id = $1 AND replayed_at IS NULL`,
    [id, outcome],
  );
  return res.rowCount === 1;
}

const DLQ_HEADER_NAMES = new Set<string>(Object.values(DLQ_HEADERS));

/**
 * The record as the consumer first received it: same topic, partition, offset, key and value, and
 * its own headers without the ones the dead-lettering added.
 */
export function originalRecordOf(letter: StoredDeadLetter): InboxRecord {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(letter.headers)) {
    if (!DLQ_HEADER_NAMES.has(name)) headers[name] = value;
  }
  return {
    topic: letter.topic,
    partition: letter.partition,
    offset: letter.offset,
    key: letter.key,
    value: letter.value,
    headers,
  };
}
