import { randomUUID } from 'node:crypto';
import {
  createEvent,
  decodeEvent,
  encodeEvent,
  type UsageObserved,
  type UsageObservedData,
  type UsageRecorded,
} from '@billing/contracts';
import { configureApp } from '@billing/service-kit';
import {
  createTestTopics,
  deleteTestTopics,
  testDatabaseUrl,
  testKafka,
  testKafkaBrokers,
  uniqueName,
} from '@billing/testing';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { SignJWT } from 'jose';
import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import pg from 'pg';
import { MeteringModule } from '../metering.module.js';
import type { MeteringModuleOptions, MeteringTopics } from '../metering.options.js';
import { MeteringMessaging } from '../messaging/metering-messaging.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
export const CONSOLE_JWT_SECRET = 'test-console-jwt-secret-0123456789abcdef';

export interface HttpAnswer<T = unknown> {
  readonly status: number;
  readonly body: T;
}

/**
 * One metering application for one integration test file, wired as production wires it (the
 * same module, Kafka transport, outbox relay and consumer), on a fresh schema of the test database
 * and, unless told otherwise, topics of its own on the real broker, listening on a free port.
 */
export interface MeteringTestApp {
  readonly app: INestApplication;
  readonly baseUrl: string;
  readonly schema: string;
  readonly topics: MeteringTopics;
  readonly kafka: Kafka;
  /** A pool on the test database for assertions (not the application's). */
  readonly db: pg.Pool;
  tokenFor(accountId: string): Promise<string>;
  /** Publishes UsageObserved to the consumed topic, keyed by account, in order. */
  observe(events: readonly UsageObserved[]): Promise<void>;
  /** Publishes raw bytes to a topic. */
  publishRaw(topic: string, key: string, value: string): Promise<void>;
  http<T = unknown>(
    method: string,
    path: string,
    init?: { token?: string; body?: unknown },
  ): Promise<HttpAnswer<T>>;
  close(): Promise<void>;
}

export const FAST_CONSUMER = {
  sessionTimeoutMs: 6_000,
  rebalanceTimeoutMs: 10_000,
  heartbeatIntervalMs: 300,
  maxWaitTimeMs: 100,
  partitionsConsumedConcurrently: 3,
  restartBackoff: { initialMs: 100, maxMs: 1_000 },
};

export async function createMeteringTestApp(
  overrides: Partial<MeteringModuleOptions> = {},
): Promise<MeteringTestApp> {
  const schema = uniqueName('metering').toLowerCase();
  const suffix = schema.slice('metering_'.length);
  const topics: MeteringTopics = {
    usageObserved: overrides.topics?.usageObserved ?? `usage.observed.v1.${suffix}`,
    usageRecorded: overrides.topics?.usageRecorded ?? `usage.recorded.v1.${suffix}`,
  };
  // Topics of the contract exist already; the test creates (and deletes) only its own.
  const ownTopics = [
    topics.usageObserved,
    `${topics.usageObserved}.dlq`,
    topics.usageRecorded,
  ].filter((topic) => !/^[a-z.]+\.v1(\.dlq)?$/.test(topic));
  const kafka = testKafka();
  if (ownTopics.length > 0) await createTestTopics(kafka, ownTopics);

  const moduleRef = await Test.createTestingModule({
    imports: [
      MeteringModule.forRoot({
        databaseUrl: testDatabaseUrl(),
        adminToken: ADMIN_TOKEN,
        consoleJwtSecret: CONSOLE_JWT_SECRET,
        schema,
        kafkaBrokers: testKafkaBrokers(),
        usageConsumerName: `metering-usage-${suffix}`,
        kafkaTuning: FAST_CONSUMER,
        catalogRefreshMs: 200,
        ...overrides,
        topics,
      }),
    ],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: ['error', 'warn'] });
  configureApp(app, 'metering');
  await app.listen(0, '127.0.0.1');
  const baseUrl = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  await app.get(MeteringMessaging).ready;

  const db = new pg.Pool({ connectionString: testDatabaseUrl(), max: 5 });
  let producer: Producer | undefined;
  const producerReady = async (): Promise<Producer> => {
    if (producer === undefined) {
      producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
      await producer.connect();
    }
    return producer;
  };

  return {
    app,
    baseUrl,
    schema,
    topics,
    kafka,
    db,
    tokenFor: (accountId) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(accountId)
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode(CONSOLE_JWT_SECRET)),
    async observe(events) {
      const p = await producerReady();
      await p.send({
        topic: topics.usageObserved,
        messages: events.map((e) => ({ key: e.accountId, value: encodeEvent(e) })),
      });
    },
    async publishRaw(topic, key, value) {
      const p = await producerReady();
      await p.send({ topic, messages: [{ key, value }] });
    },
    async http<T>(method: string, path: string, init: { token?: string; body?: unknown } = {}) {
      const res = await fetch(`${baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${init.token ?? ADMIN_TOKEN}`,
          ...(init.body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
    },
    async close() {
      await producer?.disconnect();
      await app.close();
      await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await db.end();
      if (ownTopics.length > 0) await deleteTestTopics(kafka, ownTopics).catch(() => undefined);
    },
  };
}

/** A unique account id, so that tests sharing a topic never see each other's events. */
export const testAccount = (label = 'acct'): string => uniqueName(label);

/** A UsageObserved as the gateway publishes it; token counts and times may be overridden. */
export function usageObserved(
  accountId: string,
  data: Partial<UsageObservedData> = {},
  id: string = randomUUID(),
): UsageObserved {
  return createEvent({
    type: 'UsageObserved',
    id,
    accountId,
    source: 'gateway',
    occurredAt: new Date(),
    data: {
      requestId: `req_${randomUUID()}`,
      model: 'sim/echo-1',
      inputTokens: 1000,
      outputTokens: 500,
      status: 'succeeded',
      startedAt: '2026-06-01T12:00:00.000Z',
      completedAt: '2026-06-01T12:00:01.500Z',
      ...data,
    },
  });
}

/** The UsageRecorded written to the outbox for an account, in outbox order. */
export async function recordedInOutbox(
  t: MeteringTestApp,
  accountId: string,
): Promise<UsageRecorded[]> {
  const { rows } = await t.db.query<{ value: string }>(
    `SELECT value FROM ${t.schema}.outbox WHERE message_key = $1 ORDER BY id`,
    [accountId],
  );
  return rows.flatMap((r) => {
    const decoded = decodeEvent(r.value, { topic: 'usage.recorded.v1' });
    return decoded.ok && decoded.event.type === 'UsageRecorded' ? [decoded.event] : [];
  });
}

export interface TopicRecord {
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: Record<string, string>;
}

/** Reads a topic from the beginning with a fresh group until `until(records)` holds. */
export async function readTopicUntil(
  kafka: Kafka,
  topic: string,
  until: (records: readonly TopicRecord[]) => boolean,
  timeoutMs = 20_000,
): Promise<TopicRecord[]> {
  const consumer = kafka.consumer({
    groupId: uniqueName('reader'),
    maxWaitTimeInMs: 100,
    sessionTimeout: 6_000,
    heartbeatInterval: 300,
  });
  const records: TopicRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    let done: () => void = () => undefined;
    const satisfied = new Promise<void>((resolve) => (done = resolve));
    await consumer.run({
      eachMessage: ({ message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) {
          const last = Array.isArray(v) ? v[v.length - 1] : v;
          if (last !== undefined) headers[k] = last.toString();
        }
        records.push({
          key: message.key?.toString() ?? null,
          value: message.value?.toString() ?? null,
          headers,
        });
        if (until(records)) done();
        return Promise.resolve();
      },
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      satisfied,
      new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
    return records;
  } finally {
    await consumer.disconnect();
  }
}
