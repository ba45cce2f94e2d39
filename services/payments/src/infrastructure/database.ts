import type pg from 'pg';

/**
 * Runs `fn` in one transaction on a client of `pool`: COMMIT when it returns, ROLLBACK when it
 * throws. Everything that must be atomic (a settlement, its invoice, its outbox rows, the Stripe
 * event id) goes through the client `fn` receives.
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** Thrown inside `inTransaction` to roll back on purpose and hand a value out. */
export class Rollback<T> extends Error {
  constructor(readonly value: T) {
    super('rolled back on purpose');
    this.name = 'Rollback';
  }
}
