import {
  TOPICS,
  decodeEvent,
  type EventOnTopic,
  type PaymentsEvent,
  type Topic,
  type UsageRecorded,
} from '@billing/contracts';
import {
  KafkaTransport,
  OutboxRelay,
  type Decoder,
  type MessagePublisher,
  type MessageSubscriber,
  type MessagingLogger,
  type Subscription,
} from '@billing/messaging';
import { PG_POOL } from '@billing/service-kit';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { Kafka, logLevel } from 'kafkajs';
import type pg from 'pg';
import { ApplyPaymentCommand } from '../commands/apply-payment/apply-payment.command.js';
import { RecordUsageCommand } from '../commands/record-usage/record-usage.command.js';
import { LedgerWriter } from '../infrastructure/ledger-writer.js';
import { LEDGER_OPTIONS, type ResolvedLedgerOptions } from '../ledger.options.js';
import { ChunkedConsumer } from './chunked-consumer.js';

type Transport = MessagePublisher & MessageSubscriber;

/** Reads a message of `topic` with the contract's decoder; what it refuses goes to the DLQ. */
function contractDecoder<T extends Topic>(topic: T): Decoder<EventOnTopic<T>> {
  return (value) => {
    const result = decodeEvent(value, { topic });
    return result.ok
      ? { ok: true, message: result.event }
      : { ok: false, reason: `${result.code}: ${result.reason}` };
  };
}

/** The messaging library's logger, on Nest's. */
function nestLogger(logger: Logger): MessagingLogger {
  const line = (message: string, fields?: Record<string, unknown>): string =>
    fields === undefined ? message : `${message} ${JSON.stringify(fields)}`;
  return {
    debug: (m, f) => logger.debug(line(m, f)),
    info: (m, f) => logger.log(line(m, f)),
    warn: (m, f) => logger.warn(line(m, f)),
    error: (m, f) => logger.error(line(m, f)),
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

/**
 * The ledger's inputs and output on the bus:
 *
 * - two idempotent consumers (inbox in the ledger's schema, contract decoder, DLQ for what cannot
 *   be decoded): `payments.v1` → ApplyPaymentCommand, `usage.recorded.v1` → RecordUsageCommand,
 *   each applied in the consumer's transaction so the inbox row and the ledger's append commit
 *   together;
 * - the outbox relay publishing BalanceChanged (`ledger.v1`).
 *
 * Subscribing is retried in the background: a broker that is down or a topic that does not exist
 * yet must not keep the HTTP API (holds, balances) from serving.
 */
@Injectable()
export class LedgerMessaging {
  private readonly logger = new Logger('LedgerMessaging');
  private transport: Transport | undefined;
  private ownsTransport = false;
  private relay: OutboxRelay | undefined;
  private readonly subscriptions: Subscription[] = [];
  private subscribing: Promise<void> | undefined;
  private stopping = false;
  private markReady: () => void = () => undefined;
  /** Resolves once both consumers have subscribed (and, on Kafka, joined their groups). */
  readonly ready: Promise<void> = new Promise((resolve) => (this.markReady = resolve));

  constructor(
    private readonly commandBus: CommandBus,
    private readonly writer: LedgerWriter,
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(LEDGER_OPTIONS) private readonly options: ResolvedLedgerOptions,
  ) {}

  /** The transport in use, if any (tests publish through it). */
  get activeTransport(): Transport | undefined {
    return this.transport;
  }

  start(): void {
    const o = this.options;
    const logger = nestLogger(this.logger);
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
        logger,
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
      logger,
    });
    this.relay.start();
    this.subscribing = this.subscribeAll(this.transport, logger);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.subscribing;
    await Promise.all(this.subscriptions.splice(0).map((s) => s.stop()));
    await this.relay?.stop();
    if (this.ownsTransport && this.transport instanceof KafkaTransport) {
      await this.transport.close();
    }
  }

  private async subscribeAll(transport: Transport, logger: MessagingLogger): Promise<void> {
    const o = this.options;
    const payments = new ChunkedConsumer<PaymentsEvent>(
      this.writer,
      async (events, tx) => {
        await this.commandBus.execute(new ApplyPaymentCommand(events, tx));
      },
      this.logger,
    );
    const usage = new ChunkedConsumer<UsageRecorded>(
      this.writer,
      async (events, tx) => {
        await this.commandBus.execute(new RecordUsageCommand(events, tx));
      },
      this.logger,
    );
    const common = {
      schema: o.schema,
      chunkSize: o.consumerChunkSize,
      // A refused input (a refund of an unknown top-up) fails the same way every time; retry it a
      // few times quickly in case it raced with something, then dead-letter it.
      retryBackoff: { initialMs: 50, maxMs: 1_000 },
      logger,
    };
    const wanted = [
      () =>
        transport.subscribe<PaymentsEvent>({
          ...common,
          pool: payments.pool(this.pool),
          consumerName: `${o.consumerGroupPrefix}-payments`,
          topics: [o.topics.payments],
          decode: contractDecoder(TOPICS.payments),
          messageId: (event) => event.id,
          handler: payments.handler,
        }),
      () =>
        transport.subscribe<UsageRecorded>({
          ...common,
          pool: usage.pool(this.pool),
          consumerName: `${o.consumerGroupPrefix}-usage`,
          topics: [o.topics.usageRecorded],
          decode: contractDecoder(TOPICS.usageRecorded),
          messageId: (event) => event.id,
          handler: usage.handler,
        }),
    ];
    const joins: Promise<void>[] = [];
    for (const subscribe of wanted) {
      for (let attempt = 1; !this.stopping; attempt++) {
        try {
          const subscription = await subscribe();
          this.subscriptions.push(subscription);
          if ('joined' in subscription && typeof subscription.joined === 'function') {
            joins.push((subscription.joined as () => Promise<void>)());
          }
          break;
        } catch (err) {
          this.logger.error(
            `subscribing failed (attempt ${attempt}), retrying: ${err instanceof Error ? err.message : String(err)}`,
          );
          await sleep(Math.min(500 * 2 ** Math.min(attempt, 6), 30_000));
        }
      }
    }
    if (this.stopping) return;
    // Not awaited here, so that stop() never waits for a group that does not form.
    void Promise.all(joins).then(() => this.markReady());
  }
}
