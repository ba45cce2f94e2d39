import { PostgresEventStore } from '@billing/event-store';
import { createTestSchema, type TestSchema } from '@billing/testing';
import type pg from 'pg';
import type { LedgerCommand } from '../domain/index.js';
import { AccountStateCache } from './account-state-cache.js';
import { AccountWriteQueue } from './account-write-queue.js';
import { LedgerWriter, type WriteOutcome, type WriteRequest } from './ledger-writer.js';
import { migrateLedger } from './migrations.js';
import { ProjectionWriter } from './projection-tables.js';
import { AccountLoader } from './account-loader.js';
import { DEFAULT_SNAPSHOT_EVERY, SnapshotStore } from './snapshots.js';

// The writer against the real database: the paths the HTTP and Kafka tests rarely reach.

let t: TestSchema;

function newWriter(parts = snapshotParts()): LedgerWriter {
  return new LedgerWriter({
    store: new PostgresEventStore({ pool: t.pool, schema: t.schema }),
    pool: t.pool,
    schema: t.schema,
    cache: new AccountStateCache(1_000),
    projections: new ProjectionWriter(t.schema),
    balanceTopic: 'ledger.v1',
    clock: Date.now,
    ...parts,
  });
}

const request = (accountId: string, command: (nowMs: number) => LedgerCommand): WriteRequest => ({
  accountId,
  command,
  cause: { type: 'Test', id: 'test' },
});

const topUp = (accountId: string, topUpId: string, amountNanos: bigint): WriteRequest =>
  request(accountId, (nowMs) => ({
    type: 'CreditTopUp',
    data: {
      topUpId,
      amountNanos,
      method: 'card',
      trigger: 'manual',
      paymentReference: 'p',
      invoiceId: 'i',
      nowMs,
    },
  }));

const charge = (accountId: string, requestId: string, costNanos: bigint): WriteRequest =>
  request(accountId, (nowMs) => ({
    type: 'ChargeUsage',
    data: {
      requestId,
      model: 'm',
      costNanos,
      priceVersion: 'v1',
      inputTokens: 1,
      outputTokens: 1,
      occurredAtMs: nowMs,
      nowMs,
    },
  }));

async function inTransaction(
  writer: LedgerWriter,
  requests: readonly WriteRequest[],
  end: 'COMMIT' | 'ROLLBACK' = 'COMMIT',
  settle = true,
): Promise<WriteOutcome[]> {
  const client: pg.PoolClient = await t.pool.connect();
  const tx = { client, touched: new Set<string>() };
  try {
    await client.query('BEGIN');
    const outcomes = await writer.apply(tx, requests);
    await client.query(end);
    if (settle) {
      if (end === 'COMMIT') writer.committed(tx);
      else writer.rolledBack(tx);
    }
    return outcomes;
  } finally {
    client.release();
  }
}

const balanceRow = async (accountId: string) =>
  (
    await t.pool.query<{ total: string; version: number }>(
      `SELECT total::text, version FROM "${t.schema}".balances WHERE account_id = $1`,
      [accountId],
    )
  ).rows[0];

beforeAll(async () => {
  t = await createTestSchema('ledger_writer');
  await migrateLedger(t.pool, t.schema);
});

afterAll(async () => {
  await t.drop();
});

describe('LedgerWriter', () => {
  it('re-reads a stale state when another replica appended, and decides again', async () => {
    const a = newWriter();
    const b = newWriter();
    await inTransaction(a, [topUp('acct_w1', 'tu_1', 10n)]);
    await inTransaction(b, [charge('acct_w1', 'r1', 3n)]); // b reads the stream: version 1
    await inTransaction(a, [charge('acct_w1', 'r2', 4n)]); // a's cache says 1; the store says 2
    await inTransaction(b, [charge('acct_w1', 'r3', 1n)]); // and b's says 2; the store says 3
    expect(await balanceRow('acct_w1')).toEqual({ total: '2', version: 4 });
  });

  it("answers an input applied long ago (beyond the state's memory) as a duplicate, from the store's key", async () => {
    const writer = newWriter();
    await inTransaction(writer, [topUp('acct_w2', 'tu_1', 1_000n)]);
    const charges = Array.from({ length: 300 }, (_, i) => charge('acct_w2', `r${i}`, 1n));
    await inTransaction(writer, charges);
    // r0 left the domain's window of recent request ids; the store still knows its key.
    const [again] = await inTransaction(writer, [charge('acct_w2', 'r0', 1n)]);
    expect(again?.kind).toBe('duplicate');
    expect(await balanceRow('acct_w2')).toEqual({ total: '700', version: 301 });
  });

  it('never trusts a state left by a transaction that rolled back without telling it', async () => {
    const writer = newWriter();
    await inTransaction(writer, [topUp('acct_w3', 'tu_1', 10n)]);
    // A consumer chunk that decided r1, then rolled back (the cache was not told).
    await inTransaction(writer, [charge('acct_w3', 'r1', 3n)], 'ROLLBACK', false);
    // The redelivered r1 must be charged: the cached state that "remembers" it is not trusted.
    // (Its write first waits out the account lock that unreported transaction left: AccountLocks.)
    const [redelivered] = await inTransaction(writer, [charge('acct_w3', 'r1', 3n)]);
    expect(redelivered?.kind).toBe('applied');
    expect(await balanceRow('acct_w3')).toEqual({ total: '7', version: 2 });
  });

  it("decides a hold placed while this process's consumer chunk is writing the same account after that chunk, without folding the account again", async () => {
    // The distributed platform's bench: holds over HTTP (the write queue) and charges from Kafka
    // (a consumer chunk) on one busy account, in one ledger process. A writer that met the other's
    // open transaction read the committed state from the store, waited for the stream's head at
    // the append, found its version stale, and folded the account again: two cold loads a hold.
    const parts = snapshotParts();
    let loads = 0;
    const load = parts.loader.load.bind(parts.loader);
    parts.loader.load = (...args) => {
      loads++;
      return load(...args);
    };
    const writer = newWriter(parts);
    const queue = new AccountWriteQueue(t.pool, writer);
    await inTransaction(writer, [topUp('acct_w6', 'tu_1', 100n)]);
    // The consumer's chunk: decided and appended, not committed yet.
    const client = await t.pool.connect();
    const chunk = { client, touched: new Set<string>() };
    let placed: WriteOutcome | undefined;
    try {
      await client.query('BEGIN');
      await writer.apply(chunk, [charge('acct_w6', 'r1', 30n)]);
      const hold = queue
        .submit(
          request('acct_w6', (nowMs) => ({
            type: 'PlaceHold',
            data: { holdId: 'h1', amountNanos: 70n, ttlSeconds: 60, nowMs },
          })),
        )
        .then((outcome) => (placed = outcome));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(placed).toBeUndefined(); // it waits for the chunk, in this process
      await client.query('COMMIT');
      writer.committed(chunk);
      await hold;
    } finally {
      client.release();
    }
    // Decided on the chunk's state: 100 − 30 leaves exactly the 70 the hold asks for.
    expect(placed?.kind).toBe('applied');
    expect(placed?.kind === 'applied' && placed.balance.availableNanos).toBe(0n);
    expect(loads).toBe(0);
    expect(await balanceRow('acct_w6')).toEqual({ total: '70', version: 3 });
  });

  it('writes a hold through the queue in six round trips to the database', async () => {
    // Each round trip wakes PostgreSQL; on the distributed platform's bench they were most of
    // the ledger's CPU a request. BEGIN travels with the state check, the savepoint with the
    // head locks, and the savepoint is left to the COMMIT: 9 round trips before, 6 now.
    const writer = newWriter();
    const queue = new AccountWriteQueue(t.pool, writer);
    await queue.submit(topUp('acct_rt', 'tu_1', 1_000n)); // known and cached from here on
    const sent: string[] = [];
    const connect = t.pool.connect.bind(t.pool);
    const wrapped: pg.PoolClient[] = [];
    t.pool.connect = (async () => {
      const client = await connect();
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      (client as unknown as { query: unknown }).query = (...args: unknown[]) => {
        const first = args[0];
        const text = typeof first === 'string' ? first : (first as { text: string }).text;
        sent.push(text.trim().split(/\s+/).slice(0, 2).join(' '));
        return query(...args);
      };
      wrapped.push(client);
      return client;
    }) as typeof t.pool.connect;
    let outcome: WriteOutcome;
    try {
      outcome = await queue.submit(
        request('acct_rt', (nowMs) => ({
          type: 'PlaceHold',
          data: { holdId: 'h_rt', amountNanos: 400n, ttlSeconds: 60, nowMs },
        })),
      );
    } finally {
      t.pool.connect = connect;
      for (const client of wrapped) delete (client as unknown as { query?: unknown }).query;
    }
    expect(outcome.kind).toBe('applied');
    expect(outcome.kind === 'applied' && outcome.balance.availableNanos).toBe(600n);
    expect(sent).toEqual([
      'BEGIN; SELECT', // the state check: projections lock, transaction id, pending states
      'SAVEPOINT ledger_append;', // with the head locks and the idempotency keys
      'WITH ev', // the events, the heads and the keys
      'WITH b', // the projections
      'INSERT INTO', // the BalanceChanged outbox row
      'COMMIT',
    ]);
  });

  it('decides a batch of many accounts in order per account, in one append', async () => {
    const writer = newWriter();
    const outcomes = await inTransaction(writer, [
      topUp('acct_w4', 'tu_1', 5n),
      topUp('acct_w5', 'tu_1', 5n),
      charge('acct_w4', 'r1', 2n),
      charge('acct_w5', 'r1', 9n),
      charge('acct_w4', 'r1', 2n),
    ]);
    expect(outcomes.map((o) => o.kind)).toEqual([
      'applied',
      'applied',
      'applied',
      'applied',
      'duplicate',
    ]);
    expect(await balanceRow('acct_w4')).toEqual({ total: '3', version: 2 });
    expect(await balanceRow('acct_w5')).toEqual({ total: '-4', version: 2 });
  });
});

function snapshotParts(): { loader: AccountLoader; snapshots: SnapshotStore } {
  const snapshots = new SnapshotStore(t.schema, DEFAULT_SNAPSHOT_EVERY);
  const store = new PostgresEventStore({ pool: t.pool, schema: t.schema });
  return {
    snapshots,
    loader: new AccountLoader({ pool: t.pool, store, snapshots, stateOptions: {} }),
  };
}
