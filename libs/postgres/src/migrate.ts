import type pg from 'pg';
import { assertSchemaName } from './schema-name.js';
import { transaction } from './transaction.js';

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
  assertSchemaName(schema);
  const client = await pool.connect();
  let broken: Error | undefined;
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
      try {
        await transaction(
          client,
          async () => {
            await client.query(`SET LOCAL search_path TO ${schema}, public`);
            await client.query(m.sql);
            await client.query(`INSERT INTO ${schema}.schema_migrations (id) VALUES ($1)`, [m.id]);
          },
          {},
          (err) => (broken ??= err),
        );
      } catch (err) {
        throw new Error(`migration ${schema}.${m.id} failed: ${(err as Error).message}`, {
          cause: err,
        });
      }
    }
  } finally {
    await client
      .query('SELECT pg_advisory_unlock(hashtext($1))', [`migrate:${schema}`])
      .catch(() => undefined);
    client.release(broken);
  }
}
