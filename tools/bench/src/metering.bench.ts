import { randomUUID } from 'node:crypto';
import { createEvent, encodeEvent, type UsageObserved } from '@billing/contracts';
import {
  CatalogStore,
  MeteringMessaging,
  MeteringModule,
  RecordUsageCommand,
  defaultCatalog,
  priceObservation,
} from '@billing/metering';
import type { KafkaClient } from '@billing/messaging';
import { uniqueName } from '@billing/testing';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CommandBus } from '@nestjs/cqrs';
import pg from 'pg';
import {
  BENCH_CONCURRENCY,
  BENCH_PARTITIONS,
  BenchInfra,
  perSecond,
  produceAll,
  until,
  withBenchConsumer,
} from './support.js';
import type { BenchPart, BenchRow } from './table.js';

/**
 * Metering's throughput end to end through the real Kafka and PostgreSQL, as the service runs it:
 *
 *   bench topic → idempotent consumer (inbox) → contract decode + pricing → request log row
 *   + UsageRecorded outbox row (one transaction per chunk) → outbox relay → bench topic
 *
 * The clock runs from the moment the consumer has joined its group, with the whole backlog
 * already on the topic, until the relay has published the last UsageRecorded. Baselines, on the
 * same backlog in the same run:
 *
 * - raw: a plain kafkajs consumer that parses each message and inserts the same request-log row,
 *   one INSERT per message, in one transaction per fetched batch: no inbox, no pricing, no
 *   outbox, no relay, offsets auto-committed (so it can lose or repeat work). This is the same
 *   per-message shape the service has, minus every guarantee.
 * - batched: the same raw consumer with one multi-row INSERT per batch: the ceiling of any design
 *   that writes a chunk per statement.
 *
 * And one more row for the decision it informs: the service's own recording code
 * (RecordUsageCommand, which writes a whole batch in two statements) driven by a chunk-level
 * consumer with the same guarantees (inbox rows, the effects and the outbox in one transaction,
 * offsets committed after it). libs/messaging only offers a per-message handler today, so the
 * service records one message per call; this row measures what a chunk handler there would buy.
 */

const EVENTS = 20_000;
const CHUNK = 500;
const ACCOUNTS = 1_000;
const MODELS = [
  'openai/gpt-5',
  'anthropic/claude-sonnet-4.5',
  'google/gemini-2.5-pro',
  'sim/echo-1',
];

function benchEvents(n: number): UsageObserved[] {
  const base = Date.parse('2026-06-01T00:00:00.000Z');
  return Array.from({ length: n }, (_, i) =>
    createEvent({
      type: 'UsageObserved',
      id: randomUUID(),
      accountId: `acct_${i % ACCOUNTS}`,
      source: 'gateway',
      occurredAt: new Date(base + i),
      data: {
        requestId: randomUUID(),
        apiKeyId: `key_${i % 97}`,
        model: MODELS[i % MODELS.length] ?? 'sim/echo-1',
        inputTokens: 1_200 + (i % 300),
        cachedInputTokens: i % 500,
        outputTokens: 350 + (i % 120),
        status: 'succeeded',
        startedAt: new Date(base + i).toISOString(),
        completedAt: new Date(base + i + 1_500).toISOString(),
      },
    }),
  );
}

async function produce(
  kafka: KafkaClient,
  topic: string,
  events: readonly UsageObserved[],
): Promise<void> {
  const records = events.map((e) => ({ key: e.accountId, value: encodeEvent(e) }));
  await produceAll(kafka, topic, records, 1_000);
}

const RAW_TABLE = `(request_id text PRIMARY KEY, account_id text NOT NULL, api_key_id text,
  model text NOT NULL, status text NOT NULL, input_tokens int8 NOT NULL, output_tokens int8 NOT NULL,
  cached_input_tokens int8, started_at timestamptz NOT NULL, completed_at timestamptz NOT NULL,
  observed_event_id text NOT NULL)`;

/** The baselines: a raw kafkajs consumer inserting request-log-shaped rows, no guarantees. */
async function rawConsume(
  kafka: KafkaClient,
  topic: string,
  pool: pg.Pool,
  table: string,
  batched: boolean,
): Promise<number> {
  return withBenchConsumer(kafka, 'bench_metering_raw', topic, async ({ consumer, joined }) => {
    let consumed = 0;
    await consumer.run({
      partitionsConsumedConcurrently: BENCH_CONCURRENCY,
      eachBatch: async ({ batch }) => {
        const events = batch.messages.map(
          (m) => JSON.parse(m.value?.toString() ?? '{}') as UsageObserved,
        );
        const row = (e: UsageObserved): unknown[] => [
          e.data.requestId,
          e.accountId,
          e.data.apiKeyId ?? null,
          e.data.model,
          e.data.status,
          e.data.inputTokens,
          e.data.outputTokens,
          e.data.cachedInputTokens ?? null,
          e.data.startedAt,
          e.data.completedAt,
          e.id,
        ];
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          if (batched) {
            const columns = events.map(row);
            await client.query(
              `INSERT INTO ${table} SELECT * FROM unnest($1::text[], $2::text[], $3::text[],
                 $4::text[], $5::text[], $6::int8[], $7::int8[], $8::int8[], $9::timestamptz[],
                 $10::timestamptz[], $11::text[]) ON CONFLICT DO NOTHING`,
              Array.from({ length: 11 }, (_, c) => columns.map((r) => r[c])),
            );
          } else {
            for (const e of events) {
              await client.query(
                `INSERT INTO ${table} VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                 ON CONFLICT DO NOTHING`,
                row(e),
              );
            }
          }
          await client.query('COMMIT');
        } finally {
          client.release();
        }
        consumed += events.length;
      },
    });
    await joined;
    const started = performance.now();
    await until(() => consumed >= EVENTS, 120_000, 25);
    return performance.now() - started;
  });
}

async function bootMetering(
  infra: BenchInfra,
  schema: string,
  topics: { usageObserved: string; usageRecorded: string },
): Promise<INestApplication> {
  const app = await NestFactory.create(
    MeteringModule.forRoot({
      ...infra.serviceOptions(BENCH_CONCURRENCY),
      schema,
      topics,
      usageConsumerName: `${schema}-observed`,
      consumerChunkSize: CHUNK,
    }),
    { logger: false },
  );
  await app.init();
  await app.get(MeteringMessaging).ready;
  return app;
}

/** Resolves once the relay of `schema` has published `n` messages; returns the time it took. */
async function relayed(pool: pg.Pool, schema: string, n: number, started: number): Promise<number> {
  await until(
    async () => {
      const { rows } = await pool.query<{ published: string }>(
        `SELECT published FROM ${schema}.outbox_relay_state`,
      );
      return Number(rows[0]?.published ?? 0) >= n;
    },
    120_000,
    25,
  );
  const ms = performance.now() - started;
  const { rows } = await pool.query<{ logged: string; outbox: string }>(
    `SELECT (SELECT count(*) FROM ${schema}.request_log) AS logged,
            (SELECT count(*) FROM ${schema}.outbox) AS outbox`,
  );
  if (Number(rows[0]?.logged) !== n || Number(rows[0]?.outbox) !== n) {
    throw new Error(`expected ${n} request log and outbox rows, found ${JSON.stringify(rows[0])}`);
  }
  return ms;
}

/**
 * The service's recording code behind a chunk-level idempotent consumer: per chunk of a fetched
 * batch, one transaction with the inbox rows (new ids only go on), RecordUsageCommand for the
 * whole chunk, COMMIT, then the offset.
 */
async function chunkConsume(
  kafka: KafkaClient,
  topic: string,
  app: INestApplication,
  pool: pg.Pool,
  schema: string,
): Promise<number> {
  const bus = app.get(CommandBus);
  const store = app.get(CatalogStore);
  return withBenchConsumer(kafka, 'bench_metering_chunk', topic, async (bench) => {
    const { consumer, groupId: group, joined } = bench;
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: BENCH_CONCURRENCY,
      eachBatch: async (payload) => {
        const { batch } = payload;
        for (let i = 0; i < batch.messages.length; i += CHUNK) {
          const chunk = batch.messages.slice(i, i + CHUNK);
          const events = chunk.map((m) => JSON.parse(m.value?.toString() ?? '{}') as UsageObserved);
          const client = await pool.connect();
          try {
            await client.query('BEGIN');
            const fresh = await client.query<{ message_id: string }>(
              `INSERT INTO ${schema}.inbox (consumer_name, message_id)
               SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING RETURNING message_id`,
              [group, events.map((e) => e.id)],
            );
            const ids = new Set(fresh.rows.map((r) => r.message_id));
            const { catalog, revision } = store.current;
            const usage = events
              .filter((e) => ids.has(e.id))
              .map((e) => {
                const priced = priceObservation(catalog, e);
                if (!priced.ok) throw new Error(priced.reason);
                return { priced: priced.value, revision };
              });
            const result = await bus.execute(new RecordUsageCommand(usage, client));
            if (!result.ok) throw new Error('conflicting usage in the bench');
            await client.query('COMMIT');
          } catch (err) {
            await client.query('ROLLBACK');
            throw err;
          } finally {
            client.release();
          }
          const last = chunk[chunk.length - 1];
          if (last !== undefined) payload.resolveOffset(last.offset);
          await payload.commitOffsetsIfNecessary();
          await payload.heartbeat();
        }
      },
    });
    await joined;
    const started = performance.now();
    return await relayed(pool, schema, EVENTS, started);
  });
}

export async function runMeteringBench(): Promise<BenchRow[]> {
  const name = uniqueName('bench_metering').toLowerCase();
  const topics = {
    usageObserved: `${name}.observed`,
    usageRecorded: `${name}.recorded`,
    emptyObserved: `${name}.empty`,
    chunkRecorded: `${name}.chunk_recorded`,
  };
  const allTopics = [
    topics.usageObserved,
    `${topics.usageObserved}.dlq`,
    topics.usageRecorded,
    topics.emptyObserved,
    `${topics.emptyObserved}.dlq`,
    topics.chunkRecorded,
  ];
  const infra = await BenchInfra.open(allTopics, { partitions: BENCH_PARTITIONS, poolSize: 10 });
  const { kafka, pool } = infra;
  const rows: BenchRow[] = [];
  try {
    const events = benchEvents(EVENTS);

    // 0. The CPU cost of pricing alone: decode is not included, the UsageRecorded is.
    const catalog = defaultCatalog();
    const started = performance.now();
    for (const e of events) {
      const priced = priceObservation(catalog, e);
      if (!priced.ok) throw new Error(priced.reason);
      createEvent({
        type: 'UsageRecorded',
        id: randomUUID(),
        accountId: e.accountId,
        source: 'metering',
        occurredAt: new Date(),
        causationId: e.id,
        data: { ...e.data, cost: '0.001', priceVersion: priced.value.version.versionId },
      });
    }
    const pricingMs = performance.now() - started;

    await produce(kafka, topics.usageObserved, events);

    // 1. The service, end to end.
    let app = await bootMetering(infra, name, topics);
    let serviceMs: number;
    try {
      serviceMs = await relayed(pool, name, EVENTS, performance.now());
    } finally {
      await app.close();
    }

    // 2. The same recording code behind a chunk-level consumer (fresh schema; the application's
    // own consumer listens to an empty topic).
    const chunkSchema = `${name}_chunk`;
    app = await bootMetering(infra, chunkSchema, {
      usageObserved: topics.emptyObserved,
      usageRecorded: topics.chunkRecorded,
    });
    let chunkMs: number;
    try {
      chunkMs = await chunkConsume(kafka, topics.usageObserved, app, pool, chunkSchema);
    } finally {
      await app.close();
    }

    // 3. The baselines on the same backlog.
    await pool.query(
      `CREATE TABLE ${name}.raw_log ${RAW_TABLE}; CREATE TABLE ${name}.raw_batched ${RAW_TABLE}`,
    );
    const rawMs = await rawConsume(kafka, topics.usageObserved, pool, `${name}.raw_log`, false);
    const batchedMs = await rawConsume(
      kafka,
      topics.usageObserved,
      pool,
      `${name}.raw_batched`,
      true,
    );

    rows.push({
      name: 'metering: Kafka → price → request log + outbox → relay → Kafka',
      value: perSecond(EVENTS, serviceMs),
      unit: 'events/s',
      baseline: perSecond(EVENTS, rawMs),
      note:
        `${EVENTS} UsageObserved, ${BENCH_PARTITIONS} partitions, ${BENCH_CONCURRENCY} consumed at once; ` +
        'baseline: raw kafkajs, same row, 1 INSERT/msg, no inbox/pricing/outbox/relay',
    });
    rows.push({
      name: 'same recording code, chunk-level consumer → relay → Kafka',
      value: perSecond(EVENTS, chunkMs),
      unit: 'events/s',
      baseline: perSecond(EVENTS, batchedMs),
      note:
        `inbox + RecordUsageCommand per ${CHUNK}-event chunk, offsets after commit; ` +
        'what a chunk handler in libs/messaging would buy; baseline: raw, 1 multi-row INSERT/batch',
    });
    rows.push({
      name: 'raw consume, 1 multi-row INSERT per batch',
      value: perSecond(EVENTS, batchedMs),
      unit: 'events/s',
      note: 'the ceiling of a batched handler on this machine (no guarantees either)',
    });
    rows.push({
      name: 'pricing + UsageRecorded creation, CPU only',
      value: perSecond(EVENTS, pricingMs),
      unit: 'events/s',
      note: 'priceObservation + createEvent (contract validation), one core',
    });
    return rows;
  } finally {
    await pool.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`).catch(() => undefined);
    await pool.query(`DROP SCHEMA IF EXISTS ${name}_chunk CASCADE`).catch(() => undefined);
    await infra.close();
  }
}

export const part: BenchPart = {
  title: 'metering (UsageObserved priced and recorded end to end through Kafka)',
  run: runMeteringBench,
};
