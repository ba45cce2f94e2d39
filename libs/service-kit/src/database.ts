import pg from 'pg';

/**
 * pg returns int8 as a string by default, which is what we want for money (never a float); we
 * turn it into a bigint at the repository edge. numeric stays a string too.
 */
export function createPool(
  connectionString: string,
  max = 10,
  applicationName = 'billing',
): pg.Pool {
  return new pg.Pool({ connectionString, max, application_name: applicationName });
}

export interface Migration {
  /** Monotonic, never reused: `001_create_events`. */
  readonly id: string;
  readonly sql: string;
}

/**
 * Applies the service's migrations to its own schema, once each, under an advisory lock so that
 * several replicas starting together do not race. Each migration runs in its own transaction with
 * the bookkeeping row, so a crash leaves either both or neither.
 */
export async function migrate(
  pool: pg.Pool,
  schema: string,
  migrations: readonly Migration[],
): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name ${schema}`);
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [`migrate:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${schema}.schema_migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const done = await client.query<{ id: string }>(`SELECT id FROM ${schema}.schema_migrations`);
    const applied = new Set(done.rows.map((r) => r.id));
    for (const m of migrations) {
      if (applied.has(m.id)) continue;
      await client.query('BEGIN');
      try {
        await client.query(`SET LOCAL search_path TO ${schema}, public`);
        await client.query(m.sql);
        await client.query(`INSERT INTO ${schema}.schema_migrations (id) VALUES ($1)`, [m.id]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${schema}.${m.id} failed: ${(err as Error).message}`, {
          cause: err,
        });
      }
    }
  } finally {
    await client
      .query('SELECT pg_advisory_unlock(hashtext($1))', [`migrate:${schema}`])
      .catch(() => undefined);
    client.release();
  }
}
