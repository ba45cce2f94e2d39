import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { EmbeddedPostgres } from './embedded-postgres.js';
import { transactionAwarePool } from './transaction-aware-pool.js';

// The embedded server against the `pg` client the services use: the behaviours the services rely
// on that PGlite's single session does not give for free (see SessionQueue).

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/**
 * Starting PGlite (its WebAssembly module and initdb) takes a few seconds on an idle machine and
 * several times that beside a CPU-heavy process: the int level's 30 s is not enough for it.
 */
const START_TIMEOUT_MS = 120_000;

async function eventually(check: () => boolean, ms = 2_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

describe.each([
  ['TCP on 127.0.0.1', false],
  ['a Unix socket', true],
])('the embedded Postgres over %s', (_name, unixSocket) => {
  let dir: string;
  let server: EmbeddedPostgres;
  let pool: pg.Pool;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pglite-'));
    server = await EmbeddedPostgres.start(unixSocket ? { socketDir: join(dir, 'run') } : {});
    pool = new pg.Pool({ connectionString: server.url, max: 8 });
  }, START_TIMEOUT_MS);

  afterAll(async () => {
    await pool.end();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers concurrent parameterised queries of every shape from several connections, each with its own result', async () => {
    // Large parameters arrive in several TCP reads; the session must not serve another
    // connection's Parse between this Parse and its Bind.
    const big = 'x'.repeat(200_000);
    const results = await Promise.all(
      Array.from({ length: 120 }, async (_, i) => {
        if (i % 3 === 0) {
          const r = await pool.query<{ n: number }>(`SELECT length($1::text) + ${i} AS n`, [big]);
          return r.rows[0]?.n === big.length + i;
        }
        if (i % 3 === 1) {
          const r = await pool.query<{ v: string }>(`SELECT $1::text || '-${i}' AS v`, ['a']);
          return r.rows[0]?.v === `a-${i}`;
        }
        const r = await pool.query<{ v: number }>(`SELECT $1::int * 2 AS v, $2::text AS w`, [
          i,
          'w',
        ]);
        return r.rows[0]?.v === i * 2;
      }),
    );
    expect(results.every(Boolean)).toBe(true);
  });

  it('lets every connection prepare a statement of the same name (the session holds them all)', async () => {
    const clients = await Promise.all([pool.connect(), pool.connect(), pool.connect()]);
    try {
      const answers = await Promise.all(
        clients.map(async (c, i) => {
          const first = await c.query<{ v: number }>({
            name: 'es_write',
            text: 'SELECT $1::int + 1 AS v',
            values: [i],
          });
          const again = await c.query<{ v: number }>({
            name: 'es_write',
            text: 'SELECT $1::int + 1 AS v',
            values: [i + 10],
          });
          return [first.rows[0]?.v, again.rows[0]?.v];
        }),
      );
      expect(answers).toEqual([
        [1, 11],
        [2, 12],
        [3, 13],
      ]);
    } finally {
      for (const c of clients) c.release(true); // closed: their statements are closed too
    }
    const left = async (): Promise<number> => {
      const r = await pool.query<{ n: string }>(
        `SELECT count(*) AS n FROM pg_prepared_statements WHERE name LIKE '%es_write'`,
      );
      return Number(r.rows[0]?.n);
    };
    let n = await left();
    for (let i = 0; i < 100 && n > 0; i++) {
      await sleep(20);
      n = await left();
    }
    expect(n).toBe(0);
  });

  it('serves a transaction to its own connection only, so transactions never interleave', async () => {
    await pool.query('CREATE TABLE IF NOT EXISTS tx_test (id int PRIMARY KEY, v text)');
    const a = await pool.connect();
    try {
      await a.query('BEGIN');
      await a.query(`INSERT INTO tx_test VALUES (1, 'a')`);
      let seen: number | undefined;
      const other = pool
        .query<{ n: string }>('SELECT count(*) AS n FROM tx_test')
        .then((r) => (seen = Number(r.rows[0]?.n)));
      await sleep(50);
      expect(seen).toBeUndefined(); // waits for the transaction to end
      await a.query('COMMIT');
      await other;
      expect(seen).toBe(1);
    } finally {
      a.release();
    }
  });

  it('rolls back the transaction of a connection that goes away, and serves the others', async () => {
    const a = new pg.Client({ connectionString: server.url });
    await a.connect();
    await a.query('BEGIN');
    await a.query(`INSERT INTO tx_test VALUES (2, 'lost')`);
    a.on('error', () => undefined);
    (a as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    const r = await pool.query('SELECT id FROM tx_test WHERE id = 2');
    expect(r.rowCount).toBe(0);
  });

  it('delivers a NOTIFY committed on any connection to the connections that LISTEN, and only to them', async () => {
    const listener = new pg.Client({ connectionString: server.url });
    const bystander = new pg.Client({ connectionString: server.url });
    await listener.connect();
    await bystander.connect();
    const got: string[] = [];
    const stray: string[] = [];
    listener.on('notification', (m) => got.push(`${m.channel}:${m.payload}`));
    bystander.on('notification', (m) => stray.push(`${m.channel}:${m.payload}`));
    try {
      await listener.query('LISTEN "svc.keys"');
      await pool.query(`NOTIFY "svc.keys", 'direct'`);
      // From a trigger, at commit, as the services' outboxes and key table do.
      await pool.query(`
        CREATE TABLE notified (x int);
        CREATE FUNCTION notify_x() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN PERFORM pg_notify('svc.keys', 'trigger'); RETURN NULL; END $$;
        CREATE TRIGGER notified_t AFTER INSERT ON notified
          FOR EACH STATEMENT EXECUTE FUNCTION notify_x();`);
      const c = await pool.connect();
      await c.query('BEGIN');
      await c.query('INSERT INTO notified VALUES (1)');
      await sleep(30);
      expect(got).toEqual(['svc.keys:direct']); // not before the commit
      await c.query('COMMIT');
      c.release();
      await eventually(() => got.length === 2);
      expect(got).toEqual(['svc.keys:direct', 'svc.keys:trigger']);

      // Another connection's UNLISTEN * ends the session's LISTENs; the listener keeps its own.
      await bystander.query('LISTEN other; UNLISTEN *');
      await pool.query(`NOTIFY "svc.keys", 'after-unlisten'`);
      await eventually(() => got.length === 3);
      expect(stray).toEqual([]);
    } finally {
      await listener.end();
      await bystander.end();
    }
  });

  it('has what the event store and the outbox relay need: xid8, snapshots, advisory locks', async () => {
    const r = await pool.query<{ tx: string; xmin: string; below: boolean; locked: boolean }>(
      `SELECT pg_current_xact_id()::text AS tx,
              pg_snapshot_xmin(pg_current_snapshot())::text AS xmin,
              '1'::xid8 < pg_snapshot_xmin(pg_current_snapshot()) AS below,
              pg_try_advisory_lock(hashtext('relay')) AS locked`,
    );
    expect(BigInt(r.rows[0]?.tx ?? '0')).toBeGreaterThan(0n);
    expect(r.rows[0]?.below).toBe(true);
    expect(r.rows[0]?.locked).toBe(true);
  });
});

describe('transactionAwarePool on the embedded Postgres', () => {
  let server: EmbeddedPostgres;
  let pool: pg.Pool;

  beforeAll(async () => {
    server = await EmbeddedPostgres.start();
    pool = transactionAwarePool(new pg.Pool({ connectionString: server.url, max: 4 }));
    await pool.query('CREATE TABLE accounts (id text PRIMARY KEY, total int)');
    await pool.query(`INSERT INTO accounts VALUES ('a', 10)`);
  }, START_TIMEOUT_MS);

  afterAll(async () => {
    await pool.end();
    await server.stop();
  });

  const total = async (): Promise<number | undefined> =>
    (await pool.query<{ total: number }>(`SELECT total FROM accounts WHERE id = 'a'`)).rows[0]
      ?.total;

  it('runs a pool query made inside a transaction on that transaction, instead of waiting for it forever', async () => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      // What the ledger does: re-read state through the pool in the middle of its transaction.
      const read = await Promise.race([total(), sleep(3_000).then(() => 'stuck' as const)]);
      expect(read).toBe(10);
      await client.query(`UPDATE accounts SET total = 11 WHERE id = 'a'`);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    expect(await total()).toBe(11);
  });

  it('leaves other queries on their own connection: they wait and see only what was committed', async () => {
    const client = await pool.connect();
    let outside: Promise<number | undefined> | undefined;
    try {
      // Started before the transaction, from another async context (another request).
      const started = sleep(20).then(() => {
        outside = total();
      });
      await client.query('BEGIN');
      await client.query(`UPDATE accounts SET total = 99 WHERE id = 'a'`);
      await started;
      await sleep(50);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    expect(await outside).toBe(11);
  });
});

describe('the embedded Postgres with a data folder', () => {
  it(
    'keeps its data across a restart',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'pglite-data-'));
      try {
        let server = await EmbeddedPostgres.start({ dataDir: join(dir, 'pg') });
        let client = new pg.Client({ connectionString: server.url });
        await client.connect();
        await client.query(`CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here')`);
        await client.end();
        await server.stop();

        server = await EmbeddedPostgres.start({ dataDir: join(dir, 'pg') });
        client = new pg.Client({ connectionString: server.url });
        await client.connect();
        const r = await client.query<{ v: string }>('SELECT v FROM kept');
        await client.end();
        await server.stop();
        expect(r.rows).toEqual([{ v: 'still here' }]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    2 * START_TIMEOUT_MS,
  );
});
