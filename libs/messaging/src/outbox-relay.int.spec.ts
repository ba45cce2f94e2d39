import {
  createTestSchema,
  eventually,
  testDatabaseUrl,
  testPool,
  type TestSchema,
} from '@billing/testing';
import { pruneInbox } from './inbox.js';
import { silentLogger } from './internal/util.js';
import { enqueue } from './outbox.js';
import {
  countUnpublished,
  OutboxRelay,
  outboxBacklog,
  outboxBacklogSql,
  readBatchSql,
  type OutboxRelayOptions,
} from './outbox-relay.js';
import {
  enqueueInTransactions,
  testMessage,
  testMessages,
  applyTestMigrations,
} from './testing/fixtures.js';
import type { MessagePublisher, OutboxMessage } from './types.js';

/** A publisher that records what it was given, and can be told to fail. */
class RecordingPublisher implements MessagePublisher {
  readonly published: OutboxMessage[] = [];
  failNext = 0;
  calls = 0;

  publish(messages: readonly OutboxMessage[]): Promise<void> {
    this.calls += 1;
    if (this.failNext > 0) {
      this.failNext -= 1;
      return Promise.reject(new Error('broker unavailable'));
    }
    this.published.push(...messages);
    return Promise.resolve();
  }

  ids(): string[] {
    return this.published.map((m) => m.id);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('OutboxRelay and inbox upkeep against the real PostgreSQL', () => {
  let db: TestSchema;
  const relays: OutboxRelay[] = [];

  beforeAll(async () => {
    db = await createTestSchema('relay');
    await applyTestMigrations(db.pool, db.schema);
  });

  afterEach(async () => {
    for (const r of relays.splice(0)) await r.stop();
    await db.pool.query(`DELETE FROM ${db.schema}.outbox`);
  });

  afterAll(async () => {
    await db.drop();
  });

  function relay(
    publisher: MessagePublisher,
    overrides: Partial<OutboxRelayOptions> = {},
  ): OutboxRelay {
    const r = new OutboxRelay({
      pool: db.pool,
      schema: db.schema,
      publisher,
      pollIntervalMs: 50,
      leaderRetryMs: 50,
      errorBackoff: { initialMs: 10, maxMs: 50 },
      logger: silentLogger,
      ...overrides,
    });
    relays.push(r);
    r.start();
    return r;
  }

  it('writes its progress without waiting for the disk while it leads, and gives its connection back as it found it', async () => {
    // One connection, so the relay's and the test's are the same one, in turn.
    const pool = testPool({
      connectionString: testDatabaseUrl(),
      max: 1,
      options: `-c search_path=${db.schema},public`,
    });
    try {
      const publisher = new RecordingPublisher();
      const r = new OutboxRelay({
        pool,
        schema: db.schema,
        publisher,
        pollIntervalMs: 50,
        logger: silentLogger,
      });
      r.start();
      await eventually(() => (r.isLeader ? true : undefined));
      await enqueueInTransactions(db.pool, db.schema, [testMessage('t', 'acct_1', 1)], 1);
      await eventually(() => (publisher.published.length === 1 ? true : undefined));
      // Its checkpoint commits asynchronously: a database crash may lose the last ones, and the
      // batches after them are published again (consumers drop the duplicates by id).
      const state = await db.pool.query<{ published: string }>(
        `SELECT published::text FROM ${db.schema}.outbox_relay_state`,
      );
      expect(Number(state.rows[0]?.published)).toBeGreaterThanOrEqual(1);
      await r.stop();
      // The pool's only connection, back from the relay: durable commits again for whoever
      // checks it out next.
      const setting = await pool.query<{ synchronous_commit: string }>('SHOW synchronous_commit');
      expect(setting.rows[0]?.synchronous_commit).toBe('on');
    } finally {
      await pool.end();
    }
  });

  it('waits for a transaction that commits late and never skips or overtakes its row', async () => {
    const publisher = new RecordingPublisher();
    relay(publisher);
    const [a, b, c] = [1, 2, 3].map((seq) => testMessage('t', 'acct_1', seq));
    if (!a || !b || !c) throw new Error('fixture');

    const slow = await db.pool.connect();
    try {
      // Transaction A writes its row first (lower transaction id) and stays open...
      await slow.query('BEGIN');
      await enqueue(slow, [a], db.schema);
      // ...while B and C, which started later, commit.
      await enqueueInTransactions(db.pool, db.schema, [b, c], 1);
      await sleep(500);
      // Publishing B and C now would overtake A; a sequence-gap reader would skip A for good.
      expect(publisher.ids()).toEqual([]);
      await slow.query('COMMIT');
    } finally {
      slow.release();
    }
    await eventually(() => (publisher.published.length >= 3 ? true : undefined));
    await sleep(200);
    expect(publisher.ids()).toEqual([a.id, b.id, c.id]);
  });

  it('polls while a transaction that writes no outbox row holds committed rows back, as its end sends no NOTIFY', async () => {
    const publisher = new RecordingPublisher();
    const r = relay(publisher, { pollIntervalMs: 60_000, blockedPollIntervalMs: 25 });
    await eventually(() => (r.isLeader ? true : undefined));
    await sleep(100); // past the first (empty) poll: the relay now sleeps for a minute
    const other = await db.pool.connect();
    try {
      // Any open transaction with an id keeps pg_snapshot_xmin below the rows committed after it.
      await other.query('BEGIN');
      await other.query('SELECT pg_current_xact_id()');
      const held = testMessage('t', 'acct_1', 1);
      await enqueueInTransactions(db.pool, db.schema, [held]);
      await sleep(300);
      expect(publisher.ids()).toEqual([]);
      const ended = Date.now();
      await other.query('ROLLBACK');
      await eventually(() => (publisher.published.length === 1 ? true : undefined), 5000, 10);
      // The blocked poll found it, not the minute's poll nor a NOTIFY (the rollback sends none).
      expect(Date.now() - ended).toBeLessThan(2000);
      expect(publisher.ids()).toEqual([held.id]);
    } finally {
      other.release();
    }
  });

  it('never publishes the rows of a rolled-back transaction', async () => {
    const publisher = new RecordingPublisher();
    relay(publisher);
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      await enqueue(client, [testMessage('t', 'acct_1', 1)], db.schema);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    const kept = testMessage('t', 'acct_1', 2);
    await enqueueInTransactions(db.pool, db.schema, [kept]);
    await eventually(() => (publisher.published.length >= 1 ? true : undefined));
    await sleep(200);
    expect(publisher.ids()).toEqual([kept.id]);
  });

  it('keeps a single leader per schema; a standby waits, then takes over when the leader stops', async () => {
    const first = new RecordingPublisher();
    const second = new RecordingPublisher();
    const leader = relay(first);
    await eventually(() => (leader.isLeader ? true : undefined));
    const standby = relay(second);
    const batch1 = testMessages('t', 3, 5);
    await enqueueInTransactions(db.pool, db.schema, batch1, 5);
    await eventually(() => (first.published.length >= batch1.length ? true : undefined));
    expect(standby.isLeader).toBe(false);
    expect(second.published).toEqual([]);

    await leader.stop();
    await eventually(() => (standby.isLeader ? true : undefined));
    const batch2 = testMessages('t', 3, 5);
    await enqueueInTransactions(db.pool, db.schema, batch2, 5);
    await eventually(() => (second.published.length >= batch2.length ? true : undefined));
    expect(first.ids()).toEqual(batch1.map((m) => m.id));
    expect(second.ids()).toEqual(batch2.map((m) => m.id));
  });

  it('wakes on NOTIFY at commit, without waiting for the polling interval', async () => {
    const publisher = new RecordingPublisher();
    const r = relay(publisher, { pollIntervalMs: 60_000 });
    await eventually(() => (r.isLeader ? true : undefined));
    await sleep(100); // past the first (empty) poll: the relay now sleeps for a minute
    const started = Date.now();
    await enqueueInTransactions(db.pool, db.schema, [testMessage('t', 'acct_1', 1)]);
    await eventually(() => (publisher.published.length === 1 ? true : undefined), 5000, 10);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('loses nothing and keeps the order when the publisher fails', async () => {
    const publisher = new RecordingPublisher();
    publisher.failNext = 3;
    const messages = testMessages('t', 3, 10);
    await enqueueInTransactions(db.pool, db.schema, messages, 4);
    const r = relay(publisher, { batchSize: 7 });
    await eventually(() => (publisher.published.length >= messages.length ? true : undefined));
    await sleep(100);
    expect(publisher.ids()).toEqual(messages.map((m) => m.id));
    expect(r.stats.failures).toBeGreaterThanOrEqual(3);
    expect(await countUnpublished(db.pool, db.schema)).toBe(0);
  });

  it('keeps published rows for the retention period, then prunes them', async () => {
    const publisher = new RecordingPublisher();
    const r = relay(publisher, { retentionMs: 1500, pruneIntervalMs: 0 });
    await enqueueInTransactions(db.pool, db.schema, testMessages('t', 2, 5), 10);
    await eventually(() => (publisher.published.length === 10 ? true : undefined));
    // Published (behind the checkpoint) but still there for audit...
    await eventually(async () =>
      (await countUnpublished(db.pool, db.schema)) === 0 ? true : undefined,
    );
    const kept = await db.pool.query(`SELECT count(*)::int AS n FROM ${db.schema}.outbox`);
    expect(kept.rows[0]).toEqual({ n: 10 });
    await eventually(async () => {
      const { rows } = await db.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${db.schema}.outbox`,
      );
      return rows[0]?.n === 0 ? true : undefined;
    }, 5000);
    expect(r.stats.pruned).toBe(10);
  });

  it('deletes rows as soon as they are published when the retention is 0', async () => {
    const publisher = new RecordingPublisher();
    relay(publisher, { retentionMs: 0 });
    await enqueueInTransactions(db.pool, db.schema, testMessages('t', 2, 5), 10);
    await eventually(() => (publisher.published.length === 10 ? true : undefined));
    const left = await eventually(async () => {
      const { rows } = await db.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${db.schema}.outbox`,
      );
      return rows[0]?.n === 0 ? rows[0].n : undefined;
    });
    expect(left).toBe(0);
  });

  it('reads the rows past the checkpoint, and the first one held back, with one index descent each, however many rows are retained', async () => {
    // A day of retention keeps every published row: the probe after each batch used to read
    // them all (a sequential scan per committed request), so its cost grew all day long. The
    // read now answers what the probe asked (is a row held back?) in the same statement.
    // One transaction a row, as requests commit them; no ANALYZE yet, as on a table that grew
    // since autovacuum last looked at it. 20,000 rows of transactions that have ended (below the
    // horizon: on a young cluster, such as a test container's, there are fewer transaction ids
    // than rows, so there they repeat), then 20,000 of transaction ids to come: rows a
    // transaction still open holds back, as the relay sees them.
    const { rows: now } = await db.pool.query<{ xmin: string; xid: string }>(
      `SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin,
              pg_current_xact_id()::text AS xid`,
    );
    const ended = BigInt(now[0]?.xmin ?? '0') - 1n; // transaction ids 1 .. ended have ended
    const future = BigInt(now[0]?.xid ?? '0') + 1_000_000n;
    await db.pool.query(
      `INSERT INTO ${db.schema}.outbox (transaction_id, message_id, topic, message_key, value)
       SELECT (1 + n % LEAST($1::bigint, 20000))::text::xid8, 'm' || n, 't', 'k', '{}'
         FROM generate_series(1, 20000) AS n
       UNION ALL
       SELECT ($2::bigint + n)::text::xid8, 'f' || n, 't', 'k', '{}' FROM generate_series(1, 20000) AS n`,
      [ended.toString(), future.toString()],
    );
    const readable = await db.pool.query<{
      transaction_id: string;
      id: string;
      message_id: string;
    }>(
      `SELECT transaction_id, id, message_id FROM ${db.schema}.outbox WHERE message_id LIKE 'm%'
        ORDER BY transaction_id DESC, id DESC LIMIT 2`,
    );
    const [lastReadable, beforeLastReadable] = readable.rows;
    const held = await db.pool.query<{ transaction_id: string; id: string }>(
      `SELECT transaction_id, id FROM ${db.schema}.outbox WHERE message_id = 'f20000'`,
    );
    const [last] = held.rows;
    if (!beforeLastReadable || !lastReadable || !last) throw new Error('fixture');
    const read = async (at: { transaction_id: string; id: string }): Promise<string> => {
      const sql = readBatchSql(db.schema);
      const params = [at.transaction_id, at.id, 500];
      const explained = await db.pool.query<{ 'QUERY PLAN': unknown }>(
        `EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`,
        params,
      );
      const plan = JSON.stringify(explained.rows[0]?.['QUERY PLAN']);
      expect(plan).not.toContain('Seq Scan');
      expect(plan).toContain('outbox_log_order_idx');
      // Neither half walks the retained rows: no index scan reads past what it returns.
      expect(plan).not.toMatch(/"Rows Removed by Filter": [1-9]\d{2,}/);
      const { rows } = await db.pool.query<{ message_id: string; readable: boolean }>(sql, params);
      return rows.map((r) => `${r.message_id}:${r.readable ? 'readable' : 'held'}`).join(' ');
    };
    expect(await read(beforeLastReadable)).toBe(`${lastReadable.message_id}:readable f1:held`);
    expect(await read(lastReadable)).toBe('f1:held');
    expect(await read(last)).toBe('');
  });

  it('measures the backlog by an index range planned too cheaply for JIT, however many rows are retained', async () => {
    // Every scrape of /metrics asks this. Joined to the one-row checkpoint table, the estimate
    // was the retained rows times 1,330 (a table never analysed), so each scrape compiled the
    // statement with JIT: milliseconds of CPU for a scan that found nothing.
    await db.pool.query(
      `INSERT INTO ${db.schema}.outbox (transaction_id, message_id, topic, message_key, value)
       SELECT (1000 + n)::text::xid8, 'm' || n, 't', 'k', '{}' FROM generate_series(1, 50000) AS n`,
    );
    // Everything published but the last row.
    await db.pool.query(
      `UPDATE ${db.schema}.outbox_relay_state s SET transaction_id = o.transaction_id, last_id = o.id
         FROM (SELECT transaction_id, id FROM ${db.schema}.outbox
                ORDER BY transaction_id DESC, id DESC OFFSET 1 LIMIT 1) o`,
    );
    const { rows } = await db.pool.query<{ 'QUERY PLAN': [{ Plan: { 'Total Cost': number } }] }>(
      `EXPLAIN (FORMAT JSON) ${outboxBacklogSql(db.schema)}`,
    );
    const plan = rows[0]?.['QUERY PLAN'];
    const { rows: jit } = await db.pool.query<{ cost: string }>(
      `SELECT current_setting('jit_above_cost') AS cost`,
    );
    expect(plan?.[0].Plan['Total Cost']).toBeLessThan(Number(jit[0]?.cost));
    expect(JSON.stringify(plan)).toContain('outbox_log_order_idx');
    expect(JSON.stringify(plan)).not.toMatch(/"Seq Scan"[^}]*"Relation Name": "outbox"/);
    expect((await outboxBacklog(db.pool, db.schema)).messages).toBe(1);
  });

  it('prunes inbox rows older than the window, and only those', async () => {
    await db.pool.query(
      `INSERT INTO ${db.schema}.inbox (consumer_name, message_id, processed_at)
       VALUES ('c', 'old-1', now() - interval '10 days'), ('c', 'old-2', now() - interval '9 days'),
              ('other', 'old-3', now() - interval '9 days'), ('c', 'new-1', now())`,
    );
    expect(await pruneInbox(db.pool, db.schema, 8 * 24 * 3600 * 1000, 'c')).toBe(2);
    const { rows } = await db.pool.query<{ message_id: string }>(
      `SELECT message_id FROM ${db.schema}.inbox ORDER BY message_id`,
    );
    expect(rows.map((r) => r.message_id)).toEqual(['new-1', 'old-3']);
  });
});
