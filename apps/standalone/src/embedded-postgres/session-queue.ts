import type { PGlite } from '@electric-sql/pglite';
import {
  BackendOutputSplitter,
  closeStatement,
  connectionScopedName,
  FRONTEND,
  listenCommands,
  notificationChannel,
  opensExtendedExchange,
  quoteIdentifier,
  renameObjects,
  simpleQuery,
  sqlOf,
  syncMessage,
} from './protocol.js';

type Write = (bytes: Uint8Array) => void;

interface Pending {
  readonly connectionId: number;
  /** A frontend message, or `reset`: the connection left; end what it left open. */
  readonly message: Uint8Array | 'reset';
  readonly write: Write;
  readonly resolve: (bytes: number) => void;
  readonly reject: (err: Error) => void;
}

/**
 * PGlite is one Postgres backend: one session that every connection of the socket server
 * shares. This queue hands the session to one connection's message at a time, like
 * pglite-socket's own queue, and adds what the services' `pg` code needs on top of it:
 *
 * - **Transactions** (as pglite-socket does): while the session is inside a transaction block,
 *   only the connection that opened it is served.
 * - **Extended-protocol exchanges**: from a Parse/Bind/Describe/Execute up to its Sync, the
 *   session stays with that connection too. The exchange uses the session's unnamed statement and
 *   portal, and outside a transaction block PGlite does not report it as "in transaction", so
 *   pglite-socket would let another connection's Parse replace the statement when a large
 *   message arrives in two TCP reads.
 * - **Notifications**: Postgres sends a NotificationResponse on the session that committed the
 *   NOTIFY, which here is whichever connection happened to commit, never the idle connection
 *   that ran LISTEN. The queue remembers which connection listens to which channel, takes the
 *   notifications out of the committing connection's output and writes them to the listeners.
 *   LISTEN state is the session's, so an `UNLISTEN` (or `UNLISTEN *`) from one connection would
 *   silence the others: the channels they still want are listened to again right after it.
 *
 * - **Prepared statements**: they belong to the session too, so `pg` clients that prepare the same
 *   named query (the event store's `ledger.es_write`) would collide ("already exists"). Each
 *   connection's statement and portal names are made its own (`c<id>:<name>`), and its
 *   statements are closed when it goes away.
 *
 * Every connection shares the rest of the session state: SET (not SET LOCAL), advisory locks
 * (re-entrant across connections), temporary tables.
 */
export class SessionQueue {
  private readonly queue: Pending[] = [];
  private draining = false;
  /** The connection the session is reserved for (an open transaction or exchange), if any. */
  private owner: number | undefined;
  private readonly listening = new Map<number, { channels: Set<string>; write: Write }>();
  private readonly relisten = new Set<string>();
  /** The (renamed) prepared statements of each connection, closed when it goes away. */
  private readonly statements = new Map<number, Set<string>>();

  constructor(private readonly db: PGlite) {}

  /** The interface of pglite-socket's handler: one frontend message of one connection. */
  enqueue(connectionId: number, message: Uint8Array, write: Write): Promise<number> {
    return this.push({ connectionId, message, write }, false);
  }

  getQueueLength(): number {
    return this.queue.length;
  }

  /** The connection went away: what it had queued is refused. */
  clearQueueForHandler(connectionId: number): void {
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const p = this.queue[i];
      if (p?.connectionId === connectionId && p.message !== 'reset') {
        this.queue.splice(i, 1);
        p.reject(new Error('connection closed'));
      }
    }
  }

  /**
   * The connection went away: roll back its open transaction, end its open exchange, forget what
   * it listened to. Runs in its turn, so never in the middle of one of its own messages.
   */
  async clearTransactionIfNeeded(connectionId: number): Promise<void> {
    const listener = this.listening.get(connectionId);
    this.listening.delete(connectionId);
    if (listener !== undefined) for (const c of listener.channels) this.forget(c);
    await this.push({ connectionId, message: 'reset', write: () => undefined }, true);
  }

  private forget(channel: string): void {
    // Nobody reads it any more; stop the session from collecting its notifications.
    if (![...this.listening.values()].some((l) => l.channels.has(channel))) {
      this.relisten.delete(channel);
    }
  }

  private push(item: Omit<Pending, 'resolve' | 'reject'>, first: boolean): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const pending = { ...item, resolve, reject };
      if (first) this.queue.unshift(pending);
      else this.queue.push(pending);
      void this.drain();
    });
  }

  private next(): Pending | undefined {
    const index =
      this.owner === undefined ? 0 : this.queue.findIndex((p) => p.connectionId === this.owner);
    if (index < 0 || index >= this.queue.length) return undefined;
    return this.queue.splice(index, 1)[0];
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      for (let item = this.next(); item !== undefined; item = this.next()) {
        try {
          item.resolve(await this.run(item));
        } catch (err) {
          item.reject(err instanceof Error ? err : new Error(String(err)));
        }
        if (this.owner === undefined && this.relisten.size > 0) await this.listenAgain();
      }
    } finally {
      this.draining = false;
    }
  }

  private async run(item: Pending): Promise<number> {
    const id = item.connectionId;
    if (item.message === 'reset') {
      if (this.owner === id) {
        await this.execute(
          this.db.isInTransaction() ? simpleQuery('ROLLBACK') : syncMessage(),
          () => undefined,
        );
        this.owner = undefined;
      }
      const statements = this.statements.get(id) ?? new Set();
      this.statements.delete(id);
      for (const name of statements) await this.execute(closeStatement(name), () => undefined);
      if (statements.size > 0) await this.execute(syncMessage(), () => undefined);
      return 0;
    }
    const message = renameObjects(item.message, (kind, name) => {
      const scoped = connectionScopedName(id, name);
      if (kind === 'S') {
        let own = this.statements.get(id);
        if (own === undefined) this.statements.set(id, (own = new Set()));
        own.add(scoped);
      }
      return scoped;
    });
    const type = message[0] ?? FRONTEND.startup;
    // Terminate ends the connection, not the session every other connection shares.
    if (type === FRONTEND.terminate) return 0;
    const sql = sqlOf(message);
    const bytes = await this.execute(message, item.write);
    if (sql !== undefined) this.track(id, item.write, sql);
    const reserved = this.db.isInTransaction() || opensExtendedExchange(type);
    this.owner = reserved ? id : undefined;
    return bytes;
  }

  private async execute(message: Uint8Array, write: Write): Promise<number> {
    let bytes = 0;
    const notifications: Uint8Array[] = [];
    const splitter = new BackendOutputSplitter(
      (chunk) => {
        bytes += chunk.length;
        write(chunk);
      },
      (notification) => notifications.push(notification),
    );
    await this.db.runExclusive(() =>
      this.db.execProtocolRawStream(message, { onRawData: (chunk) => splitter.push(chunk) }),
    );
    splitter.end();
    for (const n of notifications) this.deliver(n);
    return bytes;
  }

  private deliver(notification: Uint8Array): void {
    const channel = notificationChannel(notification);
    if (channel === undefined) return;
    for (const listener of this.listening.values()) {
      if (listener.channels.has(channel)) listener.write(notification);
    }
  }

  private track(connectionId: number, write: Write, sql: string): void {
    const commands = listenCommands(sql);
    if (commands.length === 0) {
      const known = this.listening.get(connectionId);
      if (known !== undefined) known.write = write;
      return;
    }
    let own = this.listening.get(connectionId);
    if (own === undefined) this.listening.set(connectionId, (own = { channels: new Set(), write }));
    own.write = write;
    for (const command of commands) {
      if (command.kind === 'listen') {
        own.channels.add(command.channel);
        continue;
      }
      const dropped = command.kind === 'unlisten-all' ? [...own.channels] : [command.channel];
      if (command.kind === 'unlisten-all') own.channels.clear();
      else own.channels.delete(command.channel);
      // The session stopped listening to these (to all channels, for `*`): listen again to
      // the ones other connections still want.
      const wanted = new Set(
        [...this.listening.values()].flatMap((l) => (l === own ? [] : [...l.channels])),
      );
      for (const c of command.kind === 'unlisten-all' ? wanted : dropped) {
        if (wanted.has(c)) this.relisten.add(c);
      }
    }
    if (own.channels.size === 0) this.listening.delete(connectionId);
  }

  private async listenAgain(): Promise<void> {
    const channels = [...this.relisten];
    this.relisten.clear();
    await this.execute(
      simpleQuery(channels.map((c) => `LISTEN ${quoteIdentifier(c)}`).join('; ')),
      () => undefined,
    );
  }
}
