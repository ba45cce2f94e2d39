import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
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

/**
 * The SASL credentials of a test client, in the shape of `KafkaSecurity` of @billing/messaging
 * (which this library cannot import: its tests import this one).
 */
export interface TestKafkaSecurity {
  readonly sasl?: {
    readonly mechanism: 'scram-sha-256' | 'scram-sha-512';
    readonly username: string;
    readonly password: string;
  };
}

let principals: ReadonlyMap<string, string> | undefined;

/**
 * The principals of the local broker that `npm run infra:up` starts, and their development
 * passwords, as deploy/local/kafka/principals.txt lists them (`admin` is the super user; each
 * service has its own, limited by deploy/local/kafka/acls.txt).
 */
export function localKafkaPrincipals(): ReadonlyMap<string, string> {
  principals ??= new Map(
    readFileSync(new URL('../../../deploy/local/kafka/principals.txt', import.meta.url), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((line) => {
        const [name = '', password = ''] = line.split(/\s+/);
        return [name, password] as const;
      }),
  );
  return principals;
}

function localPrincipal(name: string): TestKafkaSecurity {
  const password = localKafkaPrincipals().get(name);
  if (password === undefined) throw new Error(`no local Kafka principal ${name}`);
  return { sasl: { mechanism: 'scram-sha-512', username: name, password } };
}

/**
 * How tests authenticate to the broker. By default as the super user `admin` of the local broker
 * (tests create and delete topics of their own, and use groups of any name). With
 * KAFKA_SASL_MECHANISM set, as the environment says (the variables the services read);
 * `KAFKA_SASL_MECHANISM=none` for a broker without authentication.
 */
export function testKafkaSecurity(): TestKafkaSecurity {
  const mechanism = process.env.KAFKA_SASL_MECHANISM;
  if (mechanism === undefined || mechanism === '') return localPrincipal('admin');
  if (mechanism === 'none') return {};
  const username = process.env.KAFKA_SASL_USERNAME;
  const password = process.env.KAFKA_SASL_PASSWORD;
  if ((mechanism !== 'scram-sha-256' && mechanism !== 'scram-sha-512') || !username || !password) {
    throw new Error(
      'KAFKA_SASL_MECHANISM must be scram-sha-256, scram-sha-512 or none, with KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD',
    );
  }
  return { sasl: { mechanism, username, password } };
}

/**
 * The Kafka variables of a service process started by a test: the brokers and, on the local
 * broker, the service's own principal, so that the broker's ACLs apply to it as in production.
 * With KAFKA_SASL_MECHANISM set (another broker), the environment's credentials are passed on.
 */
export function testKafkaServiceEnv(service: string): Record<string, string> {
  const mechanism = process.env.KAFKA_SASL_MECHANISM;
  const security =
    mechanism === undefined || mechanism === '' ? localPrincipal(service) : testKafkaSecurity();
  return {
    KAFKA_BROKERS: testKafkaBrokers().join(','),
    ...(security.sasl === undefined
      ? {}
      : {
          KAFKA_SASL_MECHANISM: security.sasl.mechanism,
          KAFKA_SASL_USERNAME: security.sasl.username,
          KAFKA_SASL_PASSWORD: security.sasl.password,
        }),
  };
}

/** kafkajs's `sasl` setting for `security`. */
export function testKafkaSaslConfig(security: TestKafkaSecurity): Pick<KafkaConfig, 'sasl'> {
  const { sasl } = security;
  if (sasl === undefined) return {};
  const { username, password } = sasl;
  return {
    sasl:
      sasl.mechanism === 'scram-sha-256'
        ? { mechanism: 'scram-sha-256', username, password }
        : { mechanism: 'scram-sha-512', username, password },
  };
}

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

/**
 * What the helpers here need of a Kafka client, so they take `testKafka()` as well as the
 * `KafkaClient` of @billing/messaging (which this library cannot import: its tests import this).
 */
export type TestKafkaClient = Pick<Kafka, 'admin' | 'producer' | 'consumer'>;

/** A client of the test broker, as `testKafkaSecurity()` (by default the local super user). */
export function testKafka(
  clientId = uniqueName('test'),
  security: TestKafkaSecurity = testKafkaSecurity(),
): Kafka {
  return new Kafka({
    clientId,
    brokers: testKafkaBrokers(),
    logLevel: logLevel.NOTHING,
    ...testKafkaSaslConfig(security),
  });
}

/** Creates topics for one test file (auto-creation is off on our broker, as in production). */
export async function createTestTopics(
  kafka: TestKafkaClient,
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

export async function deleteTestTopics(kafka: TestKafkaClient, topics: string[]): Promise<void> {
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
