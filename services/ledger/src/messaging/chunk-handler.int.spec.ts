import { encodeEvent, type PaymentsEvent } from '@billing/contracts';
import { PostgresEventStore } from '@billing/event-store';
import {
  InboxProcessor,
  silentLogger,
  type DeadLetter,
  type InboxRecord,
} from '@billing/messaging';
import { createTestSchema, type TestSchema } from '@billing/testing';
import { AccountStateCache } from '../infrastructure/account-state-cache.js';
import { LedgerWriter } from '../infrastructure/ledger-writer.js';
import { migrateLedger } from '../infrastructure/migrations.js';
import { ProjectionWriter } from '../infrastructure/projection-tables.js';
import { contractEvent, topUpSettled } from '../testing/ledger-test-app.js';
import { ApplyInputsCommand } from '../commands/apply-inputs/apply-inputs.command.js';
import { ApplyInputsHandler } from '../commands/apply-inputs/apply-inputs.handler.js';
import { isLedgerInput } from '../commands/apply-inputs/inputs.js';
import { applyInChunks } from './chunk-handler.js';
import { AccountLoader } from '../infrastructure/account-loader.js';
import { DEFAULT_SNAPSHOT_EVERY, SnapshotStore } from '../infrastructure/snapshots.js';

// The ledger's chunk handler under the real InboxProcessor of @billing/messaging and the real
// database: this is the contract it relies on (one handleChunk call per chunk transaction, the
// chunk replayed one message per transaction after a failure, and word of how each transaction
// ended for the writer's cache), so a change in the library fails here first.

let t: TestSchema;
let cache: AccountStateCache;
let writer: LedgerWriter;
let applied: number[];
let processor: InboxProcessor<PaymentsEvent>;
let deadLetters: DeadLetter[];

const record = (event: PaymentsEvent, offset: number): InboxRecord => ({
  topic: 'payments.v1',
  partition: 0,
  offset: String(offset),
  key: event.accountId,
  value: Buffer.from(encodeEvent(event)),
  headers: {},
});

const control = { signal: new AbortController().signal };

const versionOf = async (accountId: string): Promise<number> =>
  (
    await t.pool.query<{ version: number }>(
      `SELECT version FROM "${t.schema}".balances WHERE account_id = $1`,
      [accountId],
    )
  ).rows[0]?.version ?? 0;

beforeAll(async () => {
  t = await createTestSchema('ledger_chunks');
  await migrateLedger(t.pool, t.schema);
  writer = new LedgerWriter({
    store: new PostgresEventStore({ pool: t.pool, schema: t.schema }),
    pool: t.pool,
    schema: t.schema,
    cache: (cache = new AccountStateCache(1_000)),
    projections: new ProjectionWriter(t.schema),
    balanceTopic: 'ledger.v1',
    clock: Date.now,
    ...snapshotParts(),
  });
  applied = [];
  deadLetters = [];
  processor = new InboxProcessor<PaymentsEvent>({
    consumerName: 'ledger-test',
    topics: ['payments.v1'],
    pool: t.pool,
    schema: t.schema,
    decode: (value) => {
      const event = JSON.parse(value.toString()) as PaymentsEvent;
      return { ok: true, message: event };
    },
    messageId: (event) => event.id,
    handleChunk: applyInChunks<PaymentsEvent>(writer, async (events, tx) => {
      applied.push(events.length);
      await new ApplyInputsHandler(writer).execute(
        new ApplyInputsCommand(events.filter(isLedgerInput), tx),
      );
    }),
    maxHandlerAttempts: 2,
    retryBackoff: { initialMs: 1, maxMs: 5 },
    logger: silentLogger,
    deadLetter: (letters) => {
      deadLetters.push(...letters);
      return Promise.resolve();
    },
  });
});

afterAll(async () => {
  await t.drop();
});

describe("the ledger's chunk handler under the messaging library's InboxProcessor", () => {
  it('applies a whole chunk in one call, with its inbox rows, and settles the cache at COMMIT', async () => {
    applied = [];
    const events = Array.from({ length: 5 }, (_, i) => topUpSettled('acct_c1', `tu_${i}`, '1'));
    await processor.processChunk(
      events.map((e, i) => record(e, i)),
      control,
    );
    expect(applied).toEqual([5]);
    expect(await versionOf('acct_c1')).toBe(5);
    const inbox = await t.pool.query(`SELECT 1 FROM "${t.schema}".inbox`);
    expect(inbox.rowCount).toBe(5);
    // The commit was reported: the state is trusted without asking PostgreSQL again.
    expect(cache.get('acct_c1')).toBeDefined();
    expect(cache.get('acct_c1')?.pendingTxid).toBeUndefined();
  });

  it('isolates a refused message: the chunk is replayed one by one, the good ones applied, the bad one dead-lettered', async () => {
    applied = [];
    const good1 = topUpSettled('acct_c2', 'tu_a', '1');
    const bad = contractEvent('TopUpRefunded', 'acct_c2', {
      topUpId: 'unknown',
      amount: '1',
      refundReference: 're_x',
    });
    const good2 = topUpSettled('acct_c2', 'tu_b', '2');
    await processor.processChunk([record(good1, 10), record(bad, 11), record(good2, 12)], control);
    // The chunk, then each message alone; the bad one twice (maxHandlerAttempts = 2).
    expect(applied).toEqual([3, 1, 1, 1, 1]);
    expect(await versionOf('acct_c2')).toBe(2);
    expect(deadLetters.map((d) => [d.messageId, d.reason])).toEqual([[bad.id, 'handler_failed']]);
    expect(deadLetters[0]?.error).toContain('LEDGER.TOP_UP_NOT_FOUND');
  });

  it('leaves no state of a rolled-back chunk in the cache', async () => {
    // The refused chunk above decided tu_a and tu_b on a state that was rolled back; the
    // one-by-one replay must have started from what was committed, or tu_b would be version 3.
    const events = await t.pool.query<{ version: number; type: string }>(
      `SELECT version, type FROM "${t.schema}".events WHERE stream_id = 'account-acct_c2' ORDER BY version`,
    );
    expect(events.rows).toEqual([
      { version: 1, type: 'TopUpCredited' },
      { version: 2, type: 'TopUpCredited' },
    ]);
  });

  it('applies a redelivered chunk once (the inbox drops what was applied)', async () => {
    applied = [];
    const events = Array.from({ length: 3 }, (_, i) => topUpSettled('acct_c3', `tu_${i}`, '1'));
    const records = events.map((e, i) => record(e, 100 + i));
    await processor.processChunk(records, control);
    await processor.processChunk(records, control);
    expect(applied).toEqual([3]);
    expect(await versionOf('acct_c3')).toBe(3);
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
