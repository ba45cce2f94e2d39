import { TOPICS, type LedgerEvent } from '@billing/contracts';
import {
  KafkaTransport,
  OutboxRelay,
  type MessagePublisher,
  type MessageSubscriber,
  type Subscription,
} from '@billing/messaging';
import { contractDecoder, nestMessagingLogger, PG_POOL } from '@billing/service-kit';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { Kafka, logLevel } from 'kafkajs';
import type pg from 'pg';
import { ApplyBalanceChangeCommand } from '../commands/apply-balance-change/apply-balance-change.command.js';
import { PAYMENTS_OPTIONS, type ResolvedPaymentsOptions } from '../payments.options.js';

type Transport = MessagePublisher & MessageSubscriber;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

/**
 * The payments service on the bus:
 *
 * - the outbox relay publishing `payments.v1` (TopUpSettled, BonusGranted, TopUpRefunded and the
 *   admin credits), written by the service's transactions;
 * - one idempotent consumer of `ledger.v1` (BalanceChanged → the auto top-up decision), applied in
 *   the consumer's transaction with its inbox row.
 *
 * service-kit's `ServiceMessaging` does the same with the physical topic fixed to the contract's
 * name; this wiring lets tests read BalanceChanged from a topic of their own while decoding it with
 * the `ledger.v1` contract. Subscribing is retried in the background: a broker that is down must
 * not keep the HTTP API (top-ups, webhooks) from serving.
 */
@Injectable()
export class PaymentsMessaging {
  private readonly logger = new Logger('PaymentsMessaging');
  private transport: Transport | undefined;
  private ownsTransport = false;
  private relay: OutboxRelay | undefined;
  private subscription: Subscription | undefined;
  private subscribing: Promise<void> | undefined;
  private stopping = false;
  private markReady: () => void = () => undefined;
  /** Resolves once the BalanceChanged consumer has subscribed (on Kafka: joined its group). */
  readonly ready: Promise<void> = new Promise((resolve) => (this.markReady = resolve));

  constructor(
    private readonly commandBus: CommandBus,
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(PAYMENTS_OPTIONS) private readonly options: ResolvedPaymentsOptions,
  ) {}

  start(): void {
    const o = this.options;
    if (o.transport !== undefined) {
      this.transport = o.transport;
    } else if (o.kafkaBrokers.length > 0) {
      this.transport = new KafkaTransport({
        kafka: new Kafka({
          clientId: o.consumerGroupPrefix,
          brokers: [...o.kafkaBrokers],
          logLevel: logLevel.WARN,
        }),
        consumer: o.kafkaTuning,
        logger: nestMessagingLogger('PaymentsKafka'),
      });
      this.ownsTransport = true;
    }
    if (this.transport === undefined) {
      this.logger.warn('no KAFKA_BROKERS and no transport: not consuming, not publishing');
      return;
    }
    this.relay = new OutboxRelay({
      pool: this.pool,
      schema: o.schema,
      publisher: this.transport,
      pollIntervalMs: o.relayPollIntervalMs,
      logger: nestMessagingLogger('PaymentsOutbox'),
    });
    this.relay.start();
    this.subscribing = this.subscribe(this.transport);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.subscribing;
    await this.subscription?.stop();
    await this.relay?.stop();
    if (this.ownsTransport && this.transport instanceof KafkaTransport) {
      await this.transport.close();
    }
  }

  private async subscribe(transport: Transport): Promise<void> {
    const o = this.options;
    for (let attempt = 1; !this.stopping; attempt++) {
      try {
        const subscription = await transport.subscribe<LedgerEvent>({
          consumerName: `${o.consumerGroupPrefix}-balance-changed`,
          topics: [o.topics.ledger],
          pool: this.pool,
          schema: o.schema,
          decode: contractDecoder(TOPICS.ledger),
          messageId: (event) => event.id,
          handler: async (event, client) => {
            await this.commandBus.execute(new ApplyBalanceChangeCommand(event, client));
          },
          retryBackoff: { initialMs: 50, maxMs: 2_000 },
          logger: nestMessagingLogger('BalanceChangedConsumer'),
        });
        this.subscription = subscription;
        if ('joined' in subscription && typeof subscription.joined === 'function') {
          void (subscription.joined as () => Promise<void>)().then(() => this.markReady());
        } else {
          this.markReady();
        }
        return;
      } catch (err) {
        this.logger.error(
          `subscribing to ${o.topics.ledger} failed (attempt ${attempt}), retrying: ${err instanceof Error ? err.message : String(err)}`,
        );
        await sleep(Math.min(500 * 2 ** Math.min(attempt, 6), 30_000));
      }
    }
  }
}
