import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';

/**
 * Integration tests run against the real PostgreSQL and Kafka that `npm run infra:up` starts.
 * Each test file gets its own schema and its own topics, so files can run in any order and
 * leave nothing behind that another file could trip over.
 */
export const testDatabaseUrl = (): string =>
  process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/billing_test';

export const testKafkaBrokers = (): string[] =>
  (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');

export function uniqueName(prefix: string): string {
  return `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
}

/**
 * A pool for a test's own queries that survives a database restart: an `error` event without a
 * listener would be thrown by Node and end the whole test run, so the pool and each of its
 * connections get one (the query in flight still rejects, and the next checkout reconnects).
 * The services' own pools get the same from `createPool` of @billing/service-kit.
 */
export function testPool(config: pg.PoolConfig): pg.Pool {
  const pool = new pg.Pool(config);
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

export interface TestSchema {
  schema: string;
  pool: pg.Pool;
  drop(): Promise<void>;
}

/** A fresh schema on the test database with a pool whose search_path points at it. */
export async function createTestSchema(prefix = 't', max = 20): Promise<TestSchema> {
  const schema = uniqueName(prefix).toLowerCase();
  const admin = new pg.Client({ connectionString: testDatabaseUrl() });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const pool = testPool({
    connectionString: testDatabaseUrl(),
    max,
    options: `-c search_path=${schema},public`,
  });
  return {
    schema,
    pool,
    async drop() {
      await pool.end();
      const c = new pg.Client({ connectionString: testDatabaseUrl() });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
    },
  };
}

export function testKafka(clientId = uniqueName('test')): Kafka {
  return new Kafka({ clientId, brokers: testKafkaBrokers(), logLevel: logLevel.NOTHING });
}

/** Creates topics for one test file (auto-creation is off on our broker, as in production). */
export async function createTestTopics(
  kafka: Kafka,
  topics: string[],
  numPartitions = 3,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: topics.map((topic) => ({ topic, numPartitions, replicationFactor: 1 })),
    });
  } finally {
    await admin.disconnect();
  }
}

export async function deleteTestTopics(kafka: Kafka, topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics });
  } finally {
    await admin.disconnect();
  }
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 15_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(
    `condition not met within ${timeoutMs} ms${lastError instanceof Error ? `: ${lastError.message}` : ''}`,
    {
      cause: lastError,
    },
  );
}
