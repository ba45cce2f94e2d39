import type pg from 'pg';
import { PollWakeup } from '@billing/postgres';
import { assertSchemaName, backoffMs, defaultLogger, errorMessage } from './internal/util.js';
import type { MessagePublisher, MessagingLogger, PendingOutboxMessage } from './types.js';

export interface OutboxRelayOptions {
  readonly pool: pg.Pool;
  readonly schema: string;
  readonly publisher: MessagePublisher;
  /** Rows read and published per round trip (default 500). */
  readonly batchSize?: number;
  /** Polling fallback when no NOTIFY arrives (default 500 ms). */
  readonly pollIntervalMs?: number;
  /**
   * Polling while rows exist that cannot be read yet because an older transaction is still
   * running (default 25 ms). Its end sends no NOTIFY on our channel, so without this the rows
   * would wait for the next regular poll.
   */
  readonly blockedPollIntervalMs?: number;
  /** How often a standby instance tries to take the leadership (default 1 s). */
  readonly leaderRetryMs?: number;
  /**
   * How long published rows stay in the outbox, for audit, before they are deleted (default
   * 24 h). 0 deletes a batch's rows in the same transaction that moves the checkpoint past them.
   */
  readonly retentionMs?: number;
  readonly pruneIntervalMs?: number;
  /** Backoff after a failure (database or broker): doubles from `initialMs` up to `maxMs`. */
  readonly errorBackoff?: { readonly initialMs: number; readonly maxMs: number };
  readonly logger?: MessagingLogger;
  readonly hooks?: {
    /** Fault injection: runs after a batch was published and before the checkpoint moves past it. */
    afterPublishBeforeMark?: (messages: readonly PendingOutboxMessage[]) => void | Promise<void>;
  };
}

export interface OutboxRelayStats {
  published: number;
  batches: number;
  failures: number;
  pruned: number;
}

/** A read of the outbox: the rows to publish, and whether an open transaction held later ones back. */
interface Batch {
  readonly rows: OutboxRow[];
  readonly blocked: boolean;
}

interface Checkpoint {
  transactionId: string;
  lastId: string;
}

interface OutboxRow {
  id: string;
  transaction_id: string;
  message_id: string;
  topic: string;
  message_key: string;
  value: string;
  headers: Record<string, string> | null;
}

/**
 * Publishes `<schema>.outbox` to a {@link MessagePublisher}, in commit-safe order, at least once.
 *
 * - Order: rows are read by (transaction_id, id) and only below `pg_snapshot_xmin`, i.e. once
 *   every transaction that could still insert an earlier row has ended. A single leader publishes
 *   them in that order through a publisher that keeps per-key order (Kafka: idempotent producer,
 *   one request in flight), so one key's messages reach consumers in outbox order.
 * - Leadership: a session-level advisory lock on a dedicated connection; that same connection
 *   reads and marks the rows, so losing it (crash, network) loses the lock and the role together.
 *   A standby retries every `leaderRetryMs`.
 * - Progress: a checkpoint (`outbox_relay_state`: the last published (transaction_id, id)) moves
 *   only after `publish` resolved. A crash before it moves republishes the batch (a duplicate,
 *   absorbed by the consumers' inbox); nothing is lost. It is committed asynchronously, so a
 *   database crash may also undo the last few moves: the same duplicates, nothing lost. Outbox
 *   rows themselves are never updated, so the scanned range stays free of dead tuples; published
 *   rows are pruned after `retentionMs`.
 */
export class OutboxRelay {
  readonly schema: string;
  readonly stats: OutboxRelayStats = { published: 0, batches: 0, failures: 0, pruned: 0 };

  private readonly pool: pg.Pool;
  private readonly publisher: MessagePublisher;
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly blockedPollIntervalMs: number;
  private readonly leaderRetryMs: number;
  private readonly retentionMs: number;
  private readonly pruneIntervalMs: number;
  private readonly errorBackoff: { readonly initialMs: number; readonly maxMs: number };
  private readonly logger: MessagingLogger;
  private readonly hooks: OutboxRelayOptions['hooks'];
  private readonly lockKey: string;
  private readonly channel: string;
  private readonly readSql: string;

  private loop: Promise<void> | undefined;
  private stopping = false;
  private leader = false;
  /** Ends a wait early: a NOTIFY of the outbox (kept if it arrives mid-batch), or a stop. */
  private readonly wakeup = new PollWakeup();
  private lastPrune = 0;
  private checkpoint: Checkpoint | undefined;
  private prefetched: Promise<Batch> | undefined;

  constructor(options: OutboxRelayOptions) {
    this.schema = assertSchemaName(options.schema);
    this.pool = options.pool;
    this.publisher = options.publisher;
    this.batchSize = options.batchSize ?? 500;
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    this.blockedPollIntervalMs = Math.min(options.blockedPollIntervalMs ?? 25, this.pollIntervalMs);
    this.leaderRetryMs = options.leaderRetryMs ?? 1000;
    this.retentionMs = options.retentionMs ?? 24 * 3600 * 1000;
    this.pruneIntervalMs = options.pruneIntervalMs ?? 60_000;
    this.errorBackoff = options.errorBackoff ?? { initialMs: 200, maxMs: 10_000 };
    this.logger = options.logger ?? defaultLogger;
    this.hooks = options.hooks;
    this.lockKey = `outbox-relay:${this.schema}`;
    this.channel = `${this.schema}.outbox`;
    this.readSql = readBatchSql(this.schema);
  }

  get isLeader(): boolean {
    return this.leader;
  }

  start(): void {
    if (this.loop) return;
    this.stopping = false;
    this.loop = this.run();
  }

  /** Lets the batch in flight finish (publish and mark), then gives up the leadership. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeup.interrupt();
    await this.loop;
    this.loop = undefined;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      let client: pg.PoolClient | undefined;
      let broken: Error | undefined;
      const onError = (err: Error): void => {
        broken = err;
        this.wakeup.interrupt();
      };
      const onNotification = (): void => this.wakeup.notify();
      try {
        client = await this.pool.connect();
        client.on('error', onError);
        const lock = await client.query<{ ok: boolean }>(
          'SELECT pg_try_advisory_lock(hashtext($1)) AS ok',
          [this.lockKey],
        );
        if (!lock.rows[0]?.ok) {
          client.off('error', onError);
          client.release();
          client = undefined;
          await this.waitForWake(this.leaderRetryMs);
          continue;
        }
        client.on('notification', onNotification);
        // The relay's writes only record progress: a checkpoint lost in a database crash means
        // its batches are published again, duplicates the consumers' inboxes absorb, and a lost
        // prune is done again later. So they do not wait for the WAL to reach the disk; the rows
        // the relay publishes were committed durably by their writers.
        await client.query(`LISTEN "${this.channel}"; SET synchronous_commit TO off`);
        this.checkpoint = await this.loadCheckpoint(client);
        this.leader = true;
        this.logger.info('outbox relay is the leader', { schema: this.schema });
        failures = 0;
        while (!this.stopping) {
          if (broken) throw broken;
          const { published, blocked } = await this.relayBatch(client);
          if (published === this.batchSize) continue;
          await this.pruneIfDue(client);
          await this.waitForWake(blocked ? this.blockedPollIntervalMs : this.pollIntervalMs);
        }
      } catch (err) {
        failures += 1;
        this.stats.failures += 1;
        broken ??= err instanceof Error ? err : new Error(String(err));
        this.logger.error(
          'outbox relay failed; will retry from its checkpoint (a duplicate at worst)',
          {
            schema: this.schema,
            error: errorMessage(err),
            failures,
          },
        );
      } finally {
        // Never release a connection with a query of ours still running on it.
        await this.dropPrefetch();
        if (client) {
          client.off('notification', onNotification);
          if (!broken) {
            // Give the role up explicitly so a standby takes over at once, not at its next poll.
            await client
              .query(
                `UNLISTEN "${this.channel}"; RESET synchronous_commit; SELECT pg_advisory_unlock(hashtext('${this.lockKey}'))`,
              )
              .catch((e: unknown) => {
                broken = e instanceof Error ? e : new Error(String(e));
              });
          }
          client.off('error', onError);
          // A broken connection is destroyed, which also releases its advisory lock server-side.
          client.release(broken ?? undefined);
        }
        this.leader = false;
      }
      if (broken && !this.stopping) {
        await this.waitForWake(
          backoffMs(failures, this.errorBackoff.initialMs, this.errorBackoff.maxMs),
        );
      }
    }
  }

  private async loadCheckpoint(client: pg.PoolClient): Promise<Checkpoint> {
    const { rows } = await client.query<{ transaction_id: string; last_id: string }>(
      `SELECT transaction_id, last_id FROM ${this.schema}.outbox_relay_state`,
    );
    const row = rows[0];
    if (!row)
      throw new Error(`${this.schema}.outbox_relay_state has no row; run the messaging migrations`);
    return { transactionId: row.transaction_id, lastId: row.last_id };
  }

  private async readBatch(client: pg.PoolClient, from: Checkpoint): Promise<Batch> {
    const { rows } = await client.query<OutboxRow & { readable: boolean }>(this.readSql, [
      from.transactionId,
      from.lastId,
      this.batchSize,
    ]);
    return { rows: rows.filter((r) => r.readable), blocked: rows.some((r) => !r.readable) };
  }

  /**
   * Publishes the next batch of committed rows after the checkpoint; returns how many. While a
   * full batch is being published, the next one is read (the database connection is idle then);
   * it is used only if the publish succeeded, so order and the checkpoint are unaffected.
   */
  private async relayBatch(
    client: pg.PoolClient,
  ): Promise<{ published: number; blocked: boolean }> {
    const from = this.checkpoint;
    if (!from) throw new Error('relay has no checkpoint');
    const { rows, blocked } = await (this.prefetched ?? this.readBatch(client, from));
    this.prefetched = undefined;
    const last = rows[rows.length - 1];
    if (!last) return { published: 0, blocked };
    const to: Checkpoint = { transactionId: last.transaction_id, lastId: last.id };
    const messages: PendingOutboxMessage[] = rows.map((r) => ({
      position: r.id,
      id: r.message_id,
      topic: r.topic,
      key: r.message_key,
      value: r.value,
      ...(r.headers ? { headers: r.headers } : {}),
    }));
    const publishing = this.publisher.publish(messages);
    if (rows.length === this.batchSize && !this.stopping) {
      const next = this.readBatch(client, to);
      next.catch(() => undefined); // observed below or dropped with the batch
      this.prefetched = next;
    }
    try {
      await publishing;
      await this.hooks?.afterPublishBeforeMark?.(messages);
    } catch (err) {
      await this.dropPrefetch();
      throw err;
    }
    // One statement, so one round trip and atomic: the checkpoint moves and, with no retention,
    // the published rows go in the same commit.
    await client.query(
      this.retentionMs === 0
        ? `WITH gone AS (DELETE FROM ${this.schema}.outbox WHERE id = ANY($4::bigint[]))
           UPDATE ${this.schema}.outbox_relay_state
              SET transaction_id = $1, last_id = $2, published = published + $3, updated_at = now()`
        : `UPDATE ${this.schema}.outbox_relay_state
              SET transaction_id = $1, last_id = $2, published = published + $3, updated_at = now()`,
      this.retentionMs === 0
        ? [to.transactionId, to.lastId, rows.length, rows.map((r) => r.id)]
        : [to.transactionId, to.lastId, rows.length],
    );
    this.checkpoint = to;
    this.stats.published += rows.length;
    this.stats.batches += 1;
    return { published: rows.length, blocked };
  }

  private async dropPrefetch(): Promise<void> {
    const pending = this.prefetched;
    this.prefetched = undefined;
    await pending?.catch(() => undefined);
  }

  private async pruneIfDue(client: pg.PoolClient): Promise<void> {
    const upTo = this.checkpoint;
    if (!upTo || this.retentionMs === 0) return;
    if (Date.now() - this.lastPrune < this.pruneIntervalMs) return;
    this.lastPrune = Date.now();
    // Published rows only (at or before the checkpoint), oldest first, in small deletes so a
    // large backlog never holds long locks.
    for (;;) {
      const res = await client.query(
        `DELETE FROM ${this.schema}.outbox WHERE id IN (
           SELECT id FROM ${this.schema}.outbox
            WHERE (transaction_id, id) <= ($1::xid8, $2::bigint)
              AND created_at < now() - $3 * interval '1 millisecond'
            ORDER BY transaction_id, id
            LIMIT 5000)`,
        [upTo.transactionId, upTo.lastId, this.retentionMs],
      );
      this.stats.pruned += res.rowCount ?? 0;
      if ((res.rowCount ?? 0) < 5000 || this.stopping) return;
    }
  }

  private waitForWake(ms: number): Promise<void> {
    return this.stopping ? Promise.resolve() : this.wakeup.sleep(ms);
  }
}

/**
 * The next batch after a checkpoint, in log order, and in the same round trip the first row the
 * batch had to leave behind, if any (`readable` false). A row is readable once every transaction
 * older than its own has ended (`pg_snapshot_xmin`), so no earlier row can still appear. A row
 * left behind means a transaction still open holds the log back, and its end sends no NOTIFY on
 * the outbox's channel: the relay then polls every `blockedPollIntervalMs`. (A second query
 * after each batch used to ask: a round trip more a batch, though not a measurable share of the
 * gateway's CPU, which goes to waking the process at the other end; docs/BENCHMARKS.md.)
 *
 * Both halves are one descent of `outbox_log_order_idx`, however many published rows are kept
 * for the retention period: each is ordered by the index with a `LIMIT`, and the second starts
 * at whichever is later of the checkpoint and the horizon (as a row comparison the index can
 * start from: a filter on `transaction_id` it could not, and PostgreSQL, which estimates a row
 * comparison on xid8 as matching most of the table, scanned every retained row). The whole is
 * ordered again, so the publishing order never rests on how PostgreSQL appends the halves. $1: the
 * checkpoint's transaction id, $2: its last id, $3: the batch size.
 */
export function readBatchSql(schema: string): string {
  const s = assertSchemaName(schema);
  return `WITH horizon AS MATERIALIZED (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin)
          (SELECT id, transaction_id, message_id, topic, message_key, value, headers, true AS readable
             FROM ${s}.outbox
            WHERE (transaction_id, id) > ($1::xid8, $2::bigint)
              AND transaction_id < (SELECT xmin FROM horizon)
            ORDER BY transaction_id, id
            LIMIT $3)
          UNION ALL
          (SELECT id, transaction_id, message_id, topic, message_key, value, headers, false
             FROM ${s}.outbox
            WHERE (transaction_id, id) > (
                    GREATEST($1::xid8, (SELECT xmin FROM horizon)),
                    CASE WHEN (SELECT xmin FROM horizon) > $1::xid8 THEN -1 ELSE $2::bigint END)
            ORDER BY transaction_id, id
            LIMIT 1)
          ORDER BY transaction_id, id`;
}

/**
 * The rows of `outbox o` after the relay's checkpoint. The checkpoint is read once, before the
 * scan (an InitPlan), so the scan is a range of `outbox_log_order_idx`. Joined instead to
 * `outbox_relay_state` (one row, which PostgreSQL takes for 1,330 until it is analysed), the
 * estimate was the retained rows times 1,330, and past `jit_above_cost` every scrape of
 * `/metrics` paid for JIT compilation: 6 ms and more for a scan that read no row.
 */
const AFTER_CHECKPOINT = (schema: string): string =>
  `(o.transaction_id, o.id) > (SELECT transaction_id, last_id FROM ${schema}.outbox_relay_state)`;

/**
 * The backlog is counted up to this many rows: the count reads them in index order, so a scrape
 * costs at most this much however far behind the relay is, and the planner, given an ordered
 * `LIMIT`, walks the index rather than scan a table it has no statistics for. A backlog at the cap
 * means "this many or more"; the age of the oldest row, which the alert watches, is exact.
 */
export const OUTBOX_BACKLOG_COUNT_CAP = 1000;

/** The statement of {@link outboxBacklog}: `n`, the rows after the checkpoint (capped), `age`. */
export function outboxBacklogSql(schema: string): string {
  return `SELECT count(*) AS n,
                 EXTRACT(EPOCH FROM (now() - min(b.created_at)))::float8 AS age
            FROM (SELECT o.created_at FROM ${assertSchemaName(schema)}.outbox o
                   WHERE ${AFTER_CHECKPOINT(schema)}
                   ORDER BY o.transaction_id, o.id
                   LIMIT ${OUTBOX_BACKLOG_COUNT_CAP}) b`;
}

/**
 * The outbox's backlog for metrics: rows not yet published (after the relay's checkpoint) and the
 * age in seconds of the oldest of them (0 when there is none). A growing age means the relay is
 * not publishing: it is down, has no leader, or the broker refuses it.
 */
export async function outboxBacklog(
  db: pg.Pool | pg.PoolClient | pg.Client,
  schema: string,
): Promise<{ messages: number; oldestAgeSeconds: number }> {
  assertSchemaName(schema);
  const { rows } = await db.query<{ n: string; age: number | null }>(outboxBacklogSql(schema));
  const row = rows[0];
  return { messages: Number(row?.n ?? 0), oldestAgeSeconds: Math.max(0, row?.age ?? 0) };
}

/**
 * Rows written to `<schema>.outbox` and not yet published (after the relay's checkpoint), for
 * metrics and health checks: a growing number means the relay is down or the broker is.
 */
export async function countUnpublished(
  db: pg.Pool | pg.PoolClient | pg.Client,
  schema: string,
): Promise<number> {
  assertSchemaName(schema);
  const { rows } = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM ${schema}.outbox o WHERE ${AFTER_CHECKPOINT(schema)}`,
  );
  return Number(rows[0]?.n ?? 0);
}
