import { AsyncLocalStorage } from 'node:async_hooks';
import type pg from 'pg';

interface OpenTransaction {
  readonly pool: pg.Pool;
  readonly client: pg.PoolClient;
  open: boolean;
}

const current = new AsyncLocalStorage<OpenTransaction>();

const BEGIN = /^\s*(?:BEGIN|START\s+TRANSACTION)\b/i;
const END = /^\s*(?:COMMIT|END|ABORT|ROLLBACK)\b(?!\s+(?:TO|PREPARED)\b)/i;
const ENDS_LAST = /;\s*(?:COMMIT|END|ROLLBACK)\s*;?\s*$/i;

function textOf(query: unknown): string | undefined {
  if (typeof query === 'string') return query;
  if (typeof query === 'object' && query !== null && 'text' in query) {
    const text: unknown = query.text;
    return typeof text === 'string' ? text : undefined;
  }
  return undefined;
}

/**
 * A pool for PGlite's single session, where only one transaction runs at a time: a `pool.query`
 * made by code that is inside a transaction of this pool (in the same async context, after its
 * BEGIN) runs on that transaction's connection.
 *
 * Without it, such a query waits for a free session, which the transaction waiting on the query
 * never gives back: the whole process's database stops. On a real Postgres the query would run
 * on another connection and read only committed data; here it reads what the transaction has
 * written so far, which is the same thing when, as in the ledger (a stream re-read before its
 * append), the transaction has not written that data yet.
 *
 * Queries from anywhere else (another request, another consumer lane) take a pooled connection as
 * usual and wait their turn.
 */
export function transactionAwarePool(pool: pg.Pool): pg.Pool {
  const connect = async (): Promise<pg.PoolClient> => {
    const client = await pool.connect();
    let transaction: OpenTransaction | undefined;
    const query = (...args: unknown[]): unknown => {
      const text = textOf(args[0]);
      if (text !== undefined) {
        if (BEGIN.test(text) && !ENDS_LAST.test(text)) {
          if (transaction !== undefined) transaction.open = false;
          transaction = { pool: wrapped, client: proxy, open: true };
          // The rest of the caller's async function (and what it calls) runs "inside" it.
          current.enterWith(transaction);
        } else if (END.test(text) && transaction !== undefined) {
          transaction.open = false;
          transaction = undefined;
        }
      }
      return (client.query as (...a: unknown[]) => unknown)(...args);
    };
    const release = (err?: Error | boolean): void => {
      if (transaction !== undefined) transaction.open = false;
      transaction = undefined;
      client.release(err);
    };
    const proxy: pg.PoolClient = new Proxy(client, {
      get(target, prop) {
        if (prop === 'query') return query;
        if (prop === 'release') return release;
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function'
          ? (value as (...a: unknown[]) => unknown).bind(target)
          : value;
      },
    });
    return proxy;
  };

  const query = (...args: unknown[]): unknown => {
    const transaction = current.getStore();
    const target =
      transaction?.open === true && transaction.pool === wrapped ? transaction.client : pool;
    return (target.query as (...a: unknown[]) => unknown)(...args);
  };

  const wrapped: pg.Pool = new Proxy(pool, {
    get(target, prop) {
      if (prop === 'query') return query;
      if (prop === 'connect') {
        // The callback form is left alone (no service uses it).
        return (...args: unknown[]) =>
          args.length > 0 ? (target.connect as (...a: unknown[]) => unknown)(...args) : connect();
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function'
        ? (value as (...a: unknown[]) => unknown).bind(target)
        : value;
    },
  });
  return wrapped;
}
