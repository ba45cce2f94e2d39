import { createTestSchema, eventually, type TestSchema } from '@billing/testing';
import { InboxProcessor } from './inbox-processor.js';
import {
  DEFAULT_INBOX_RETENTION_MS,
  DEFAULT_REDELIVERY_HORIZON_MS,
  InboxPruner,
} from './inbox-pruner.js';
import {
  applyTestMigrations,
  countEffects,
  decodeTestEvent,
  recordEffect,
  testEventId,
  testMessage,
  type TestEvent,
} from './testing/fixtures.js';
import type { InboxRecord, OutboxMessage } from './types.js';

const DAY_MS = 86_400_000;

// The inbox pruner against the real PostgreSQL: what it deletes, what it must keep, and that a
// message redelivered while its row is kept is still applied only once.

let db: TestSchema;
const pruners: InboxPruner[] = [];

beforeAll(async () => {
  db = await createTestSchema('inbox_prune');
  await applyTestMigrations(db.pool, db.schema);
});

afterEach(async () => {
  for (const p of pruners.splice(0)) await p.stop();
  await db.pool.query(`DELETE FROM ${db.schema}.inbox`);
});

afterAll(async () => {
  await db.drop();
});

function pruner(o: Partial<ConstructorParameters<typeof InboxPruner>[0]> = {}): InboxPruner {
  const p = new InboxPruner({ pool: db.pool, schema: db.schema, ...o });
  pruners.push(p);
  return p;
}

/** Inserts inbox rows as if their messages had been applied `ageMs` ago (database clock). */
async function rows(...entries: [consumer: string, id: string, ageMs: number][]): Promise<void> {
  for (const [consumer, id, ageMs] of entries) {
    await db.pool.query(
      `INSERT INTO ${db.schema}.inbox (consumer_name, message_id, processed_at)
       VALUES ($1, $2, now() - $3 * interval '1 millisecond')`,
      [consumer, id, ageMs],
    );
  }
}

async function ids(): Promise<string[]> {
  const res = await db.pool.query<{ message_id: string }>(
    `SELECT message_id FROM ${db.schema}.inbox ORDER BY message_id`,
  );
  return res.rows.map((r) => r.message_id);
}

const recordOf = (m: OutboxMessage): InboxRecord => ({
  topic: m.topic,
  partition: 0,
  offset: '0',
  key: m.key,
  value: Buffer.from(m.value),
  headers: {},
});

describe('InboxPruner', () => {
  it('deletes, on its schedule, only the rows older than the retention (30 days by default), of every consumer, and keeps pruning', async () => {
    const minute = 60_000;
    await rows(
      ['ledger.usage', 'a-31-days', 31 * DAY_MS],
      ['ledger.payments', 'b-31-days', 31 * DAY_MS],
      ['ledger.usage', 'c-30-days-less-a-minute', 30 * DAY_MS - minute],
      ['ledger.usage', 'd-15-days', 15 * DAY_MS],
      ['ledger.payments', 'e-1-hour', 3_600_000],
    );
    pruner({ intervalMs: 50 }).start();
    await eventually(async () => ((await ids()).length === 3 ? true : undefined));
    expect(await ids()).toEqual(['c-30-days-less-a-minute', 'd-15-days', 'e-1-hour']);

    // The schedule goes on: a row that becomes old later is pruned by a later run.
    await rows(['ledger.usage', 'f-40-days', 40 * DAY_MS]);
    await eventually(async () => ((await ids()).includes('f-40-days') ? undefined : true));
    expect(await ids()).toEqual(['c-30-days-less-a-minute', 'd-15-days', 'e-1-hour']);
  });

  it('stops a double application: a message redelivered while the broker can still send it finds its row kept, and is applied once', async () => {
    const processor = new InboxProcessor<TestEvent>({
      consumerName: 'c',
      topics: ['t'],
      pool: db.pool,
      schema: db.schema,
      decode: decodeTestEvent,
      messageId: testEventId,
      handler: recordEffect(db.schema, 'c'),
      deadLetter: () => Promise.resolve(),
    });
    const control = { signal: new AbortController().signal };
    const recent = testMessage('t', 'acct_1', 1);
    const ancient = testMessage('t', 'acct_1', 2);
    await processor.processChunk([recordOf(recent), recordOf(ancient)], control);
    expect(await countEffects(db.pool, db.schema, 'c')).toBe(2);
    // `recent` was applied 13 days ago: inside the 14-day redelivery horizon of the broker.
    // `ancient` 31 days ago: the broker deleted it long ago.
    await db.pool.query(
      `UPDATE ${db.schema}.inbox SET processed_at = now() - $2 * interval '1 millisecond'
       WHERE message_id = $1`,
      [recent.id, 13 * DAY_MS],
    );
    await db.pool.query(
      `UPDATE ${db.schema}.inbox SET processed_at = now() - $2 * interval '1 millisecond'
       WHERE message_id = $1`,
      [ancient.id, 31 * DAY_MS],
    );

    expect(await pruner().pruneOnce()).toBe(1);
    expect(await ids()).toEqual([recent.id]);

    // An offset reset replays `recent`: the kept row absorbs it.
    await processor.processChunk([recordOf(recent)], control);
    expect(await countEffects(db.pool, db.schema, 'c')).toBe(2);
  });

  it('refuses a retention that would delete rows the broker can still redeliver, naming the safe minimum', () => {
    expect(DEFAULT_INBOX_RETENTION_MS).toBeGreaterThan(DEFAULT_REDELIVERY_HORIZON_MS);
    expect(() => pruner({ retentionMs: 14 * DAY_MS })).toThrow(
      'inbox pruning: a retention of 336 h would delete rows whose messages the broker can still redeliver (for 336 h); keep them at least 360 h',
    );
    expect(() => pruner({ retentionMs: 20 * DAY_MS, redeliveryHorizonMs: 20 * DAY_MS })).toThrow(
      'keep them at least 504 h',
    );
    expect(() => pruner({ retentionMs: 15 * DAY_MS })).not.toThrow();
    expect(() => pruner({ intervalMs: 0 })).toThrow('the interval must be a duration > 0');
  });
});
