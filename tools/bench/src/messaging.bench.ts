import { randomUUID } from 'node:crypto';
import {
  countUnpublished,
  createKeyedProducer,
  type Decoder,
  enqueue,
  IdempotentConsumer,
  InProcessTransport,
  type KafkaClient,
  KafkaTransport,
  messagingMigrations,
  type OutboxMessage,
  OutboxRelay,
  silentLogger,
} from '@billing/messaging';
import { createTestSchema, uniqueName } from '@billing/testing';
import type pg from 'pg';
import {
  BENCH_CONCURRENCY,
  BENCH_PARTITIONS,
  benchKafkaTuning,
  createBenchTopics,
  perSecond,
  until,
  withBenchConsumer,
} from './support.js';
import type { BenchPart, BenchRow } from './table.js';

/**
 * Throughput of @billing/messaging against the real PostgreSQL and Kafka, each next to a baseline
 * doing the same transport work without the guarantees:
 *
 * - publish: a backlog of outbox rows → OutboxRelay → Kafka (read below xmin, publish, move the
 *   checkpoint), against a raw kafkajs producer sending the same messages with the same producer
 *   settings (idempotent, acks=-1, one request in flight) in batches of the same size, with no
 *   database at all.
 * - consume: Kafka → IdempotentConsumer → PostgreSQL (inbox rows + one effect row per message,
 *   one transaction per chunk, offsets committed after the commit), against a raw kafkajs
 *   consumer applying the same effect rows in one transaction per fetched batch, with kafkajs
 *   auto-commit and no inbox (duplicates applied twice, offsets that can run ahead of the
 *   database). A second row gives the ceiling: the raw consumer reading without a database.
 * - standalone: the same outbox and relay feeding the in-process transport and an inbox consumer.
 */

const MESSAGES = 50_000;
const ACCOUNTS = 1_000;
const RELAY_BATCH = 500;
const ENQUEUE_TX = 500;
const CHUNK = 500;

const EFFECTS_TABLES = {
  id: 'bench_001_effects',
  sql: `CREATE TABLE effects (message_id text NOT NULL, account_id text NOT NULL, cost numeric NOT NULL);
        CREATE TABLE plain_effects (message_id text NOT NULL, account_id text NOT NULL, cost numeric NOT NULL);`,
};

interface BenchEvent {
  id: string;
  type: string;
  accountId: string;
  data: { cost: string };
}

/** UsageRecorded-sized envelopes (about 500 bytes), keyed by account. */
function benchMessages(topic: string, n: number): OutboxMessage[] {
  return Array.from({ length: n }, (_, i) => {
    const id = randomUUID();
    const accountId = `acct_${i % ACCOUNTS}`;
    const value = JSON.stringify({
      id,
      type: 'UsageRecorded',
      version: 1,
      occurredAt: new Date(1_790_000_000_000 + i).toISOString(),
      accountId,
      source: 'metering',
      data: {
        requestId: randomUUID(),
        apiKeyId: `key_${i % 97}`,
        model: 'sim/echo-1',
        inputTokens: 1200 + (i % 300),
        outputTokens: 350 + (i % 120),
        status: 'succeeded',
        cost: `0.000${(i % 900) + 100}`,
        priceVersion: 'v1',
        startedAt: new Date(1_790_000_000_000 + i).toISOString(),
        completedAt: new Date(1_790_000_000_500 + i).toISOString(),
      },
    });
    return { topic, key: accountId, id, value };
  });
}

const decode: Decoder<BenchEvent> = (value) => {
  try {
    return { ok: true, message: JSON.parse(value.toString('utf8')) as BenchEvent };
  } catch {
    return { ok: false, reason: 'invalid_json' };
  }
};

/** The "trivial effect" of the consume benchmarks: one row per message. */
async function applyEffect(
  client: pg.PoolClient,
  schema: string,
  table: string,
  m: BenchEvent,
): Promise<void> {
  await client.query(
    `INSERT INTO ${schema}.${table} (message_id, account_id, cost) VALUES ($1, $2, $3)`,
    [m.id, m.accountId, m.data.cost],
  );
}

async function countRows(pool: pg.Pool, table: string): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
  return rows[0]?.n ?? 0;
}

/**
 * The schema is fresh and private to this run, so the migrations are applied directly (as
 * `migrate()` of @billing/service-kit would, minus its bookkeeping) without loading NestJS.
 */
async function applyMigrations(
  pool: pg.Pool,
  schema: string,
  migrations: readonly { readonly sql: string }[],
): Promise<void> {
  const client = await pool.connect();
  try {
    for (const m of migrations) {
      await client.query('BEGIN');
      await client.query(`SET LOCAL search_path TO ${schema}, public`);
      await client.query(m.sql);
      await client.query('COMMIT');
    }
  } finally {
    client.release();
  }
}

async function enqueueAll(
  pool: pg.Pool,
  schema: string,
  messages: readonly OutboxMessage[],
): Promise<void> {
  const client = await pool.connect();
  try {
    for (let i = 0; i < messages.length; i += ENQUEUE_TX) {
      await client.query('BEGIN');
      await enqueue(client, messages.slice(i, i + ENQUEUE_TX), schema);
      await client.query('COMMIT');
    }
  } finally {
    client.release();
  }
}

async function rawProduce(
  kafka: KafkaClient,
  topic: string,
  messages: readonly OutboxMessage[],
): Promise<number> {
  const producer = createKeyedProducer(kafka, {
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    retry: { retries: 8 },
  });
  await producer.connect();
  try {
    const started = performance.now();
    for (let i = 0; i < messages.length; i += RELAY_BATCH) {
      const batch = messages.slice(i, i + RELAY_BATCH).map((m) => ({ key: m.key, value: m.value }));
      await producer.sendBatch({ acks: -1, topicMessages: [{ topic, messages: batch }] });
    }
    return performance.now() - started;
  } finally {
    await producer.disconnect();
  }
}

/** Raw kafkajs consumer; with `db`, it applies the same effect rows, without inbox or dedupe. */
async function rawConsume(
  kafka: KafkaClient,
  topic: string,
  db?: { pool: pg.Pool; schema: string },
): Promise<number> {
  return withBenchConsumer(kafka, 'bench_raw', topic, async ({ consumer }) => {
    const started = performance.now();
    let consumed = 0;
    await consumer.run({
      partitionsConsumedConcurrently: BENCH_CONCURRENCY,
      eachBatch: async ({ batch }) => {
        if (db) {
          const client = await db.pool.connect();
          try {
            await client.query('BEGIN');
            for (const m of batch.messages) {
              const event = JSON.parse(m.value?.toString() ?? '{}') as BenchEvent;
              await applyEffect(client, db.schema, 'plain_effects', event);
            }
            await client.query('COMMIT');
          } finally {
            client.release();
          }
        }
        consumed += batch.messages.length;
      },
    });
    await until(() => consumed >= MESSAGES, 90_000, 20);
    return performance.now() - started;
  });
}

export async function runMessagingBench(): Promise<BenchRow[]> {
  const db = await createTestSchema('bench_msg', 20);
  const topic = uniqueName('bench_msg').toLowerCase();
  const rawTopic = `${topic}_raw`;
  const { kafka, remove: removeTopics } = await createBenchTopics(
    [topic, `${topic}.dlq`, rawTopic],
    BENCH_PARTITIONS,
  );
  const transport = new KafkaTransport({ kafka, logger: silentLogger });
  const rows: BenchRow[] = [];
  try {
    await applyMigrations(db.pool, db.schema, [...messagingMigrations, EFFECTS_TABLES]);
    const messages = benchMessages(topic, MESSAGES);

    // 1. Enqueue: what a service pays to write its messages inside its own transactions.
    let started = performance.now();
    await enqueueAll(db.pool, db.schema, messages);
    rows.push({
      name: `outbox enqueue (${ENQUEUE_TX} rows per transaction)`,
      value: perSecond(MESSAGES, performance.now() - started),
      unit: 'events/s',
    });

    // 2. Relay the backlog to Kafka, against a raw producer sending the same messages.
    const relay = new OutboxRelay({
      pool: db.pool,
      schema: db.schema,
      publisher: transport,
      batchSize: RELAY_BATCH,
      logger: silentLogger,
    });
    started = performance.now();
    relay.start();
    await until(() => relay.stats.published >= MESSAGES, 90_000, 20);
    const relayMs = performance.now() - started;
    await relay.stop();
    const unpublished = await countUnpublished(db.pool, db.schema);
    if (unpublished !== 0) throw new Error(`${unpublished} outbox rows left unpublished`);
    const rawProduceMs = await rawProduce(kafka, rawTopic, messages);
    rows.push({
      name: 'publish: outbox → relay → Kafka',
      value: perSecond(MESSAGES, relayMs),
      unit: 'events/s',
      baseline: perSecond(MESSAGES, rawProduceMs),
      note: `batches of ${RELAY_BATCH}; baseline: raw kafkajs sendBatch, same producer settings`,
    });

    // 3. Consume into PostgreSQL through the inbox, against raw consumers.
    // Both inbox consumers (Kafka here, in-process in 4.) apply the same effects the same way.
    const inbox = {
      pool: db.pool,
      schema: db.schema,
      decode,
      messageId: (m: BenchEvent) => m.id,
      handler: (m: BenchEvent, c: pg.PoolClient) => applyEffect(c, db.schema, 'effects', m),
      chunkSize: CHUNK,
      logger: silentLogger,
    };
    let applied = 0;
    const consumer = new IdempotentConsumer<BenchEvent>({
      kafka,
      consumerName: uniqueName('bench_idem'),
      topics: [topic],
      ...inbox,
      ...benchKafkaTuning(BENCH_CONCURRENCY),
      // Counted in memory (as the baselines do), so polling the database costs nothing.
      hooks: { afterCommitBeforeOffset: (records) => void (applied += records.length) },
    });
    started = performance.now();
    await consumer.start();
    await until(() => applied >= MESSAGES, 90_000, 20);
    const consumeMs = performance.now() - started;
    await consumer.stop();
    const effects = await countRows(db.pool, `${db.schema}.effects`);
    if (effects !== MESSAGES) throw new Error(`expected ${MESSAGES} effect rows, found ${effects}`);
    const plainMs = await rawConsume(kafka, topic, db);
    const readOnlyMs = await rawConsume(kafka, topic);
    rows.push({
      name: 'consume: Kafka → idempotent consumer → PostgreSQL',
      value: perSecond(MESSAGES, consumeMs),
      unit: 'events/s',
      baseline: perSecond(MESSAGES, plainMs),
      note: `inbox + 1 effect row/msg, ${CHUNK}/tx; baseline: raw eachBatch, same rows, no inbox, auto-commit`,
    });
    rows.push({
      name: 'consume: raw kafkajs consumer, no database',
      value: perSecond(MESSAGES, readOnlyMs),
      unit: 'events/s',
      note: 'the ceiling for reading these messages with kafkajs on this machine',
    });

    // 4. The standalone path: outbox → relay → in-process transport → inbox consumer.
    const inProcess = new InProcessTransport({ lanes: 4, logger: silentLogger });
    const localTopic = 'bench.local';
    const local = benchMessages(localTopic, MESSAGES / 2);
    await db.pool.query(`TRUNCATE ${db.schema}.effects`);
    const subscription = await inProcess.subscribe<BenchEvent>({
      consumerName: 'bench_local',
      topics: [localTopic],
      ...inbox,
    });
    await enqueueAll(db.pool, db.schema, local);
    const localRelay = new OutboxRelay({
      pool: db.pool,
      schema: db.schema,
      publisher: inProcess,
      batchSize: RELAY_BATCH * 4,
      logger: silentLogger,
    });
    started = performance.now();
    localRelay.start();
    await until(() => localRelay.stats.published >= local.length, 90_000, 20);
    const localMs = performance.now() - started;
    await localRelay.stop();
    await subscription.stop();
    await inProcess.close();
    rows.push({
      name: 'standalone: outbox → relay → in-process → inbox',
      value: perSecond(local.length, localMs),
      unit: 'events/s',
      note: 'end to end: publish resolves once the effects are committed',
    });
    return rows;
  } finally {
    await transport.close();
    await removeTopics();
    await db.drop();
  }
}

export const part: BenchPart = {
  title: 'messaging (outbox relay, idempotent consumer; PostgreSQL + Kafka)',
  run: runMessagingBench,
};
