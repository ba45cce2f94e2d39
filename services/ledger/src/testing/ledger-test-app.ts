import { randomUUID } from 'node:crypto';
import {
  createEvent,
  type ContractEvent,
  type DataOf,
  type EventOf,
  type EventType,
} from '@billing/contracts';
import { type KafkaClient } from '@billing/messaging';
import { configureApp } from '@billing/service-kit';
import {
  consoleToken,
  eventually,
  FAST_CONSUMER_TUNING,
  startTestApp,
  testDatabaseUrl,
  testKafka,
  testKafkaBrokers,
  testKafkaSecurity,
  uniqueName,
  type TestApp,
} from '@billing/testing';
import { ExpiryScheduler } from '../commands/expire-due/expiry-scheduler.js';
import { AccountStateCache } from '../infrastructure/account-state-cache.js';
import type { LedgerModuleOptions, LedgerTopics } from '../ledger.options.js';
import { LedgerModule } from '../ledger.module.js';
import { LedgerMessaging } from '../messaging/ledger-messaging.js';
import type { BalanceView } from '../queries/get-balance/get-balance.query.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
/** The read-only operator's token: reads what the admin token reads, changes nothing. */
export const AUDITOR_TOKEN = 'test-auditor-token-0123456789';
export const CONSOLE_JWT_SECRET = 'test-console-jwt-secret-0123456789abcdef';
/** The gateway's service credential: the only one that may place, extend or release holds. */
export const GATEWAY_SERVICE_TOKEN = 'test-gateway-service-token-0123456789abcdef';
/** Another internal caller's credential, which must not reach the holds. */
export const OTHER_SERVICE_TOKEN = 'test-payments-service-token-0123456789abcdef';

/**
 * One ledger application for one integration test file, exactly as production wires it (the
 * same module, the same Kafka consumers, outbox relay and scheduler), on a fresh schema of the test
 * database and topics of its own on the real broker, listening on a free port.
 */
export interface LedgerTestApp extends TestApp {
  readonly topics: LedgerTopics;
  readonly kafka: KafkaClient;
  readonly scheduler: ExpiryScheduler;
  readonly cache: AccountStateCache;
  /** A console token for `accountId` (HS256, `sub`, `iss`, `aud`, `iat`, `exp`), as the console would hold. */
  tokenFor(accountId: string): Promise<string>;
  /** `http()` with the gateway's service credential: what the holds routes accept. */
  asGateway: TestApp['http'];
  /** Publishes contract events to a topic, keyed by account, in order. */
  publish(topic: string, events: readonly ContractEvent[]): Promise<void>;
  /** Publishes raw bytes (poison messages). */
  publishRaw(topic: string, key: string, value: string): Promise<void>;
  /** `GET /v1/accounts/{accountId}/balance` with the admin token. */
  balance(accountId: string): Promise<BalanceView>;
  /** The balance once the account's stream has reached `version` (events arrive by Kafka). */
  balanceAtVersion(accountId: string, version: number, timeoutMs?: number): Promise<BalanceView>;
}

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
  const kafka = testKafka();
  const allTopics = [
    topics.payments,
    topics.usageRecorded,
    topics.ledger,
    `${topics.payments}.dlq`,
    `${topics.usageRecorded}.dlq`,
  ];
  const testApp = await startTestApp(
    LedgerModule.forRoot({
      databaseUrl: testDatabaseUrl(),
      adminToken: ADMIN_TOKEN,
      auditorToken: AUDITOR_TOKEN,
      consoleJwtSecret: CONSOLE_JWT_SECRET,
      serviceTokens: [
        { service: 'gateway', token: GATEWAY_SERVICE_TOKEN },
        { service: 'payments', token: OTHER_SERVICE_TOKEN },
      ],
      schema,
      topics,
      kafkaBrokers: testKafkaBrokers(),
      kafkaSecurity: testKafkaSecurity(),
      consumerGroupPrefix: `ledger-${suffix}`,
      kafkaTuning: FAST_CONSUMER_TUNING,
      schedulerIntervalMs: 200,
      relayPollIntervalMs: 100,
      ...overrides,
    }),
    {
      configure: (app) => configureApp(app, 'ledger'),
      token: ADMIN_TOKEN,
      schema,
      kafka,
      topics: allTopics,
    },
  );
  const { app, producer } = testApp;
  await app.get(LedgerMessaging).ready;
  const balance = (accountId: string): Promise<BalanceView> =>
    testApp.http<BalanceView>('GET', `/v1/accounts/${accountId}/balance`).then((r) => r.body);
  return {
    ...testApp,
    topics,
    kafka,
    scheduler: app.get(ExpiryScheduler),
    cache: app.get(AccountStateCache),
    tokenFor: (accountId) => consoleToken(CONSOLE_JWT_SECRET, accountId),
    asGateway: (method, path, init = {}) =>
      testApp.http(method, path, { ...init, token: GATEWAY_SERVICE_TOKEN }),
    publish: (topic, events) => producer.sendEvents(topic, events),
    publishRaw: (topic, key, value) => producer.send(topic, [{ key, value }]),
    balance,
    balanceAtVersion: (accountId, version, timeoutMs = 15_000) =>
      eventually(async () => {
        const b = await balance(accountId);
        return b.version >= version ? b : undefined;
      }, timeoutMs),
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
