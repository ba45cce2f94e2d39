import { randomUUID } from 'node:crypto';
import {
  createEvent,
  encodeEvent,
  type ContractEvent,
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
import type { INestApplication, LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { SignJWT } from 'jose';
import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import pg from 'pg';
import { KeysModule } from '../keys.module.js';
import type { KeysModuleOptions, KeysTopics } from '../keys.options.js';
import { KeysMessaging } from '../messaging/keys-messaging.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
export const CONSOLE_JWT_SECRET = 'test-console-jwt-secret-0123456789abcdef';
export const API_KEY_PEPPER = 'test-api-key-pepper-0123456789abcdef0123';
export const API_KEY_ENCRYPTION_KEY =
  '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';

export interface HttpAnswer<T = unknown> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

/** Every line the application logged, at every level, so tests can look for secrets in them. */
export class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];
  private record(level: string, message: unknown, rest: unknown[]): void {
    this.lines.push(
      `${level} ${[message, ...rest].map((m) => (typeof m === 'string' ? m : JSON.stringify(m))).join(' ')}`,
    );
    if (level === 'error') console.error(message, ...rest);
  }
  log(message: unknown, ...rest: unknown[]): void {
    this.record('log', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.record('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.record('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.record('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.record('verbose', message, rest);
  }
}

/**
 * One keys application for one integration test file, wired exactly as production wires it (the
 * same module, Kafka transport, outbox relay and consumer), on a fresh schema of the test database,
 * listening on a free port. It publishes to the real `keys.v1` (so tests can see what the gateway
 * would see) and consumes a UsageRecorded topic of its own, so that test usage never reaches the
 * ledger's consumers of the real `usage.recorded.v1`.
 */
export interface KeysTestApp {
  readonly app: INestApplication;
  readonly baseUrl: string;
  readonly schema: string;
  readonly topics: KeysTopics;
  readonly kafka: Kafka;
  /** A pool on the test database for assertions (not the application's). */
  readonly db: pg.Pool;
  readonly logs: CapturingLogger;
  /** A console token for `accountId` (HS256, `sub`, `exp`), as the console would hold. */
  tokenFor(accountId: string): Promise<string>;
  /** Publishes events to a topic, keyed by account, in order. */
  publish(topic: string, events: readonly ContractEvent[]): Promise<void>;
  http<T = unknown>(
    method: string,
    path: string,
    init?: { token?: string; body?: unknown },
  ): Promise<HttpAnswer<T>>;
  close(): Promise<void>;
}

/** Consumer timings for a test broker (group.initial.rebalance.delay.ms=0, 6 s minimum session). */
export const FAST_CONSUMER = {
  sessionTimeoutMs: 6_000,
  rebalanceTimeoutMs: 10_000,
  heartbeatIntervalMs: 300,
  maxWaitTimeMs: 100,
  partitionsConsumedConcurrently: 3,
  restartBackoff: { initialMs: 100, maxMs: 1_000 },
};

export async function createKeysTestApp(
  overrides: Partial<KeysModuleOptions> = {},
): Promise<KeysTestApp> {
  const schema = uniqueName('keys').toLowerCase();
  const suffix = schema.slice('keys_'.length);
  const topics: KeysTopics = {
    keys: 'keys.v1',
    usageRecorded: `usage.recorded.v1.${suffix}`,
  };
  const ownTopics = [topics.usageRecorded, `${topics.usageRecorded}.dlq`];
  const kafka = testKafka();
  await createTestTopics(kafka, ownTopics);

  const moduleRef = await Test.createTestingModule({
    imports: [
      KeysModule.forRoot({
        databaseUrl: testDatabaseUrl(),
        adminToken: ADMIN_TOKEN,
        consoleJwtSecret: CONSOLE_JWT_SECRET,
        apiKeyPepper: API_KEY_PEPPER,
        apiKeyEncryptionKey: API_KEY_ENCRYPTION_KEY,
        schema,
        topics,
        kafkaBrokers: testKafkaBrokers(),
        usageConsumerName: `keys-usage-${suffix}`,
        kafkaTuning: FAST_CONSUMER,
        ...overrides,
      }),
    ],
  }).compile();
  const logs = new CapturingLogger();
  const app = moduleRef.createNestApplication({ logger: logs });
  configureApp(app, 'keys');
  await app.listen(0, '127.0.0.1');
  const baseUrl = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  await app.get(KeysMessaging).ready;

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
    logs,
    tokenFor: (accountId) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(accountId)
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode(CONSOLE_JWT_SECRET)),
    async publish(topic, events) {
      const p = await producerReady();
      await p.send({
        topic,
        messages: events.map((e) => ({ key: e.accountId, value: encodeEvent(e) })),
      });
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
      return {
        status: res.status,
        body: (text ? JSON.parse(text) : undefined) as T,
        headers: res.headers,
      };
    },
    async close() {
      await producer?.disconnect();
      await app.close();
      await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await db.end();
      await deleteTestTopics(kafka, ownTopics).catch(() => undefined);
    },
  };
}

/** A unique account id, so that tests sharing the real `keys.v1` never see each other's events. */
export const testAccount = (label = 'acct'): string => uniqueName(label);

/** A UsageRecorded as metering publishes it. */
export function usageRecorded(
  accountId: string,
  o: {
    apiKeyId?: string;
    cost: string;
    requestId?: string;
    completedAt?: string;
    model?: string;
    id?: string;
  },
): UsageRecorded {
  const completedAt = o.completedAt ?? new Date().toISOString();
  return createEvent({
    type: 'UsageRecorded',
    id: o.id ?? randomUUID(),
    accountId,
    source: 'metering',
    occurredAt: new Date(),
    data: {
      requestId: o.requestId ?? `req_${randomUUID()}`,
      ...(o.apiKeyId !== undefined && { apiKeyId: o.apiKeyId }),
      model: o.model ?? 'sim/echo-1',
      inputTokens: 120,
      outputTokens: 30,
      status: 'succeeded',
      startedAt: new Date(Date.parse(completedAt) - 1500).toISOString(),
      completedAt,
      cost: o.cost,
      priceVersion: 'sim/echo-1@2025-01-01T00:00:00.000Z',
    },
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
