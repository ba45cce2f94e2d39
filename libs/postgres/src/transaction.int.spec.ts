import { createTestSchema, eventually, testDatabaseUrl, type TestSchema } from '@billing/testing';
import pg from 'pg';
import { migrate } from './migrate.js';
import { withTransaction } from './transaction.js';

// withTransaction and migrate against the real PostgreSQL: what is committed, what is rolled
// back, and which connections go back to the pool.

let t: TestSchema;

beforeAll(async () => {
  t = await createTestSchema('tx', 2);
  await t.pool.query('CREATE TABLE items (id text PRIMARY KEY)');
});

afterAll(async () => {
  await t?.drop();
});

const ids = async (): Promise<string[]> =>
  (await t.pool.query<{ id: string }>('SELECT id FROM items ORDER BY id')).rows.map((r) => r.id);

/** Ends the backend of `client` from another connection, as a server restart would. */
async function terminate(client: pg.ClientBase): Promise<void> {
  const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const admin = new pg.Client({ connectionString: testDatabaseUrl() });
  await admin.connect();
  try {
    await admin.query('SELECT pg_terminate_backend($1)', [rows[0]?.pid]);
  } finally {
    await admin.end();
  }
}

describe('withTransaction', () => {
  beforeEach(async () => {
    await t.pool.query('DELETE FROM items');
  });

  it('commits what the work wrote and resolves to its value', async () => {
    const value = await withTransaction(t.pool, async (client) => {
      await client.query(`INSERT INTO items VALUES ('a')`);
      return 42;
    });
    expect(value).toBe(42);
    expect(await ids()).toEqual(['a']);
  });

  it('rolls back when the work throws, throws the same error, and returns the connection', async () => {
    const failure = new Error('refused');
    await expect(
      withTransaction(t.pool, async (client) => {
        await client.query(`INSERT INTO items VALUES ('b')`);
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await ids()).toEqual([]);
    expect(t.pool.totalCount).toBeGreaterThan(0);
    expect(t.pool.idleCount).toBe(t.pool.totalCount);
  });

  it('rolls back on rollback(value) and resolves to that value', async () => {
    const value = await withTransaction<'written' | 'duplicate'>(
      t.pool,
      async (client, rollback) => {
        await client.query(`INSERT INTO items VALUES ('c')`);
        return rollback('duplicate');
      },
    );
    expect(value).toBe('duplicate');
    expect(await ids()).toEqual([]);
  });

  it('lets an inner transaction pass on the rollback of an outer one', async () => {
    const value = await withTransaction<string>(t.pool, async (_client, rollback) => {
      await withTransaction<string>(t.pool, () => Promise.resolve(rollback('outer')));
      return 'not reached';
    });
    expect(value).toBe('outer');
  });

  it('destroys a connection whose ROLLBACK failed instead of returning it to the pool', async () => {
    await t.pool.query('SELECT 1');
    const before = t.pool.totalCount;
    const removed: pg.PoolClient[] = [];
    const onRemove = (client: pg.PoolClient): number => removed.push(client);
    t.pool.on('remove', onRemove);
    try {
      let used: pg.PoolClient | undefined;
      await expect(
        withTransaction(t.pool, async (client) => {
          used = client;
          await terminate(client);
          await client.query('SELECT 1');
        }),
      ).rejects.toThrow();
      expect(t.pool.totalCount).toBe(before - 1);
      // pg-pool reports the removal once the destroyed connection has ended.
      await eventually(() => (removed.includes(used as pg.PoolClient) ? true : undefined));
    } finally {
      t.pool.off('remove', onRemove);
    }
    // The pool opens a new connection for the next caller.
    expect(await withTransaction(t.pool, () => Promise.resolve('ok'))).toBe('ok');
  });

  it('destroys the connection after an error `destroyAfter` names, though the ROLLBACK worked', async () => {
    await t.pool.query('SELECT 1');
    const removed: pg.PoolClient[] = [];
    const onRemove = (client: pg.PoolClient): number => removed.push(client);
    t.pool.on('remove', onRemove);
    try {
      await expect(
        withTransaction(
          t.pool,
          () => Promise.reject(Object.assign(new Error('transient'), { code: '40001' })),
          { destroyAfter: (err) => (err as { code?: string }).code === '40001' },
        ),
      ).rejects.toThrow('transient');
      await eventually(() => (removed.length === 1 ? true : undefined));
    } finally {
      t.pool.off('remove', onRemove);
    }
  });

  it('opens the transaction with the statement it is given', async () => {
    const level = await withTransaction(
      t.pool,
      async (client) =>
        (await client.query<{ l: string }>(`SELECT current_setting('transaction_isolation') AS l`))
          .rows[0]?.l,
      { begin: 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' },
    );
    expect(level).toBe('repeatable read');
  });
});

describe('migrate', () => {
  it('applies each migration once, and a failed one neither runs nor is recorded', async () => {
    const schema = `${t.schema}_m`;
    const first = { id: '001_a', sql: 'CREATE TABLE a (id int)' };
    await migrate(t.pool, schema, [first]);
    await migrate(t.pool, schema, [first, { id: '002_b', sql: 'CREATE TABLE b (id int)' }]);
    await expect(
      migrate(t.pool, schema, [first, { id: '003_bad', sql: 'CREATE TABLE c (id int); nonsense' }]),
    ).rejects.toThrow(`migration ${schema}.003_bad failed`);
    const { rows } = await t.pool.query<{ id: string }>(
      `SELECT id FROM ${schema}.schema_migrations ORDER BY id`,
    );
    expect(rows.map((r) => r.id)).toEqual(['001_a', '002_b']);
    const c = await t.pool.query(`SELECT to_regclass('${schema}.c') AS c`);
    expect(c.rows[0]).toEqual({ c: null });
    await t.pool.query(`DROP SCHEMA ${schema} CASCADE`);
  });

  it('refuses a schema name that is not a plain identifier', async () => {
    await expect(migrate(t.pool, 'a;drop', [])).rejects.toThrow(RangeError);
  });
});
