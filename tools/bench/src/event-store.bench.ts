import { randomUUID } from 'node:crypto';
import {
  type AppendBatchItem,
  LOG_START,
  type LogPosition,
  PostgresEventStore,
  migrateEventStore,
} from '@billing/event-store';
import { createTestSchema, testDatabaseUrl } from '@billing/testing';
import { getPostgreSQLEventStore } from '@event-driven-io/emmett-postgresql';
import { perSecond } from './support.js';
import type { BenchPart, BenchRow } from './table.js';

/**
 * Throughput of @billing/event-store against the real PostgreSQL, in a fresh schema, next to a
 * baseline: the same rows written by a plain multi-row INSERT (unnest of arrays, the fastest plain
 * form) into a table with the same columns and indexes, but without the hash chain, the
 * idempotency keys, the stream heads and their version checks, or the triggers.
 *
 * Everything runs on one connection, one statement or transaction at a time, so the figures
 * compare the cost of the guarantees rather than the machine's parallelism.
 *
 * The batched appends have a second baseline: Emmett's PostgreSQL event store
 * (`@event-driven-io/emmett-postgresql`), a maintained open-source event store for Node.js, given
 * the same events in the same schema. It has no multi-stream append, so each stream's events of a
 * batch are one `appendToStream` (one transaction, its expected version checked), one at a time.
 */

const SINGLE_APPENDS = 2_000;
const SINGLE_STREAMS = 200;
const BATCHES = 200;
const STREAMS_PER_BATCH = 100;
const EVENTS_PER_ITEM = 10;
const BATCH_STREAMS = 2_000;
const READ_PAGE = 5_000;
const ROUNDS = 4;
const READ_ROUNDS = 2;

const PLAIN_TABLE = `
CREATE TABLE plain_events (
  global_position bigserial PRIMARY KEY,
  transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
  stream_id text NOT NULL,
  version integer NOT NULL,
  event_id uuid NOT NULL UNIQUE,
  type text NOT NULL,
  data json NOT NULL,
  metadata json NOT NULL DEFAULT '{}'::json,
  occurred_at timestamptz NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (stream_id, version)
);
CREATE INDEX plain_events_log_order ON plain_events (transaction_id, global_position);`;

// Parameters are encoded exactly as the store encodes its own (array literals built by hand, JSON
// documents as one JSON array), so the ratio measures the guarantees, not the encoding.
const PLAIN_INSERT = `
INSERT INTO plain_events (stream_id, version, event_id, type, data, metadata, occurred_at)
SELECT * FROM ROWS FROM (
  unnest($1::text[]), unnest($2::int4[]), unnest($3::uuid[]), unnest($4::text[]),
  json_array_elements($5::json), json_array_elements($6::json), unnest($7::timestamptz[]))`;

const textArray = (values: readonly string[]): string =>
  `{${values.map((v) => `"${v.replace(/[\\"]/g, '\\$&')}"`).join(',')}}`;

/** One row of the baseline table: an event at its version in its stream. */
interface PlainRow {
  readonly streamId: string;
  readonly version: number;
  readonly event: Ev;
}

function plainParams(rows: readonly PlainRow[]): unknown[] {
  const json = (values: readonly unknown[]): string =>
    `[${values.map((v) => JSON.stringify(v)).join(',')}]`;
  return [
    textArray(rows.map((r) => r.streamId)),
    `{${rows.map((r) => r.version).join(',')}}`,
    textArray(rows.map((r) => r.event.eventId)),
    textArray(rows.map((r) => r.event.type)),
    json(rows.map((r) => r.event.data)),
    json(rows.map((r) => r.event.metadata)),
    textArray(rows.map((r) => r.event.occurredAt.toISOString())),
  ];
}

/** A usage charge as the ledger would append it: realistic size and shape. */
function usageEvent(i: number, at: Date) {
  const requestId = randomUUID();
  return {
    eventId: randomUUID(),
    type: 'UsageCharged',
    occurredAt: at,
    data: {
      requestId,
      apiKeyId: `key_${i % 97}`,
      model: 'gpt-4o-mini',
      inputTokens: 1_200 + (i % 500),
      outputTokens: 300 + (i % 200),
      cost: `0.000${(153 + i) % 1000}`,
      priceVersion: 7,
      holdId: `hold_${i}`,
      draws: [{ lotId: `lot_${i % 13}`, amount: '0.000153' }],
    },
    metadata: { correlationId: requestId, causationId: randomUUID(), source: 'metering' },
  };
}

type Ev = ReturnType<typeof usageEvent>;

/** One round's batches: made per round so that the heap (and so GC) stays the size of a round. */
function makeBatches(round: number, count: number): AppendBatchItem[][] {
  const at = new Date();
  let n = round * count * STREAMS_PER_BATCH * EVENTS_PER_ITEM;
  const batches: AppendBatchItem[][] = [];
  for (let b = round * count; b < (round + 1) * count; b++) {
    const items: AppendBatchItem[] = [];
    for (let s = 0; s < STREAMS_PER_BATCH; s++) {
      const stream = (b * STREAMS_PER_BATCH + s) % BATCH_STREAMS;
      const events: Ev[] = [];
      for (let e = 0; e < EVENTS_PER_ITEM; e++) events.push(usageEvent(n++, at));
      // Versions are filled in at run time, as a real caller reads them before deciding.
      items.push({
        streamId: `account-${stream}`,
        events,
        expectedVersion: 'any',
        idempotencyKey: randomUUID(),
      });
    }
    batches.push(items);
  }
  return batches;
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

export async function runEventStoreBench(): Promise<BenchRow[]> {
  const t = await createTestSchema('bench_es', 4);
  try {
    await migrateEventStore(t.pool, t.schema);
    await t.pool.query(PLAIN_TABLE);
    const store = new PostgresEventStore({ pool: t.pool, schema: t.schema });
    // Emmett's tables go to the same fresh schema (its SQL names none), created by its first append.
    const emmettUrl = new URL(testDatabaseUrl());
    emmettUrl.searchParams.set('options', `-c search_path=${t.schema}`);
    const emmett = getPostgreSQLEventStore(emmettUrl.toString());
    await emmett.appendToStream('warm-up', [{ type: 'WarmUp', data: {} }]);
    const client = await t.pool.connect();
    const rows: BenchRow[] = [];
    try {
      // Store and baseline take turns, round by round, so that both see the same machine: on a
      // shared 2-core box the load of other work moves absolute figures far more than the ratio.
      const singles = Array.from({ length: SINGLE_APPENDS }, (_, i) => usageEvent(i, new Date()));
      let singleMs = 0;
      let plainSingleMs = 0;
      const perRound = SINGLE_APPENDS / ROUNDS;
      for (let round = 0; round < ROUNDS; round++) {
        const from = round * perRound;
        plainSingleMs += await timed(async () => {
          for (let i = from; i < from + perRound; i++) {
            const row: PlainRow = {
              streamId: `plain-${i % SINGLE_STREAMS}`,
              version: Math.floor(i / SINGLE_STREAMS) + 1,
              event: singles[i] as Ev,
            };
            await client.query({ name: 'plain', text: PLAIN_INSERT, values: plainParams([row]) });
          }
        });
        singleMs += await timed(async () => {
          for (let i = from; i < from + perRound; i++) {
            // A command handler with nothing to batch: one event, expected version, one commit.
            await store.append(`single-${i % SINGLE_STREAMS}`, [singles[i] as Ev], {
              expectedVersion: Math.floor(i / SINGLE_STREAMS),
              idempotencyKey: randomUUID(),
            });
          }
        });
      }
      rows.push({
        name: 'event-store: single appends',
        value: perSecond(SINGLE_APPENDS, singleMs),
        unit: 'events/s',
        baseline: perSecond(SINGLE_APPENDS, plainSingleMs),
        note: `${SINGLE_APPENDS.toLocaleString('en-US')} appends of 1 event, a commit each; baseline: single-row INSERT`,
      });

      const total = BATCHES * STREAMS_PER_BATCH * EVENTS_PER_ITEM;
      const storeVersions = new Map<string, number>();
      const plainVersions = new Map<string, number>();
      const emmettVersions = new Map<string, bigint>();
      let batchedMs = 0;
      let plainMs = 0;
      let emmettMs = 0;
      const batchesPerRound = BATCHES / ROUNDS;
      for (let round = 0; round < ROUNDS; round++) {
        const slice = makeBatches(round, batchesPerRound);
        plainMs += await timed(async () => {
          for (const items of slice) {
            const plainRows: PlainRow[] = [];
            for (const item of items) {
              let v = plainVersions.get(item.streamId) ?? 0;
              for (const event of item.events as Ev[]) {
                plainRows.push({ streamId: item.streamId, version: ++v, event });
              }
              plainVersions.set(item.streamId, v);
            }
            await client.query({
              name: 'plain',
              text: PLAIN_INSERT,
              values: plainParams(plainRows),
            });
          }
        });
        batchedMs += await timed(async () => {
          for (const items of slice) {
            // Versions as a caller knows them from its last read: checked, not 'any'.
            const withVersions = items.map((item) => ({
              ...item,
              expectedVersion: storeVersions.get(item.streamId) ?? 0,
            }));
            const results = await store.appendBatch(withVersions);
            for (const r of results) storeVersions.set(r.streamId, r.lastVersion);
          }
        });
        emmettMs += await timed(async () => {
          for (const items of slice) {
            for (const item of items) {
              const events = (item.events as Ev[]).map((e) => ({
                type: e.type,
                data: e.data,
                metadata: { ...e.metadata, eventId: e.eventId, occurredAt: e.occurredAt },
              }));
              const result = await emmett.appendToStream(`emmett-${item.streamId}`, events, {
                expectedStreamVersion: emmettVersions.get(item.streamId) ?? 0n,
              });
              emmettVersions.set(item.streamId, result.nextExpectedStreamVersion);
            }
          }
        });
      }
      rows.push({
        name: 'event-store: batched appends',
        value: perSecond(total, batchedMs),
        unit: 'events/s',
        baseline: perSecond(total, plainMs),
        note: `${total.toLocaleString('en-US')} events: ${BATCHES} appendBatch of ${STREAMS_PER_BATCH} streams x ${EVENTS_PER_ITEM}; baseline: plain multi-row INSERT`,
      });
      rows.push({
        name: 'event-store: batched appends vs Emmett',
        value: perSecond(total, batchedMs),
        unit: 'events/s',
        baseline: perSecond(total, emmettMs),
        note: `the same events; baseline: Emmett's PostgreSQL event store (@event-driven-io/emmett-postgresql), an appendToStream a stream of a batch, expected version checked`,
      });

      // Reads take turns too: the whole log through the store, then the plain table, twice.
      let read = 0;
      let readMs = 0;
      let plainRead = 0;
      let plainReadMs = 0;
      for (let round = 0; round < READ_ROUNDS; round++) {
        readMs += await timed(async () => {
          let after: LogPosition = LOG_START;
          for (;;) {
            const page = await store.readAll({ after, limit: READ_PAGE });
            read += page.events.length;
            if (page.events.length < READ_PAGE) break;
            after = page.next;
          }
        });
        plainReadMs += await timed(async () => {
          let after = '0';
          for (;;) {
            const res = await client.query<{ global_position: string }>({
              name: 'plain_read',
              text: 'SELECT * FROM plain_events WHERE global_position > $1 ORDER BY global_position LIMIT $2',
              values: [after, READ_PAGE],
            });
            plainRead += res.rows.length;
            const last = res.rows.at(-1);
            if (last === undefined || res.rows.length < READ_PAGE) break;
            after = last.global_position;
          }
        });
      }
      rows.push({
        name: 'event-store: global log read',
        value: perSecond(read, readMs),
        unit: 'events/s',
        baseline: perSecond(plainRead, plainReadMs),
        note: `${(read / READ_ROUNDS).toLocaleString('en-US')} events x ${READ_ROUNDS}, readAll pages of ${READ_PAGE.toLocaleString('en-US')}; baseline: SELECT * by position, pg's default row parsing`,
      });
    } finally {
      client.release();
      await emmett.close();
    }
    return rows;
  } finally {
    await t.drop();
  }
}

export const part: BenchPart = {
  title: 'event store (PostgreSQL)',
  run: runEventStoreBench,
};
