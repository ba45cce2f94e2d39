import { Logger } from '@nestjs/common';
import { backoffMs, isTransientDatabaseError } from '@billing/messaging';
import pg from 'pg';

/**
 * The PostgreSQL basics that need no Nest, from @billing/postgres (the event store and messaging
 * use them too): one transaction helper, the migration runner, the schema-name rule, and the
 * row codec and lookups the repositories are written with.
 */
export {
  assertSchemaName,
  column,
  type Column,
  type Columns,
  insertOrKeep,
  migrate,
  type Migration,
  type Queryable,
  type RollbackWith,
  RowCodec,
  SCHEMA_NAME,
  textArray,
  type TransactionOptions,
  valueByKey,
  withTransaction,
  wroteOneRow,
} from '@billing/postgres';

/**
 * How long a new connection may take before the attempt fails: a database host that drops
 * packets (a failover, a network blip) must answer callers with an error they can retry, not
 * keep them waiting for the kernel's TCP timeout.
 */
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * A pool that never crashes the process.
 *
 * pg returns int8 as a string by default, which is what we want for money (never a float); we
 * turn it into a bigint at the repository edge. numeric stays a string too.
 *
 * When the server goes away (a restart, a failover, `pg_ctl stop -m immediate`) every open
 * connection emits `error`. pg-pool forwards an idle connection's error to the pool, and a
 * checked-out connection's to the client itself; an `error` event nobody listens to is thrown by
 * Node and kills the process. So the pool and every connection it creates get a listener here:
 * the broken idle connection is dropped by pg-pool, the query in flight on a checked-out one
 * rejects with the error (its caller retries or answers 503), and the next checkout opens a new
 * connection once the server is back. Nothing else is needed to reconnect.
 */
export function createPool(
  connectionString: string,
  max = 10,
  applicationName = 'billing',
): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max,
    application_name: applicationName,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    // No JIT compilation: every statement of a service reads or writes a few rows by index in well
    // under a millisecond, and JIT costs 5 to 100 ms a statement whenever a planner estimate
    // crosses `jit_above_cost`, which a misestimate does more often as tables grow (the soak found
    // one: docs/BENCHMARKS.md, "Soak"). The operations CLI's rebuilds keep the server's setting.
    options: '-c jit=off',
  });
  return neverCrashOnError(pool, applicationName);
}

/**
 * Adds the `error` listeners of {@link createPool} to a pool created elsewhere (tests, tools).
 * Errors are logged once per connection at most, by their message only (never a connection
 * string, which may carry a password).
 */
export function neverCrashOnError(pool: pg.Pool, name = 'pg'): pg.Pool {
  const logger = new Logger(`${name}.pool`);
  pool.on('error', (err) => {
    logger.warn(`idle database connection lost: ${err.message}`);
  });
  pool.on('connect', (client) => {
    client.on('error', (err) => {
      logger.warn(`database connection lost while in use: ${err.message}`);
    });
  });
  return pool;
}

/**
 * Whether an error means "the database is away right now" (connection refused or lost, the server
 * shutting down or starting up, no connection to be had in time), as opposed to a bad statement or
 * a broken invariant. Such errors are answered 503 `SERVICE.DATABASE_UNAVAILABLE` and retried.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  return isTransientDatabaseError(err) && !isConflict(err);
}

/** Serialization failures and deadlocks are transient too, but they mean contention, not an outage. */
function isConflict(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('40');
}

export interface PgListenerOptions {
  /** Opens the dedicated connection: `fromPool(pool)` or `fromUrl(url, name)`. */
  readonly connect: () => Promise<DedicatedConnection>;
  /** Channels to LISTEN to (quoted as identifiers). */
  readonly channels: readonly string[];
  readonly onNotification: (message: pg.Notification) => void;
  /**
   * Runs after every (re)connection, once LISTEN is in place: notifications sent while the
   * connection was down are lost, so the owner re-reads (a cache) or re-sweeps (a scheduler)
   * here. A rejection counts as a failed connection and is retried with backoff.
   */
  readonly onConnected?: () => Promise<void> | void;
  /** Backoff between reconnection attempts (default 200 ms doubling up to 5 s). */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  /** Logger context, e.g. `gateway.key-cache`. */
  readonly name: string;
}

/** A connection held outside the pool's rotation, and how to give it back when done or broken. */
export interface DedicatedConnection {
  readonly client: pg.ClientBase;
  /** Gives the connection up; with an error it is destroyed rather than reused. */
  close(err?: Error): Promise<void>;
}

/** A dedicated connection taken from `pool` (destroyed at close: it has LISTENed). */
export function fromPool(pool: pg.Pool): () => Promise<DedicatedConnection> {
  return async () => {
    const client = await pool.connect();
    return {
      client,
      close: (err) => {
        client.release(err ?? true);
        return Promise.resolve();
      },
    };
  };
}

/** A dedicated connection of its own to `connectionString`, named `applicationName`. */
export function fromUrl(
  connectionString: string,
  applicationName: string,
): () => Promise<DedicatedConnection> {
  return async () => {
    const client = new pg.Client({
      connectionString,
      application_name: applicationName,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    });
    // Until the owner's listener is attached, an error must not be thrown by Node either.
    client.on('error', () => undefined);
    await client.connect();
    return { client, close: () => client.end().catch(() => undefined) };
  };
}

/**
 * A LISTEN connection that reconnects: what every component woken by Postgres notifications
 * needs (the gateway's key cache, the auto top-up charger). When the connection is lost it is
 * dropped, and a new one is opened with backoff until the database answers again; after each
 * connection `onConnected` runs so that whatever was sent meanwhile is caught up. It never
 * throws out of its own callbacks, so a database restart cannot crash the process.
 */
export class PgListener {
  private readonly logger: Logger;
  private readonly backoff: { readonly initialMs: number; readonly maxMs: number };
  private current: DedicatedConnection | undefined;
  private stopped = true;
  private timer: NodeJS.Timeout | undefined;
  private attempts = 0;
  private connecting: Promise<void> | undefined;
  /** Times a connection was (re)established, the first one included. */
  connections = 0;

  constructor(private readonly options: PgListenerOptions) {
    this.logger = new Logger(options.name);
    this.backoff = options.backoff ?? { initialMs: 200, maxMs: 5_000 };
  }

  /** Whether the LISTEN connection is up right now. */
  get connected(): boolean {
    return this.current !== undefined;
  }

  /**
   * Connects and listens. Rejects if the first attempt fails; the listener then keeps trying in
   * the background unless `stop()` is called.
   */
  async start(): Promise<void> {
    this.stopped = false;
    this.attempts = 0;
    this.connecting = this.connectOnce();
    try {
      await this.connecting;
    } catch (err) {
      this.scheduleReconnect();
      throw err;
    } finally {
      this.connecting = undefined;
    }
  }

  /**
   * Like `start`, but never rejects: the first failure is logged and retried with backoff. For
   * components that work without notifications too (they poll), only later.
   */
  startInBackground(): void {
    this.start().catch((err: unknown) =>
      this.logger.warn(`not listening yet, retrying: ${errorText(err)}`),
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.connecting?.catch(() => undefined);
    const current = this.current;
    this.current = undefined;
    if (current) {
      current.client.removeAllListeners('notification');
      await current.close();
    }
  }

  private async connectOnce(): Promise<void> {
    const connection = await this.options.connect();
    const { client } = connection;
    const onError = (err: Error): void => this.lost(connection, err);
    const onEnd = (): void => this.lost(connection, new Error('connection ended'));
    client.on('error', onError);
    client.on('end', onEnd);
    client.on('notification', this.options.onNotification);
    try {
      for (const channel of this.options.channels) {
        await client.query(`LISTEN "${channel.replaceAll('"', '""')}"`);
      }
      if (this.stopped) throw new Error('stopped');
      this.current = connection;
      await this.options.onConnected?.();
    } catch (err) {
      if (this.current === connection) this.current = undefined;
      client.off('notification', this.options.onNotification);
      client.off('end', onEnd);
      // The error listener stays: the socket may still report an error after close.
      await connection.close(err instanceof Error ? err : new Error(String(err)));
      throw err;
    }
    this.connections += 1;
    if (this.attempts > 0) this.logger.log(`listening again after ${this.attempts} attempt(s)`);
    this.attempts = 0;
  }

  private lost(connection: DedicatedConnection, err: Error): void {
    if (this.current !== connection) return;
    this.current = undefined;
    connection.client.removeAllListeners('notification');
    this.logger.warn(`listen connection lost: ${err.message}`);
    void connection.close(err);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.timer !== undefined) return;
    this.attempts += 1;
    const delay = backoffMs(this.attempts, this.backoff.initialMs, this.backoff.maxMs);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.stopped) return;
      this.connecting = this.connectOnce();
      this.connecting
        .catch((err: unknown) => {
          this.logger.warn(`reconnecting failed (attempt ${this.attempts}): ${errorText(err)}`);
          this.scheduleReconnect();
        })
        .finally(() => (this.connecting = undefined))
        .catch(() => undefined);
    }, delay);
    this.timer.unref();
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
