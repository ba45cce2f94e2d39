import { randomUUID } from 'node:crypto';
import { createEvent, type ContractEvent, type UsageRecorded } from '@billing/contracts';
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
import type { LoggerService } from '@nestjs/common';
import { KeysModule } from '../keys.module.js';
import type { KeysModuleOptions, KeysTopics } from '../keys.options.js';
import { KeysMessaging } from '../messaging/keys-messaging.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
/** The read-only operator's token: reads what the admin token reads, changes nothing. */
export const AUDITOR_TOKEN = 'test-auditor-token-0123456789';
/** The gateway's service credential, which the keys service accepts for key lookups. */
export const GATEWAY_SERVICE_TOKEN = 'test-gateway-service-token-0123456789abcdef';
export const CONSOLE_JWT_SECRET = 'test-console-jwt-secret-0123456789abcdef';
export const API_KEY_PEPPER = 'test-api-key-pepper-0123456789abcdef0123';
export const API_KEY_ENCRYPTION_KEY =
  '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';

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
export interface KeysTestApp extends TestApp {
  readonly topics: KeysTopics;
  readonly kafka: KafkaClient;
  readonly logs: CapturingLogger;
  /** A console token for `accountId` (HS256, `sub`, `exp`), as the console would hold. */
  tokenFor(accountId: string): Promise<string>;
  /** Publishes events to a topic, keyed by account, in order. */
  publish(topic: string, events: readonly ContractEvent[]): Promise<void>;
  /** The `keys.v1` events of `accountId` in the outbox, in order: their type and data. */
  outboxOf(accountId: string): Promise<{ type: string; data: unknown }[]>;
}

export async function createKeysTestApp(
  overrides: Partial<Omit<KeysModuleOptions, 'topics'>> & {
    /** The payments topic to consume (another test app's), instead of one of this file's own. */
    readonly paymentsTopic?: string;
  } = {},
): Promise<KeysTestApp> {
  const { paymentsTopic, ...moduleOverrides } = overrides;
  const schema = uniqueName('keys').toLowerCase();
  const suffix = schema.slice('keys_'.length);
  const topics: KeysTopics = {
    keys: 'keys.v1',
    usageRecorded: `usage.recorded.v1.${suffix}`,
    payments: paymentsTopic ?? `payments.v1.${suffix}`,
  };
  // A payments topic given by the caller belongs to another test app, which deletes it.
  const ownTopics = [
    topics.usageRecorded,
    `${topics.usageRecorded}.dlq`,
    ...(paymentsTopic === undefined ? [topics.payments, `${topics.payments}.dlq`] : []),
  ];
  const kafka = testKafka();
  const logs = new CapturingLogger();
  const testApp = await startTestApp(
    KeysModule.forRoot({
      databaseUrl: testDatabaseUrl(),
      adminToken: ADMIN_TOKEN,
      auditorToken: AUDITOR_TOKEN,
      consoleJwtSecret: CONSOLE_JWT_SECRET,
      apiKeyPepper: API_KEY_PEPPER,
      apiKeyEncryptionKey: API_KEY_ENCRYPTION_KEY,
      serviceTokens: [{ service: 'gateway', token: GATEWAY_SERVICE_TOKEN }],
      schema,
      kafkaBrokers: testKafkaBrokers(),
      kafkaSecurity: testKafkaSecurity(),
      usageConsumerName: `keys-usage-${suffix}`,
      paymentsConsumerName: `keys-payments-${suffix}`,
      kafkaTuning: FAST_CONSUMER_TUNING,
      ...moduleOverrides,
      topics,
    }),
    {
      configure: (app) => configureApp(app, 'keys'),
      token: ADMIN_TOKEN,
      logger: logs,
      schema,
      kafka,
      topics: ownTopics,
    },
  );
  const { app, producer } = testApp;
  await app.get(KeysMessaging).ready;
  return {
    ...testApp,
    topics,
    kafka,
    logs,
    tokenFor: (accountId) => consoleToken(CONSOLE_JWT_SECRET, accountId),
    publish: (topic, events) => producer.sendEvents(topic, events),
    async outboxOf(accountId) {
      const { rows } = await testApp.db.query<{ value: string }>(
        `SELECT value FROM ${schema}.outbox WHERE message_key = $1 ORDER BY id`,
        [accountId],
      );
      return rows.map((r) => {
        const event = JSON.parse(r.value) as { type: string; data: unknown };
        return { type: event.type, data: event.data };
      });
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
