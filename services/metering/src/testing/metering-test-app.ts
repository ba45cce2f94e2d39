import { randomUUID } from 'node:crypto';
import {
  createEvent,
  decodeEvent,
  type UsageObserved,
  type UsageObservedData,
  type UsageRecorded,
} from '@billing/contracts';
import { type KafkaClient } from '@billing/messaging';
import { configureApp } from '@billing/service-kit';
import {
  consoleToken,
  FAST_CONSUMER_TUNING,
  startTestApp,
  testDatabaseUrl,
  testKafka,
  testKafkaBrokers,
  testKafkaSecurity,
  uniqueName,
  type TestApp,
} from '@billing/testing';
import { MeteringModule } from '../metering.module.js';
import type { MeteringModuleOptions, MeteringTopics } from '../metering.options.js';
import { MeteringMessaging } from '../messaging/metering-messaging.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
/** The read-only operator's token: reads what the admin token reads, changes nothing. */
export const AUDITOR_TOKEN = 'test-auditor-token-0123456789';
export const CONSOLE_JWT_SECRET = 'test-console-jwt-secret-0123456789abcdef';

/**
 * One metering application for one integration test file, wired as production wires it (the
 * same module, Kafka transport, outbox relay and consumer), on a fresh schema of the test database
 * and, unless told otherwise, topics of its own on the real broker, listening on a free port.
 */
export interface MeteringTestApp extends TestApp {
  readonly topics: MeteringTopics;
  readonly kafka: KafkaClient;
  tokenFor(accountId: string): Promise<string>;
  /** Publishes UsageObserved to the consumed topic, keyed by account, in order. */
  observe(events: readonly UsageObserved[]): Promise<void>;
  /** Publishes raw bytes to a topic. */
  publishRaw(topic: string, key: string, value: string): Promise<void>;
}

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
  const testApp = await startTestApp(
    MeteringModule.forRoot({
      databaseUrl: testDatabaseUrl(),
      adminToken: ADMIN_TOKEN,
      auditorToken: AUDITOR_TOKEN,
      consoleJwtSecret: CONSOLE_JWT_SECRET,
      schema,
      kafkaBrokers: testKafkaBrokers(),
      kafkaSecurity: testKafkaSecurity(),
      usageConsumerName: `metering-usage-${suffix}`,
      kafkaTuning: FAST_CONSUMER_TUNING,
      catalogRefreshMs: 200,
      // The AI insurance runs when a test asks (InsuranceScheduler.runOnce), not on a timer.
      insurance: { evaluateEveryMs: 0 },
      ...overrides,
      topics,
    }),
    {
      configure: (app) => configureApp(app, 'metering'),
      token: ADMIN_TOKEN,
      schema,
      kafka,
      topics: ownTopics,
    },
  );
  const { app, producer } = testApp;
  await app.get(MeteringMessaging).ready;
  return {
    ...testApp,
    topics,
    kafka,
    tokenFor: (accountId) => consoleToken(CONSOLE_JWT_SECRET, accountId),
    observe: (events) => producer.sendEvents(topics.usageObserved, events),
    publishRaw: (topic, key, value) => producer.send(topic, [{ key, value }]),
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
