import { mkdirSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketHandler, type PGLiteSocketHandlerOptions } from '@electric-sql/pglite-socket';
import { SessionQueue } from './session-queue.js';

export interface EmbeddedPostgresOptions {
  /** Where PGlite keeps its files; created if missing. Undefined: in memory (tests). */
  readonly dataDir?: string;
  /**
   * A folder for the Unix socket (`.s.PGSQL.5432`). When absent, or when the socket's path would
   * be too long for the OS, the server listens on 127.0.0.1 and a free port instead.
   */
  readonly socketDir?: string;
  /** Connections accepted at once (every service's pool, listeners included). */
  readonly maxConnections?: number;
}

/** Unix socket paths are limited to 108 bytes on Linux (104 on macOS), terminator included. */
const MAX_SOCKET_PATH = 100;
const SOCKET_FILE = '.s.PGSQL.5432';

/**
 * PostgreSQL in the process: PGlite (Postgres compiled to WebAssembly) with its data in a folder,
 * served over the wire protocol by pglite-socket's connection handler, so that the services'
 * unchanged `pg` pools connect to it with an ordinary connection string.
 *
 * PGlite is one backend, so every connection shares one session; {@link SessionQueue} explains
 * what that means and what it does about it (it replaces pglite-socket's own queue).
 */
export class EmbeddedPostgres {
  private server: Server | undefined;
  private readonly handlers = new Set<PGLiteSocketHandler>();
  private queue: SessionQueue | undefined;
  private socketPath: string | undefined;
  private port: number | undefined;

  private constructor(
    readonly db: PGlite,
    private readonly options: EmbeddedPostgresOptions,
  ) {}

  /** Opens (or creates) the database and starts serving it. */
  static async start(options: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgres> {
    if (options.dataDir !== undefined) mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    const db = await PGlite.create(
      options.dataDir === undefined ? {} : { dataDir: options.dataDir },
    );
    const pg = new EmbeddedPostgres(db, options);
    try {
      await pg.listen();
    } catch (err) {
      await db.close().catch(() => undefined);
      throw err;
    }
    return pg;
  }

  /** A `postgres://` URL for `pg` (the database and user are PGlite's defaults). */
  get url(): string {
    if (this.socketPath !== undefined) {
      const dir = this.socketPath.slice(0, -SOCKET_FILE.length - 1);
      return `postgres://postgres@localhost/postgres?host=${encodeURIComponent(dir)}`;
    }
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  /** Where it listens, for a log line (no credentials: PGlite has none). */
  get address(): string {
    return this.socketPath ?? `127.0.0.1:${this.port}`;
  }

  get connections(): number {
    return this.handlers.size;
  }

  private async listen(): Promise<void> {
    this.queue = new SessionQueue(this.db);
    const server = createServer((socket) => this.accept(socket));
    server.maxConnections = this.options.maxConnections ?? 64;
    const socketDir = this.options.socketDir;
    const socketPath = socketDir === undefined ? undefined : join(socketDir, SOCKET_FILE);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      if (
        socketPath !== undefined &&
        socketDir !== undefined &&
        socketPath.length <= MAX_SOCKET_PATH
      ) {
        mkdirSync(socketDir, { recursive: true, mode: 0o700 });
        // A socket file left by a process that was killed: the caller holds the data folder's
        // lock, so no live server owns it.
        rmSync(socketPath, { force: true });
        this.socketPath = socketPath;
        server.listen(socketPath, () => resolve());
      } else {
        server.listen(0, '127.0.0.1', () => {
          const address = server.address();
          this.port = typeof address === 'object' && address !== null ? address.port : undefined;
          resolve();
        });
      }
    });
    this.server = server;
  }

  private accept(socket: Socket): void {
    const queue = this.queue;
    if (queue === undefined) {
      socket.destroy();
      return;
    }
    const handler = new PGLiteSocketHandler({
      // Duck-typed: the handler calls enqueue, clearQueueForHandler, clearTransactionIfNeeded.
      queryQueue: queue as unknown as PGLiteSocketHandlerOptions['queryQueue'],
      closeOnDetach: true,
    });
    this.handlers.add(handler);
    const forget = (): void => {
      this.handlers.delete(handler);
    };
    handler.addEventListener('close', forget);
    handler.addEventListener('error', forget);
    handler.attach(socket).catch(() => {
      forget();
      socket.destroy();
    });
  }

  /**
   * Stops serving and closes PGlite. Call it after every pool is closed: connections still open
   * are cut (their open transactions roll back) before the database shuts down cleanly.
   */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server !== undefined) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...this.handlers].map((h) => h.detach(true)));
      this.handlers.clear();
      await closed;
    }
    if (this.socketPath !== undefined) rmSync(this.socketPath, { force: true });
    if (!this.db.closed) await this.db.close();
  }
}
