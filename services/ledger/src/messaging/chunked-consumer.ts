import { HandlerError, isTransientDatabaseError, type MessageHandler } from '@billing/messaging';
import type { Logger } from '@nestjs/common';
import type pg from 'pg';
import type { LedgerWriter, WriteTransaction } from '../infrastructure/ledger-writer.js';

/** Applies the messages of one consumer transaction, all at once, in that transaction. */
export type ChunkApplier<T> = (messages: readonly T[], tx: WriteTransaction) => Promise<void>;

const COMMIT = /^\s*(COMMIT|END)\s*;?\s*$/i;
const ROLLBACK = /^\s*ROLLBACK\s*;?\s*$/i;
const BEGIN = /^\s*(BEGIN|START TRANSACTION)\b/i;

function statementText(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (typeof arg === 'object' && arg !== null && 'text' in arg) {
    const text = arg.text;
    return typeof text === 'string' ? text : undefined;
  }
  return undefined;
}

/**
 * Lets the ledger apply a whole consumer chunk in one go instead of message by message.
 *
 * Why: `@billing/messaging` calls its handler once per message, inside one transaction per chunk
 * (inbox rows + effects, then COMMIT, then the Kafka offset). Applied one by one, every message
 * costs the ledger about six round trips to PostgreSQL (state check, the store's three statements,
 * projections, outbox); applied per chunk, the whole chunk costs about the same six, with every
 * account's commands decided in order in memory and appended with one `appendBatchInTransaction`.
 *
 * How: the consumer is given this pool facade. The clients it hands out are the real pool's,
 * seen through a proxy that notices the transaction's end. The handler only stages the message;
 * just before the COMMIT goes out, the staged messages are applied on the same connection, in the
 * same transaction, so the inbox rows, the appends, the projections and the outbox rows still
 * commit together, and the offsets still move only after that. If applying fails, the COMMIT
 * fails with a HandlerError, which makes the consumer roll the chunk back and replay it one
 * message per transaction (each one then applied alone at its own COMMIT), so a bad message is
 * isolated and dead-lettered exactly as it would be without batching. A transient database
 * error is passed through unchanged, so the whole chunk is simply retried.
 *
 * The messaging library has no hook for this yet (a chunk handler, or a before-commit callback,
 * would replace the proxy); it is reported. The proxy depends only on the consumer sending a
 * literal COMMIT or ROLLBACK through the client it got from `connect()`, and it refuses to hand
 * back a client with staged, unapplied messages.
 */
export class ChunkedConsumer<T> {
  private readonly stagers = new WeakMap<object, (message: T) => void>();

  constructor(
    private readonly writer: LedgerWriter,
    private readonly apply: ChunkApplier<T>,
    private readonly logger: Logger,
  ) {}

  /** The handler to subscribe with: stages on a chunk client, applies at once otherwise. */
  readonly handler: MessageHandler<T> = async (message, client) => {
    const stage = this.stagers.get(client);
    if (stage !== undefined) {
      stage(message);
      return;
    }
    // Not one of ours (a transport that bypassed the pool facade): apply right away.
    await this.apply([message], { client, touched: new Set() });
  };

  /** The pool to give the consumer: the real one, with chunk-aware clients. */
  pool(real: pg.Pool): pg.Pool {
    return new Proxy(real, {
      get: (target, prop) => {
        if (prop === 'connect') return () => this.connect(target);
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function'
          ? (value as (...a: unknown[]) => unknown).bind(target)
          : value;
      },
    });
  }

  private async connect(real: pg.Pool): Promise<pg.PoolClient> {
    const client = await real.connect();
    let staged: T[] = [];
    let tx: WriteTransaction | undefined;
    const run = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
    const query = async (...args: unknown[]): Promise<unknown> => {
      const text = statementText(args[0]);
      if (text !== undefined && COMMIT.test(text)) {
        const messages = staged;
        staged = [];
        if (messages.length > 0) {
          tx = { client, touched: new Set() };
          try {
            await this.apply(messages, tx);
          } catch (err) {
            throw isTransientDatabaseError(err) ? err : new HandlerError(err);
          }
        }
        try {
          const result = await run(...args);
          if (tx !== undefined) this.writer.committed(tx);
          return result;
        } catch (err) {
          if (tx !== undefined) this.writer.rolledBack(tx);
          throw err;
        } finally {
          tx = undefined;
        }
      }
      if (text !== undefined && (ROLLBACK.test(text) || BEGIN.test(text))) {
        staged = [];
        if (tx !== undefined) this.writer.rolledBack(tx);
        tx = undefined;
      }
      return run(...args);
    };
    const release = (err?: Error | boolean): void => {
      if (staged.length > 0) {
        // The consumer ended a transaction in a way this adapter did not see: the staged
        // messages were not applied. Destroying the connection rolls back whatever is open.
        this.logger.error(
          `a consumer transaction ended without COMMIT or ROLLBACK through its client; ` +
            `${staged.length} staged message(s) were not applied and the connection is discarded`,
        );
        staged = [];
        client.release(true);
        return;
      }
      client.release(err);
    };
    const proxy = new Proxy(client, {
      get: (target, prop) => {
        if (prop === 'query') return query;
        if (prop === 'release') return release;
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function'
          ? (value as (...a: unknown[]) => unknown).bind(target)
          : value;
      },
    });
    this.stagers.set(proxy, (message) => staged.push(message));
    return proxy;
  }
}
