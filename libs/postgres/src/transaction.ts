import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type pg from 'pg';

/** Ends the transaction with a ROLLBACK instead of a COMMIT, and makes it resolve to `value`. */
export type RollbackWith<T> = (value: T) => never;

export interface TransactionOptions {
  /**
   * The statement that opens the transaction: `BEGIN` by default, or e.g.
   * `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`. `false` when `work` sends BEGIN itself,
   * pipelined with its first statement to save a round trip (the event store's append, the
   * ledger's write queue).
   */
  readonly begin?: string | false;
  /**
   * Errors after which the connection is destroyed even though the ROLLBACK worked (a consumer
   * that would rather reconnect after a transient database error than reuse the connection).
   */
  readonly destroyAfter?: (err: unknown) => boolean;
}

/** What `rollback(value)` throws, caught by the transaction that handed that `rollback` out. */
class RolledBack extends Error {
  constructor(
    readonly owner: object,
    readonly value: unknown,
  ) {
    super('rolled back on purpose');
    this.name = 'RolledBack';
  }
}

/**
 * Runs `work` in one transaction on a connection of `pool`: BEGIN, `work`, COMMIT; when `work`
 * throws (or the COMMIT fails), ROLLBACK and the error is thrown on, unchanged. `work` may call
 * its second argument, `rollback(value)`, to end the transaction with a ROLLBACK and make
 * `withTransaction` resolve to `value` (a refused command, a duplicate: nothing to keep).
 *
 * The connection goes back to the pool when the transaction ended cleanly. When the ROLLBACK
 * fails, it is destroyed (released with the error), never returned to the pool: a connection
 * whose ROLLBACK failed is either broken (the server went away, the socket is dead) or, worse,
 * still inside the failed transaction, and the next caller to check it out would then run its
 * statements in that transaction (every one refused with "current transaction is aborted", or,
 * if it sends BEGIN, a warning and statements that are silently rolled back later). pg-pool drops
 * a destroyed connection and opens a new one when needed, so the only cost is a reconnection.
 */
export async function withTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient, rollback: RollbackWith<T>) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    return await transaction(client, work, options, (err) => (broken ??= err));
  } finally {
    client.release(broken);
  }
}

/**
 * {@link withTransaction} on a connection the caller holds (a session lock taken on it, several
 * transactions in turn). `broken` is called with the reason when the connection must be destroyed
 * rather than reused; the caller then releases it with that error.
 */
export async function transaction<T, C extends pg.ClientBase>(
  client: C,
  work: (client: C, rollback: RollbackWith<T>) => Promise<T>,
  options: TransactionOptions,
  broken: (err: Error) => void,
): Promise<T> {
  // Inside a trace (a request, a consumed message), the transaction is a span of it; outside
  // one, or with tracing off, nothing is started.
  const active = trace.getActiveSpan();
  if (active === undefined || !active.isRecording()) {
    return inTransaction(client, work, options, broken);
  }
  return trace
    .getTracer('@billing/postgres')
    .startActiveSpan(
      'db transaction',
      { kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'postgresql' } },
      async (span) => {
        try {
          return await inTransaction(client, work, options, broken);
        } catch (err) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: asError(err).message });
          throw err;
        } finally {
          span.end();
        }
      },
    );
}

async function inTransaction<T, C extends pg.ClientBase>(
  client: C,
  work: (client: C, rollback: RollbackWith<T>) => Promise<T>,
  options: TransactionOptions,
  broken: (err: Error) => void,
): Promise<T> {
  const rollback: RollbackWith<T> = (value) => {
    throw new RolledBack(rollback, value);
  };
  try {
    if (options.begin !== false) await client.query(options.begin ?? 'BEGIN');
    const result = await work(client, rollback);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch((e: unknown) => broken(asError(e)));
    if (err instanceof RolledBack && err.owner === rollback) return err.value as T;
    if (options.destroyAfter?.(err) === true) broken(asError(err));
    throw err;
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
