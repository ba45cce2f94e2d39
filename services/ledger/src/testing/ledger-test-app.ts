import { randomUUID } from 'node:crypto';
import {
  createEvent,
  encodeEvent,
  type ContractEvent,
  type DataOf,
  type EventOf,
  type EventType,
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
import { ExpiryScheduler } from '../commands/expire-due/expiry-scheduler.js';
import { AccountStateCache } from '../infrastructure/account-state-cache.js';
import type { LedgerModuleOptions, LedgerTopics } from '../ledger.options.js';
import { LedgerModule } from '../ledger.module.js';
import { LedgerMessaging } from '../messaging/ledger-messaging.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
export const CONSOLE_JWT_SECRET = 'test-console-jwt-secret-0123456789abcdef';

export interface HttpAnswer<T = unknown> {
  readonly status: number;
  readonly body: T;
}

/**
 * One ledger application for one integration test file, exactly as production wires it (the
 * same module, the same Kafka consumers, outbox relay and scheduler), on a fresh schema of the test
 * database and topics of its own on the real broker, listening on a free port.
 */
export interface LedgerTestApp {
  readonly app: INestApplication;
  readonly baseUrl: string;
  readonly schema: string;
  readonly topics: LedgerTopics;
  readonly kafka: Kafka;
  /** A pool on the test database for assertions (not the application's). */
  readonly db: pg.Pool;
  readonly scheduler: ExpiryScheduler;
  readonly cache: AccountStateCache;
  /** A console token for `accountId` (HS256, `sub`, `exp`), as the console would hold. */
  tokenFor(accountId: string): Promise<string>;
  /** Publishes contract events to a topic, keyed by account, in order. */
  publish(topic: string, events: readonly ContractEvent[]): Promise<void>;
  /** Publishes raw bytes (poison messages). */
  publishRaw(topic: string, key: string, value: string): Promise<void>;
  http<T = unknown>(
    method: string,
    path: string,
    init?: { token?: string; body?: unknown },
  ): Promise<HttpAnswer<T>>;
  close(): Promise<void>;
}

/** Consumer timings for a test broker (group.initial.rebalance.delay.ms=0, 6 s minimum session). */
const FAST_CONSUMER = {
  sessionTimeoutMs: 6_000,
  rebalanceTimeoutMs: 10_000,
  heartbeatIntervalMs: 300,
  maxWaitTimeMs: 100,
  partitionsConsumedConcurrently: 3,
  restartBackoff: { initialMs: 100, maxMs: 1_000 },
};

export async function createLedgerTestApp(
  overrides: Partial<LedgerModuleOptions> = {},
): Promise<LedgerTestApp> {
  const schema = uniqueName('ledger').toLowerCase();
  const suffix = schema.slice('ledger_'.length);
  const topics: LedgerTopics = {
    payments: `payments.v1.${suffix}`,
    usageRecorded: `usage.recorded.v1.${suffix}`,
    ledger: `ledger.v1.${suffix}`,
  };
  const allTopics = [
    topics.payments,
    topics.usageRecorded,
    topics.ledger,
    `${topics.payments}.dlq`,
    `${topics.usageRecorded}.dlq`,
  ];
  const kafka = testKafka();
  await createTestTopics(kafka, allTopics);

  const moduleRef = await Test.createTestingModule({
    imports: [
      LedgerModule.forRoot({
        databaseUrl: testDatabaseUrl(),
        adminToken: ADMIN_TOKEN,
        consoleJwtSecret: CONSOLE_JWT_SECRET,
        schema,
        topics,
        kafkaBrokers: testKafkaBrokers(),
        consumerGroupPrefix: `ledger-${suffix}`,
        kafkaTuning: FAST_CONSUMER,
        schedulerIntervalMs: 200,
        relayPollIntervalMs: 100,
        ...overrides,
      }),
    ],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: ['error', 'warn'] });
  configureApp(app, 'ledger');
  await app.listen(0, '127.0.0.1');
  const baseUrl = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const messaging = app.get(LedgerMessaging);
  await messaging.ready;

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
    scheduler: app.get(ExpiryScheduler),
    cache: app.get(AccountStateCache),
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
      await deleteTestTopics(kafka, allTopics).catch(() => undefined);
    },
  };
}

/** A contract event with a fresh id, as payments or metering would publish it. */
export function contractEvent<T extends EventType>(
  type: T,
  accountId: string,
  data: DataOf<T>,
  extra: { id?: string; occurredAt?: string } = {},
): EventOf<T> {
  return createEvent({
    type,
    id: extra.id ?? randomUUID(),
    accountId,
    source: type === 'UsageRecorded' ? 'metering' : 'payments',
    occurredAt: extra.occurredAt ?? new Date().toISOString(),
    data,
  });
}

let sequence = 0;

/** A UsageRecorded for `cost` USD, completed now unless told otherwise. */
export function usageRecorded(
  accountId: string,
  cost: string,
  o: {
    requestId?: string;
    apiKeyId?: string;
    model?: string;
    holdId?: string;
    completedAt?: string;
    inputTokens?: number;
    outputTokens?: number;
  } = {},
): EventOf<'UsageRecorded'> {
  const completedAt = o.completedAt ?? new Date().toISOString();
  return contractEvent('UsageRecorded', accountId, {
    requestId: o.requestId ?? `req_${++sequence}_${randomUUID().slice(0, 8)}`,
    ...(o.apiKeyId !== undefined && { apiKeyId: o.apiKeyId }),
    model: o.model ?? 'sim/echo-1',
    inputTokens: o.inputTokens ?? 100,
    outputTokens: o.outputTokens ?? 50,
    status: 'succeeded',
    ...(o.holdId !== undefined && { holdId: o.holdId }),
    startedAt: completedAt,
    completedAt,
    cost,
    priceVersion: 'v1',
  });
}

export const topUpSettled = (
  accountId: string,
  topUpId: string,
  amount: string,
): EventOf<'TopUpSettled'> =>
  contractEvent('TopUpSettled', accountId, {
    topUpId,
    amount,
    method: 'card',
    trigger: 'manual',
    paymentReference: `pi_${topUpId}`,
    invoiceId: `inv_${topUpId}`,
  });

export const bonusGranted = (
  accountId: string,
  grantId: string,
  amount: string,
  o: { topUpId?: string; expiresAt?: string } = {},
): EventOf<'BonusGranted'> =>
  contractEvent('BonusGranted', accountId, {
    grantId,
    amount,
    reason: 'top_up_bonus',
    ...(o.topUpId !== undefined && { topUpId: o.topUpId }),
    ...(o.expiresAt !== undefined && { expiresAt: o.expiresAt }),
  });

export interface TopicRecord {
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: Record<string, string>;
}

/** Reads a topic from the beginning until `until(records)` holds (or the time runs out). */
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
