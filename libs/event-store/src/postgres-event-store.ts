import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { assertSchemaName, intArray, textArray, withTransaction } from '@billing/postgres';
import { IdempotencyConflictError } from './errors.js';
import { GENESIS_HASH, eventHash } from './hashing.js';
import { encodeLogPosition, toLogPosition } from './log-position.js';
import { notifyChannel } from './migrations.js';
import {
  type EdgeDefaults,
  type PreparedItem,
  type RecordedKey,
  type StreamHead,
  checkBatch,
  planBatch,
  prepareBatch,
} from './plan.js';
import {
  EVENT_COLUMNS,
  type RawEventRow,
  rawEventQuery,
  toChainRow,
  toStoredEvent,
} from './rows.js';
import { startSubscription } from './subscription.js';
import type {
  AppendBatchItem,
  AppendOptions,
  AppendResult,
  ChainBreakReason,
  EventStore,
  InTransactionAppendOptions,
  NewEvent,
  ReadAllOptions,
  ReadAllResult,
  ReadStreamOptions,
  StoredEvent,
  SubscribeOptions,
  Subscription,
  VerifyResult,
} from './types.js';

export interface PostgresEventStoreOptions {
  readonly pool: pg.Pool;
  /** The schema `migrateEventStore` created the tables in. */
  readonly schema: string;
  /** Where omitted event ids and times come from; random UUIDs and the clock by default. */
  readonly defaults?: EdgeDefaults;
  /**
   * Called after each successful append with how long the store's work took (seconds, from the
   * first statement to the last; with `appendBatch`, the whole transaction) and how many events
   * it appended: the service's `event_store_append_duration_seconds`.
   */
  readonly onAppend?: (seconds: number, events: number) => void;
}

const VERIFY_PAGE = 1_000;
/** Where `readByKeys` puts the idempotency key: after the columns of `EVENT_COLUMNS`. */
const KEY_COLUMN = 12;
/** Attempts of an append that lost a race on an idempotency key to another stream's append. */
const KEY_RACE_ATTEMPTS = 3;
/** A savepoint `appendBatchInTransaction` may open: inlined in SQL, so a plain identifier only. */
const SAVEPOINT_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

interface HeadRow {
  stream_id: string;
  version: number;
  head_hash: string;
}

interface KeyRow {
  key: string;
  request_hash: string;
  stream_id: string;
  first_version: number;
  last_version: number;
  first_position: string;
  last_position: string;
  transaction_id: string;
}

interface Locks {
  readonly heads: ReadonlyMap<string, StreamHead>;
  readonly recorded: ReadonlyMap<string, RecordedKey>;
}

interface WrittenKeyRow {
  key: string;
  first_position: string;
  last_position: string;
  transaction_id: string;
}

/**
 * The event store on PostgreSQL. Every append, single or batched, is three round trips in one
 * transaction:
 *
 * 1. BEGIN; lock the heads of the streams it touches (an upsert, in stream id order, so that two
 *    batches never wait on each other in a cycle, and so that a stream that does not exist yet is
 *    locked too); look up the idempotency keys (after the locks, so that the lookup sees whatever
 *    the transactions we waited for committed). Then decide in JS (`planBatch`): duplicates,
 *    version checks, the hash chain.
 * 2. One INSERT ... SELECT FROM unnest(...) of every event, with the head updates and the
 *    idempotency keys as data-modifying CTEs of the same statement.
 * 3. COMMIT.
 */
export class PostgresEventStore implements EventStore {
  private readonly pool: pg.Pool;
  private readonly schema: string;
  private readonly defaults: EdgeDefaults;
  private readonly sql: ReturnType<typeof buildSql>;

  constructor(options: PostgresEventStoreOptions) {
    assertSchemaName(options.schema);
    this.pool = options.pool;
    this.schema = options.schema;
    this.defaults = options.defaults ?? { newEventId: randomUUID, now: () => new Date() };
    this.sql = buildSql(options.schema);
    this.onAppend = options.onAppend;
  }

  private readonly onAppend: ((seconds: number, events: number) => void) | undefined;

  private timed(started: bigint, items: readonly { events: readonly unknown[] }[]): void {
    if (this.onAppend === undefined) return;
    const events = items.reduce((n, i) => n + i.events.length, 0);
    this.onAppend(Number(process.hrtime.bigint() - started) / 1e9, events);
  }

  async append(
    streamId: string,
    events: readonly NewEvent[],
    options: AppendOptions,
  ): Promise<AppendResult> {
    const [result] = await this.appendBatch([{ streamId, events, ...options }]);
    return ensure(result);
  }

  async appendBatch(items: readonly AppendBatchItem[]): Promise<AppendResult[]> {
    const started = process.hrtime.bigint();
    const results = await this.appendBatchTimed(items);
    this.timed(started, items);
    return results;
  }

  private async appendBatchTimed(items: readonly AppendBatchItem[]): Promise<AppendResult[]> {
    checkBatch(items);
    let prepared: PreparedItem[] | undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        return await withTransaction(
          this.pool,
          async (client, rollback) => {
            // The first round trip (BEGIN, locks, keys) needs only stream ids and keys, so it is
            // on the wire while the payloads are canonicalised and hashed: the CPU work of an
            // append overlaps the database's instead of preceding it.
            const locking = this.lockAndFind(client, items, true);
            if (prepared === undefined) {
              try {
                prepared = prepareBatch(items, this.defaults);
              } catch (err) {
                await locking.catch(() => undefined);
                throw err;
              }
            }
            const { results, wrote } = await this.writePlanned(client, prepared, await locking);
            // A batch of duplicates only locked heads; rolling back drops those no-op row
            // versions.
            return wrote ? results : rollback(results);
          },
          { begin: false },
        );
      } catch (err) {
        // The other transaction has committed the key by now, so the next attempt sees it and
        // answers with the precise outcome (a conflict, with the stream the key belongs to).
        if (isKeyRace(err) && attempt < KEY_RACE_ATTEMPTS) continue;
        throw toStoreError(err);
      }
    }
  }

  async appendInTransaction(
    client: pg.ClientBase,
    streamId: string,
    events: readonly NewEvent[],
    options: AppendOptions,
  ): Promise<AppendResult> {
    const [result] = await this.appendBatchInTransaction(client, [
      { streamId, events, ...options },
    ]);
    return ensure(result);
  }

  /**
   * Appends inside the caller's transaction (BEGIN and COMMIT are the caller's), so that a
   * service can append and update its own tables atomically. Any error from the database leaves
   * the transaction aborted: roll it back, or back to `options.savepoint`. A refusal decided
   * before anything is written (a stale expected version, a key used with other events) and an
   * invalid argument leave it usable.
   */
  async appendBatchInTransaction(
    client: pg.ClientBase,
    items: readonly AppendBatchItem[],
    options: InTransactionAppendOptions = {},
  ): Promise<AppendResult[]> {
    const savepoint = options.savepoint;
    if (savepoint !== undefined && !SAVEPOINT_NAME.test(savepoint)) {
      throw new RangeError(`invalid savepoint name ${JSON.stringify(savepoint)}`);
    }
    const prepared = prepareBatch(items, this.defaults);
    // Outside a transaction the head locks would be released after the first statement.
    if (client.getTransactionStatus() !== 'T') {
      throw new Error(
        'appendInTransaction needs a client inside an open transaction (BEGIN first)',
      );
    }
    try {
      const started = process.hrtime.bigint();
      const locks = await this.lockAndFind(client, prepared, false, savepoint);
      const { results } = await this.writePlanned(client, prepared, locks);
      this.timed(started, items);
      return results;
    } catch (err) {
      throw toStoreError(err);
    }
  }

  async lockStreamsInTransaction(
    client: pg.ClientBase,
    streamIds: readonly string[],
  ): Promise<Map<string, number>> {
    if (client.getTransactionStatus() !== 'T') {
      throw new Error('lockStreamsInTransaction needs a client inside an open transaction');
    }
    const literal = client.escapeLiteral(textArray([...new Set(streamIds)]));
    const res = await client.query<HeadRow>(this.sql.lockHeads(literal));
    return new Map(res.rows.map((r) => [r.stream_id, r.version]));
  }

  /**
   * Locks the stream heads and reads the keys already used. BEGIN (when ours) or the caller's
   * SAVEPOINT, the locks and the key lookup travel as one simple query: three statements, one
   * round trip. Each statement still takes its own snapshot, so the key lookup sees what the
   * transactions we waited for on the locks committed. Values are inlined as escaped literals
   * because the simple protocol has no parameters.
   */
  private async lockAndFind(
    client: pg.ClientBase,
    items: readonly { readonly streamId: string; readonly idempotencyKey: string }[],
    begin: boolean,
    savepoint?: string,
  ): Promise<Locks> {
    const streamIds = textArray([...new Set(items.map((i) => i.streamId))]);
    const keys = textArray(items.map((i) => i.idempotencyKey));
    const text =
      (begin ? 'BEGIN;\n' : '') +
      (savepoint === undefined ? '' : `SAVEPOINT ${savepoint};\n`) +
      this.sql.lockHeads(client.escapeLiteral(streamIds)) +
      ';\n' +
      this.sql.findKeys(client.escapeLiteral(keys));
    const replies = (await client.query(text)) as unknown as pg.QueryResult[];
    const locked = replies.at(-2) as pg.QueryResult<HeadRow>;
    const found = replies.at(-1) as pg.QueryResult<KeyRow>;
    const heads = new Map<string, StreamHead>();
    for (const r of locked.rows)
      heads.set(r.stream_id, { version: r.version, headHash: r.head_hash });
    const recorded = new Map<string, RecordedKey>();
    for (const r of found.rows) recorded.set(r.key, toRecordedKey(r));
    return { heads, recorded };
  }

  private async writePlanned(
    client: pg.ClientBase,
    items: readonly PreparedItem[],
    { heads, recorded }: Locks,
  ): Promise<{ results: AppendResult[]; wrote: boolean }> {
    const plan = planBatch(items, heads, recorded);
    const written = new Map<string, WrittenKeyRow>();
    if (plan.events.streamIds.length > 0) {
      const { events: e, heads: h, keys: k } = plan;
      const res = await client.query<WrittenKeyRow>({
        name: `${this.schema}.es_write`,
        text: this.sql.write,
        values: [
          textArray(e.streamIds),
          intArray(e.versions),
          textArray(e.eventIds),
          textArray(e.types),
          // One JSON array text per column instead of a text[]: the documents are already
          // canonical JSON, so joining them costs nothing, where an array literal would escape
          // every quote inside them.
          `[${e.data.join(',')}]`,
          `[${e.metadata.join(',')}]`,
          textArray(e.occurredAt),
          textArray(e.prevHashes),
          textArray(e.hashes),
          textArray(h.streamIds),
          intArray(h.versions),
          textArray(h.hashes),
          textArray(k.keys),
          textArray(k.requestHashes),
          textArray(k.streamIds),
          intArray(k.firstVersions),
          intArray(k.lastVersions),
        ],
      });
      for (const r of res.rows) written.set(r.key, r);
    }

    const results = plan.outcomes.map((outcome, i): AppendResult => {
      if (outcome.kind === 'duplicate') return outcome.result;
      const row = ensure(written.get(ensure(items[i]).idempotencyKey));
      return {
        streamId: outcome.streamId,
        firstVersion: outcome.firstVersion,
        lastVersion: outcome.lastVersion,
        firstPosition: BigInt(row.first_position),
        lastPosition: BigInt(row.last_position),
        transactionId: BigInt(row.transaction_id),
        duplicate: false,
      };
    });
    return { results, wrote: written.size > 0 };
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<StoredEvent[]> {
    const res = await this.pool.query<RawEventRow>(
      rawEventQuery(`${this.schema}.es_read_stream`, this.sql.readStream, [
        streamId,
        options.fromVersion ?? 1,
        options.limit ?? null,
      ]),
    );
    return res.rows.map(toStoredEvent);
  }

  /**
   * The events whose business time (`occurredAt`, from the command) is at or before `asOf`, in
   * stream order. Not `recordedAt`: a usage event delivered an hour late still belongs to the hour
   * it happened in, which is what a statement or an invoice "as of" a date must show.
   * `fromVersion` (inclusive) lets a caller that holds a fold of the earlier events (a snapshot)
   * read only the rest.
   */
  async readStreamAsOf(
    streamId: string,
    asOf: Date,
    options: Pick<ReadStreamOptions, 'fromVersion'> = {},
  ): Promise<StoredEvent[]> {
    const res = await this.pool.query<RawEventRow>(
      rawEventQuery(`${this.schema}.es_read_stream_as_of`, this.sql.readStreamAsOf, [
        streamId,
        asOf.toISOString(),
        options.fromVersion ?? 1,
      ]),
    );
    return res.rows.map(toStoredEvent);
  }

  async streamVersion(streamId: string): Promise<number> {
    const res = await this.pool.query<{ version: number }>({
      name: `${this.schema}.es_stream_version`,
      text: this.sql.streamVersion,
      values: [streamId],
    });
    return res.rows[0]?.version ?? 0;
  }

  async readByIdempotencyKeys(keys: readonly string[]): Promise<Map<string, StoredEvent[]>> {
    const byKey = new Map<string, StoredEvent[]>();
    if (keys.length === 0) return byKey;
    const res = await this.pool.query<RawEventRow>(
      rawEventQuery(`${this.schema}.es_read_by_keys`, this.sql.readByKeys, [textArray(keys)]),
    );
    for (const row of res.rows) {
      // The key is the column after the event's own (`readByKeys`).
      const key = row[KEY_COLUMN] as string;
      const events = byKey.get(key) ?? [];
      events.push(toStoredEvent(row));
      byKey.set(key, events);
    }
    return byKey;
  }

  /**
   * Reads the global log after a position, in (transaction id, position) order, and only what
   * every running transaction can no longer add to: rows of transactions older than the oldest
   * one still running. A transaction that appended and has not committed yet therefore holds the
   * reader back instead of being skipped (docs/adr/004-event-store.md).
   */
  async readAll(options: ReadAllOptions = {}): Promise<ReadAllResult> {
    return this.readAllOn(this.pool, options);
  }

  private async readAllOn(
    queryable: pg.Pool | pg.ClientBase,
    options: ReadAllOptions,
  ): Promise<ReadAllResult> {
    const after = toLogPosition(options.after);
    const limit = options.limit ?? 1_000;
    if (!Number.isSafeInteger(limit) || limit < 1) throw new Error(`invalid limit ${limit}`);
    const res = await queryable.query<RawEventRow>(
      rawEventQuery(`${this.schema}.es_read_all`, this.sql.readAll, [
        after.transactionId.toString(),
        after.position.toString(),
        limit,
      ]),
    );
    const events = res.rows.map(toStoredEvent);
    const last = events.at(-1);
    const next = last
      ? { transactionId: last.transactionId, position: last.globalPosition }
      : after;
    return { events, next, nextToken: encodeLogPosition(next) };
  }

  /**
   * Recomputes the chain of one stream from its stored rows. Reads in pages so that a long stream
   * does not have to fit in memory; stops at the first break, since everything after it is
   * suspect anyway.
   */
  async verifyStream(streamId: string): Promise<VerifyResult> {
    let expectedVersion = 1;
    let prevHash = GENESIS_HASH;
    let checked = 0;
    const broken = (version: number, reason: ChainBreakReason): VerifyResult => ({
      ok: false,
      events: checked,
      headHash: prevHash,
      firstBreak: { version, reason },
    });
    for (;;) {
      const page = await this.pool.query<RawEventRow>(
        rawEventQuery(`${this.schema}.es_read_stream`, this.sql.readStream, [
          streamId,
          expectedVersion,
          VERIFY_PAGE,
        ]),
      );
      for (const raw of page.rows) {
        const r = toChainRow(raw);
        if (r.version !== expectedVersion) return broken(expectedVersion, 'version_gap');
        if (r.prevHash !== prevHash) return broken(r.version, 'prev_hash_mismatch');
        // The JSON columns hold the exact text that was hashed at append time: hash it as stored.
        const recomputed = eventHash({ streamId, ...r });
        if (recomputed !== r.hash) return broken(r.version, 'hash_mismatch');
        prevHash = r.hash;
        expectedVersion += 1;
        checked += 1;
      }
      if (page.rows.length < VERIFY_PAGE) break;
    }
    // The head row is what appends chain onto; it must agree with the last event, or the next
    // append would fork the chain (or a tail of events was cut off).
    const head = await this.pool.query<HeadRow>({
      name: `${this.schema}.es_stream_head`,
      text: this.sql.streamHead,
      values: [streamId],
    });
    const h = head.rows[0];
    const headVersion = h?.version ?? 0;
    const headHash = h?.head_hash ?? GENESIS_HASH;
    if (headVersion > checked) return broken(checked + 1, 'version_gap');
    if (headVersion < checked) return broken(headVersion + 1, 'head_mismatch');
    if (headHash !== prevHash) return broken(checked, 'head_mismatch');
    return { ok: true, events: checked, headHash: prevHash };
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    return startSubscription(
      {
        pool: this.pool,
        channel: notifyChannel(this.schema),
        readAll: (after, limit) => this.readAll({ after, limit }),
        sql: this.sql,
      },
      options,
    );
  }
}

export function createEventStore(options: PostgresEventStoreOptions): EventStore {
  return new PostgresEventStore(options);
}

function toRecordedKey(r: KeyRow): RecordedKey {
  return {
    requestHash: r.request_hash,
    streamId: r.stream_id,
    firstVersion: r.first_version,
    lastVersion: r.last_version,
    firstPosition: BigInt(r.first_position),
    lastPosition: BigInt(r.last_position),
    transactionId: BigInt(r.transaction_id),
  };
}

function ensure<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('event store invariant broken: missing result');
  return value;
}

interface PgError {
  code?: string;
  constraint?: string;
  detail?: string;
}

/**
 * Heads are locked before keys are looked up, so two appends with the same key to the same stream
 * are serialised and the second one sees the first one's key. Two appends with the same key to
 * different streams are not: the second one's key insert then fails on the primary key.
 */
function isKeyRace(err: unknown): boolean {
  const e = err as PgError;
  return e.code === '23505' && e.constraint === 'idempotency_keys_pkey';
}

function toStoreError(err: unknown): unknown {
  if (!isKeyRace(err)) return err;
  // Only reachable when the caller owns the transaction (or after the retries): the detail is
  // `Key (key)=(<key>) already exists.`
  const key = /^Key \(key\)=\((.*)\) already exists\.$/.exec((err as PgError).detail ?? '')?.[1];
  return new IdempotencyConflictError(key ?? '<unknown>', undefined);
}

export type StoreSql = ReturnType<typeof buildSql>;

export function buildSql(schema: string) {
  const s = `"${schema}"`;
  return {
    lockHeads: (streamIdsLiteral: string) => `
      INSERT INTO ${s}.streams AS t (stream_id, version, head_hash)
      SELECT id, 0, '${GENESIS_HASH}' FROM unnest(${streamIdsLiteral}::text[]) AS u(id)
      ORDER BY id COLLATE "C"
      ON CONFLICT (stream_id) DO UPDATE SET version = t.version
      RETURNING stream_id, version, head_hash`,
    // One index probe per key, whatever the planner thinks of the table's size.
    findKeys: (keysLiteral: string) => `
      SELECT k.key, k.request_hash, k.stream_id, k.first_version, k.last_version,
             k.first_position, k.last_position, k.transaction_id
      FROM unnest(${keysLiteral}::text[]) AS u(key)
      CROSS JOIN LATERAL (SELECT * FROM ${s}.idempotency_keys AS i WHERE i.key = u.key) AS k`,
    write: `
      WITH ev AS (
        INSERT INTO ${s}.events
          (stream_id, version, event_id, type, data, metadata, occurred_at, prev_hash, hash)
        SELECT * FROM ROWS FROM (
          unnest($1::text[]), unnest($2::int4[]), unnest($3::uuid[]), unnest($4::text[]),
          json_array_elements($5::json), json_array_elements($6::json),
          unnest($7::timestamptz[]), unnest($8::text[]), unnest($9::text[]))
        RETURNING global_position, stream_id, version
      ), heads AS (
        UPDATE ${s}.streams AS t SET version = u.version, head_hash = u.head_hash
        FROM unnest($10::text[], $11::int4[], $12::text[]) AS u(stream_id, version, head_hash)
        WHERE t.stream_id = u.stream_id
      )
      INSERT INTO ${s}.idempotency_keys
        (key, request_hash, stream_id, first_version, last_version, first_position, last_position)
      SELECT k.key, k.request_hash, k.stream_id, k.first_version, k.last_version,
             min(ev.global_position), max(ev.global_position)
      FROM unnest($13::text[], $14::text[], $15::text[], $16::int4[], $17::int4[])
             AS k(key, request_hash, stream_id, first_version, last_version)
      JOIN ev ON ev.stream_id = k.stream_id
             AND ev.version BETWEEN k.first_version AND k.last_version
      GROUP BY k.key, k.request_hash, k.stream_id, k.first_version, k.last_version
      ORDER BY k.key COLLATE "C"
      RETURNING key, first_position, last_position, transaction_id`,
    readStream: `
      SELECT ${EVENT_COLUMNS} FROM ${s}.events
      WHERE stream_id = $1 AND version >= $2
      ORDER BY version LIMIT $3`,
    readStreamAsOf: `
      SELECT ${EVENT_COLUMNS} FROM ${s}.events
      WHERE stream_id = $1 AND occurred_at <= $2::timestamptz AND version >= $3
      ORDER BY version`,
    // One index probe per key, then the key's version range of its stream; the key comes last,
    // after the event's columns (KEY_COLUMN).
    readByKeys: `
      SELECT ${EVENT_COLUMNS}, key FROM (
        SELECT e.*, k.key FROM unnest($1::text[]) AS u(key)
        CROSS JOIN LATERAL (SELECT * FROM ${s}.idempotency_keys AS i WHERE i.key = u.key) AS k
        JOIN ${s}.events AS e ON e.stream_id = k.stream_id
                             AND e.version BETWEEN k.first_version AND k.last_version
      ) AS found
      ORDER BY key, version`,
    streamVersion: `SELECT version FROM ${s}.streams WHERE stream_id = $1`,
    streamHead: `SELECT stream_id, version, head_hash FROM ${s}.streams WHERE stream_id = $1`,
    // The snapshot's xmin is wrapped in a sub-select so it is computed once per statement, not
    // once per row.
    readAll: `
      SELECT ${EVENT_COLUMNS} FROM ${s}.events
      WHERE (transaction_id, global_position) > ($1::xid8, $2::int8)
        AND transaction_id < (SELECT pg_snapshot_xmin(pg_current_snapshot()))
      ORDER BY transaction_id, global_position
      LIMIT $3`,
    // Committed events past the cursor that readAll may not return yet, because an older
    // transaction somewhere in the cluster is still open (it holds the snapshot's xmin back).
    // Ordered by the log index with LIMIT 1, not an EXISTS: PostgreSQL estimates the xid8 row
    // comparison as matching most rows, so an EXISTS scans the whole log on every idle poll.
    heldBack: `
      SELECT true AS held_back FROM ${s}.events
      WHERE (transaction_id, global_position) > ($1::xid8, $2::int8)
      ORDER BY transaction_id, global_position
      LIMIT 1`,
    ensureCheckpoint: `
      INSERT INTO ${s}.checkpoints (subscription_id) VALUES ($1)
      ON CONFLICT (subscription_id) DO NOTHING`,
    readCheckpoint: `SELECT tx_id, position FROM ${s}.checkpoints WHERE subscription_id = $1`,
    advanceCheckpoint: `
      UPDATE ${s}.checkpoints
      SET tx_id = $2::xid8, position = $3::int8, updated_at = now()
      WHERE subscription_id = $1 AND tx_id = $4::xid8 AND position = $5::int8`,
  };
}
