import { randomUUID } from 'node:crypto';
import { createEvent, decodeEvent, TOPICS, type ContractEvent } from '@billing/contracts';
import { type KafkaClient, type KafkaConsumer } from '@billing/messaging';
import { configureApp } from '@billing/service-kit';
import { CommandBus } from '@nestjs/cqrs';
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
import { AlertDeliveryScheduler } from '../commands/deliver-low-balance-alerts/alert-delivery-scheduler.js';
import { AutoTopUpScheduler } from '../commands/charge-auto-top-ups/auto-top-up-scheduler.js';
import { BuilderLapseScheduler } from '../commands/lapse-builder-subscriptions/builder-lapse-scheduler.js';
import {
  LapseBuilderSubscriptionsCommand,
  type LapseBuilderSubscriptionsResult,
} from '../commands/lapse-builder-subscriptions/lapse-builder-subscriptions.command.js';
import { PaymentsMessaging } from '../messaging/payments-messaging.js';
import { PaymentsStore } from '../infrastructure/payments-store.js';
import type { PaymentsModuleOptions, PaymentsTopics } from '../payments.options.js';
import { PaymentsModule } from '../payments.module.js';
import { StripeStandIn } from './stripe-stand-in/index.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
/** The read-only operator's token: reads what the admin token reads, changes nothing. */
export const AUDITOR_TOKEN = 'test-auditor-token-0123456789';
export const CONSOLE_JWT_SECRET = 'test-console-jwt-secret-0123456789abcdef';
export const STRIPE_SECRET_KEY = 'sk_test_standin_0123456789';
export const STRIPE_WEBHOOK_SECRET = 'whsec_standin_0123456789abcdef';

/**
 * One payments application for one integration test file, wired as production wires it (the same
 * module, the outbox relay on the real Kafka, the BalanceChanged consumer, the auto top-up scheduler)
 * on a fresh schema of the test database, listening on a free port, with the `stripe` client
 * pointed at a Stripe stand-in on another port. Events are published on the real `payments.v1`;
 * BalanceChanged is read from a topic of this file's own (decoded as `ledger.v1`).
 */
export interface PaymentsTestApp extends TestApp {
  readonly topics: PaymentsTopics;
  readonly stripe: StripeStandIn;
  readonly charger: AutoTopUpScheduler;
  readonly alertWorker: AlertDeliveryScheduler;
  /** The Builder lapse sweep (`runOnce()`; its timer follows `builderPlan.lapseSweepIntervalMs`). */
  readonly lapses: BuilderLapseScheduler;
  /**
   * One lapse sweep sent straight to the command bus, as another replica's scheduler would: two
   * calls at once are two sweeps (the scheduler's `runOnce` would share one).
   */
  sweepLapsesAsReplica(): Promise<LapseBuilderSubscriptionsResult>;
  readonly store: PaymentsStore;
  tokenFor(accountId: string): Promise<string>;
  /** BalanceChanged events on this file's ledger topic, keyed by account, in order. */
  publishBalances(
    accountId: string,
    reports: readonly { total: string; version: number; available?: string }[],
  ): Promise<ContractEvent[]>;
  /**
   * Links a card to the account the way a customer does: `POST .../payment-methods/setup`, the
   * stand-in's setup page saved as the test card `testCard`, and the signed webhooks Stripe sends.
   * Answers the saved PaymentMethod id.
   */
  linkCard(accountId: string, testCard?: string): Promise<string>;
  /** Counts the rows of a table of this app's schema. */
  count(table: string, where?: string, params?: unknown[]): Promise<number>;
}

/** A BalanceChanged; `available` is `total` unless given (no holds). */
export function balanceChanged(
  accountId: string,
  total: string,
  version: number,
  available: string = total,
): ContractEvent {
  return createEvent({
    type: 'BalanceChanged',
    id: randomUUID(),
    occurredAt: new Date(),
    accountId,
    source: 'ledger',
    data: {
      total,
      topUp: total,
      bonusAndCompensation: '0',
      held: '0',
      available,
      version,
      cause: { type: 'UsageRecorded', id: randomUUID() },
    },
  });
}

export async function createPaymentsTestApp(
  overrides: Partial<PaymentsModuleOptions> & { kafka?: boolean } = {},
): Promise<PaymentsTestApp> {
  const { kafka: useKafka = true, ...moduleOverrides } = overrides;
  const schema = uniqueName('payments').toLowerCase();
  const suffix = schema.slice('payments_'.length);
  const topics: PaymentsTopics = { payments: TOPICS.payments, ledger: `ledger.v1.${suffix}` };
  const kafka = useKafka ? testKafka() : undefined;
  const stripe = await StripeStandIn.start({ secretKey: STRIPE_SECRET_KEY });

  const testApp = await startTestApp(
    PaymentsModule.forRoot({
      databaseUrl: testDatabaseUrl(),
      adminToken: ADMIN_TOKEN,
      auditorToken: AUDITOR_TOKEN,
      consoleJwtSecret: CONSOLE_JWT_SECRET,
      nodeEnv: 'test',
      schema,
      topics,
      kafkaBrokers: kafka ? testKafkaBrokers() : [],
      kafkaSecurity: testKafkaSecurity(),
      consumerGroupPrefix: `payments-${suffix}`,
      kafkaTuning: FAST_CONSUMER_TUNING,
      stripe: {
        secretKey: STRIPE_SECRET_KEY,
        webhookSecret: STRIPE_WEBHOOK_SECRET,
        apiBase: stripe.url,
        maxNetworkRetries: 0,
        timeoutMs: 5_000,
      },
      autoTopUp: {
        sweepIntervalMs: 100,
        leaseMs: 1_000,
        backoffBaseMs: 300,
        backoffMaxMs: 5_000,
      },
      relayPollIntervalMs: 100,
      ...moduleOverrides,
      // Retries in hundreds of milliseconds, not minutes; receivers on 127.0.0.1 over http.
      lowBalanceAlerts: {
        sweepIntervalMs: 100,
        backoffBaseMs: 200,
        backoffMaxMs: 1_000,
        leaseMs: 6_000,
        webhookTimeoutMs: 1_000,
        allowHttpLoopback: true,
        ...moduleOverrides.lowBalanceAlerts,
      },
    }),
    {
      configure: (app) => configureApp(app, 'payments'),
      token: ADMIN_TOKEN,
      rawBody: true,
      schema,
      kafka,
      topics: kafka ? [topics.ledger, `${topics.ledger}.dlq`] : [],
    },
  );
  const { app, baseUrl, db, producer } = testApp;
  stripe.useWebhook({ url: `${baseUrl}/webhooks/stripe`, secret: STRIPE_WEBHOOK_SECRET });
  if (kafka) await app.get(PaymentsMessaging).ready;
  return {
    ...testApp,
    topics,
    stripe,
    charger: app.get(AutoTopUpScheduler),
    alertWorker: app.get(AlertDeliveryScheduler),
    lapses: app.get(BuilderLapseScheduler),
    sweepLapsesAsReplica: () => app.get(CommandBus).execute(new LapseBuilderSubscriptionsCommand()),
    store: app.get(PaymentsStore),
    tokenFor: (accountId) => consoleToken(CONSOLE_JWT_SECRET, accountId, '10m'),
    async publishBalances(accountId, reports) {
      const events = reports.map((r) => balanceChanged(accountId, r.total, r.version, r.available));
      await producer.sendEvents(topics.ledger, events);
      return events;
    },
    async linkCard(accountId, testCard = 'pm_card_visa') {
      const res = await testApp.http<{ sessionId: string; status: string }>(
        'POST',
        `/v1/accounts/${accountId}/payment-methods/setup`,
        { token: await consoleToken(CONSOLE_JWT_SECRET, accountId, '10m') },
      );
      if (res.status !== 201 || res.body.status !== 'pending') {
        throw new Error(`setup answered ${res.status} ${JSON.stringify(res.body)}`);
      }
      const saved = stripe.completeSetupSession(res.body.sessionId, { paymentMethod: testCard });
      for (const event of [saved.completed, saved.setupIntentSucceeded]) {
        const delivered = await stripe.deliver(event);
        if (delivered.status !== 200) {
          throw new Error(`${event.type} answered ${delivered.status} ${delivered.body}`);
        }
      }
      return saved.paymentMethodId;
    },
    async count(table, where = 'true', params = []) {
      const res = await db.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM ${schema}.${table} WHERE ${where}`,
        params,
      );
      return Number(res.rows[0]?.n ?? 0);
    },
    async close() {
      await testApp.close();
      await stripe.close();
    },
  };
}

/**
 * Reads `payments.v1` (the real topic) from its current end, with a group of its own, keeping the
 * events of the accounts a test cares about.
 */
export class PaymentsTopicReader {
  readonly events: ContractEvent[] = [];
  private constructor(private readonly consumer: KafkaConsumer) {}

  static async start(
    kafka: KafkaClient,
    accountPrefix: string,
    topic: string = TOPICS.payments,
  ): Promise<PaymentsTopicReader> {
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(topic);
    await admin.disconnect();
    const consumer = kafka.consumer({
      groupId: uniqueName('payments-reader'),
      sessionTimeout: 6_000,
      heartbeatInterval: 300,
      maxWaitTimeInMs: 100,
    });
    const reader = new PaymentsTopicReader(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: false });
    await consumer.run({
      eachMessage: ({ message }) => {
        if (!message.value || !message.key?.toString().startsWith(accountPrefix))
          return Promise.resolve();
        const decoded = decodeEvent(message.value, { topic: TOPICS.payments });
        if (decoded.ok) reader.events.push(decoded.event);
        return Promise.resolve();
      },
    });
    for (const p of offsets) consumer.seek({ topic, partition: p.partition, offset: p.high });
    return reader;
  }

  of(accountId: string): ContractEvent[] {
    return this.events.filter((e) => e.accountId === accountId);
  }

  /** Waits until `accountId` has at least `n` events, then answers them. */
  async waitFor(accountId: string, n: number, timeoutMs = 15_000): Promise<ContractEvent[]> {
    return eventually(() => {
      const mine = this.of(accountId);
      return mine.length >= n ? mine : undefined;
    }, timeoutMs);
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}
