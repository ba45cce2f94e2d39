import { eventually } from '@billing/testing';
import { buildSql } from './postgres-event-store.js';
import { CheckpointMovedError } from './subscription.js';
import { type StoreFixture, createStoreFixture, event, key } from './test-support.js';
import type { SubscribeOptions, Subscription, SubscriptionHandler } from './types.js';

describe('event store: catch-up and live subscriptions (real PostgreSQL)', () => {
  let f: StoreFixture;
  const running: Subscription[] = [];

  beforeEach(async () => {
    f = await createStoreFixture('es_sub');
    // A consumer's own table: one row per delivery, no unique key, so a double delivery shows.
    await f.pool.query(
      'CREATE TABLE applied (event_id uuid NOT NULL, type text NOT NULL, sub text NOT NULL)',
    );
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.stop()));
    await f.drop();
  });

  /** A projection handler: writes through the transaction it is given. */
  const project =
    (sub = 'p'): SubscriptionHandler =>
    async (events, client) => {
      for (const e of events) {
        await client.query('INSERT INTO applied (event_id, type, sub) VALUES ($1, $2, $3)', [
          e.eventId,
          e.type,
          sub,
        ]);
      }
    };

  async function subscribe(options: Partial<SubscribeOptions> = {}): Promise<Subscription> {
    const s = await f.store.subscribe({
      subscriptionId: 'projection',
      handler: project(),
      batchSize: 3,
      pollIntervalMs: 100,
      retryDelayMs: 20,
      ...options,
    });
    running.push(s);
    return s;
  }

  async function stop(s: Subscription): Promise<void> {
    running.splice(running.indexOf(s), 1);
    await s.stop();
  }

  const appendTypes = async (stream: string, ...names: string[]): Promise<void> => {
    for (const name of names) {
      await f.store.append(stream, [event(name)], {
        expectedVersion: 'any',
        idempotencyKey: key(),
      });
    }
  };

  const applied = async (): Promise<string[]> =>
    (await f.pool.query<{ type: string }>('SELECT type FROM applied ORDER BY ctid')).rows.map(
      (r) => r.type,
    );

  const appliedCount = (n: number) => async () => {
    const rows = await applied();
    return rows.length >= n ? rows : undefined;
  };

  it('catches up on existing events, then is woken by NOTIFY for live ones', async () => {
    await appendTypes('s-1', 'E1', 'E2', 'E3', 'E4', 'E5');
    // A poll interval far beyond the test's patience: only a notification can wake it.
    await subscribe({ pollIntervalMs: 60_000 });
    expect(await eventually(appliedCount(5))).toEqual(['E1', 'E2', 'E3', 'E4', 'E5']);

    await appendTypes('s-2', 'L1');
    await f.store.appendBatch([
      {
        streamId: 's-3',
        events: [event('L2'), event('L3')],
        expectedVersion: 'any',
        idempotencyKey: key(),
      },
    ]);
    expect(await eventually(appliedCount(8), 5_000)).toEqual([
      'E1',
      'E2',
      'E3',
      'E4',
      'E5',
      'L1',
      'L2',
      'L3',
    ]);
  });

  it('falls back to polling without LISTEN', async () => {
    await subscribe({ listen: false, pollIntervalMs: 50 });
    await appendTypes('s-1', 'P1', 'P2');
    expect(await eventually(appliedCount(2))).toEqual(['P1', 'P2']);
  });

  it('commits its checkpoint with the projection rows, and resumes from it with nothing twice', async () => {
    await appendTypes('s-1', 'A', 'B', 'C', 'D');
    const first = await subscribe();
    await eventually(appliedCount(4));
    await stop(first);

    const checkpoint = await f.pool.query<{ tx_id: string; position: string }>(
      "SELECT tx_id, position FROM checkpoints WHERE subscription_id = 'projection'",
    );
    expect({
      transactionId: BigInt(checkpoint.rows[0]?.tx_id ?? -1),
      position: BigInt(checkpoint.rows[0]?.position ?? -1),
    }).toEqual(first.position());

    await appendTypes('s-1', 'E', 'F');
    await subscribe();
    expect(await eventually(appliedCount(6))).toEqual(['A', 'B', 'C', 'D', 'E', 'F']);
    await new Promise((r) => setTimeout(r, 300));
    expect(await applied()).toHaveLength(6);
  });

  it('rolls back the projection rows and the checkpoint when the handler fails, then retries', async () => {
    await appendTypes('s-1', 'A', 'B');
    const errors: unknown[] = [];
    let attempts = 0;
    await subscribe({
      onError: (e) => errors.push(e),
      handler: async (events, client) => {
        await project()(events, client);
        attempts += 1;
        if (attempts <= 2) throw new Error(`projection bug #${attempts}`);
      },
    });
    expect(await eventually(appliedCount(2))).toEqual(['A', 'B']);
    expect(attempts).toBe(3);
    expect(errors.map((e) => (e as Error).message)).toEqual([
      'projection bug #1',
      'projection bug #2',
    ]);
  });

  it('waits on stop() for the batch in flight, which then commits', async () => {
    await appendTypes('s-1', 'A');
    let entered!: () => void;
    const inHandler = new Promise<void>((r) => (entered = r));
    const s = await subscribe({
      handler: async (events, client) => {
        entered();
        await new Promise((r) => setTimeout(r, 300));
        await project()(events, client);
      },
    });
    await inHandler;
    await stop(s);
    expect(await applied()).toEqual(['A']);
    expect(s.position().position).toBeGreaterThan(0n);
  });

  it('does not deliver past an open transaction, then delivers it first', async () => {
    await subscribe();
    const holder = await f.pool.connect();
    try {
      await holder.query('BEGIN');
      await f.store.appendInTransaction(holder, 's-a', [event('A')], {
        expectedVersion: 'any',
        idempotencyKey: key(),
      });
      await appendTypes('s-b', 'B', 'C');
      await new Promise((r) => setTimeout(r, 400)); // several poll rounds and notifications
      expect(await applied()).toEqual([]);
      await holder.query('COMMIT');
    } finally {
      holder.release();
    }
    expect(await eventually(appliedCount(3))).toEqual(['A', 'B', 'C']);
  });

  it('applies each event once when two processes run the same subscription', async () => {
    const errors: unknown[] = [];
    const options = { batchSize: 2, pollIntervalMs: 20, onError: (e: unknown) => errors.push(e) };
    await subscribe({ ...options, handler: project('one') });
    await subscribe({ ...options, handler: project('two') });
    const events = Array.from({ length: 40 }, (_, i) => event(`E${i}`));
    for (let i = 0; i < events.length; i += 4) {
      await f.store.append('s-1', events.slice(i, i + 4), {
        expectedVersion: 'any',
        idempotencyKey: key(),
      });
    }
    const rows = await eventually(appliedCount(40));
    await new Promise((r) => setTimeout(r, 300));
    expect(await applied()).toEqual(rows);
    expect(rows).toEqual(events.map((e) => e.type));
    for (const e of errors) expect(e).toBeInstanceOf(CheckpointMovedError);
  });

  it('survives losing its LISTEN connection: reconnects and delivers what was appended', async () => {
    const errors: unknown[] = [];
    await subscribe({ pollIntervalMs: 60_000, onError: (e) => errors.push(e) });
    await appendTypes('s-1', 'Before');
    await eventually(appliedCount(1));

    const killed = await f.pool.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE query = $1 AND pid <> pg_backend_pid()`,
      [`LISTEN "${f.schema}.events"`],
    );
    expect(killed.rowCount).toBe(1);
    await eventually(() => (errors.length > 0 ? true : undefined));
    await appendTypes('s-1', 'After');
    expect(await eventually(appliedCount(2), 5_000)).toEqual(['Before', 'After']);
  });
  it('asks whether events are held back with one index descent, however long the log', async () => {
    // Asked on every idle poll: an EXISTS was planned as a scan of the whole log, because
    // PostgreSQL estimates the xid8 row comparison as matching most rows.
    // One transaction an append, as the services write; no ANALYZE yet, as on a log that grew
    // since autovacuum last looked at it.
    for (let i = 0; i < 400; i++) {
      await f.store.append(
        `long-${i}`,
        Array.from({ length: 50 }, () => event('Long')),
        {
          expectedVersion: 'no_stream',
          idempotencyKey: key(),
        },
      );
    }
    const { rows } = await f.pool.query<{ transaction_id: string; global_position: string }>(
      `SELECT transaction_id, global_position FROM "${f.schema}".events
        ORDER BY transaction_id DESC, global_position DESC LIMIT 2`,
    );
    const [last, beforeLast] = rows;
    if (!last || !beforeLast) throw new Error('fixture');
    const sql = buildSql(f.schema).heldBack;
    const probe = async (at: typeof last): Promise<{ plan: string; heldBack: boolean }> => {
      const params = [at.transaction_id, at.global_position];
      const explained = await f.pool.query(`EXPLAIN (FORMAT JSON) ${sql}`, params);
      const answer = await f.pool.query<{ held_back: boolean }>(sql, params);
      return {
        plan: JSON.stringify(explained.rows[0]),
        heldBack: answer.rows[0]?.held_back === true,
      };
    };
    const atEnd = await probe(last);
    expect(atEnd.plan).not.toContain('Seq Scan');
    expect(atEnd.plan).toContain('events_log_order');
    expect(atEnd.heldBack).toBe(false);
    const oneAfter = await probe(beforeLast);
    expect(oneAfter.plan).not.toContain('Seq Scan');
    expect(oneAfter.heldBack).toBe(true);
  });
});
