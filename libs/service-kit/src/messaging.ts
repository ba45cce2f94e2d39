import {
  type BeforeApplicationShutdown,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { decodeEvent, type ContractEvent, type EventOnTopic, type Topic } from '@billing/contracts';
import {
  KafkaTransport,
  OutboxRelay,
  type Decoder,
  type MessageHandler,
  type MessagePublisher,
  type MessageSubscriber,
  type MessagingLogger,
  type Subscription,
  type SubscriptionOptions,
} from '@billing/messaging';
import { Kafka, logLevel } from 'kafkajs';
import type pg from 'pg';

/** Kafka in distributed mode, the in-process transport in standalone mode: the same ports. */
export interface Transport extends MessagePublisher, MessageSubscriber {
  close(): Promise<void>;
}

export const TRANSPORT = Symbol('TRANSPORT');

export function createKafkaTransport(brokers: readonly string[], clientId: string): KafkaTransport {
  const kafka = new Kafka({ clientId, brokers: [...brokers], logLevel: logLevel.WARN });
  return new KafkaTransport({ kafka, logger: nestMessagingLogger(clientId) });
}

/**
 * A messaging Decoder for one contract topic: the envelope and data are validated by
 * libs/contracts, and anything else (bad JSON, unknown type, an event of another topic, invalid
 * data) is refused with its code and reason, which the consumer writes to the DLQ headers.
 */
export function contractDecoder<T extends Topic>(topic: T): Decoder<EventOnTopic<T>> {
  return (value) => {
    const result = decodeEvent(value, { topic });
    return result.ok
      ? { ok: true, message: result.event }
      : { ok: false, reason: `${result.code}: ${result.reason}` };
  };
}

/** One consumer of a service: a contract topic, a stable name, and the handler of its events. */
export interface ContractConsumer<T extends Topic = Topic> {
  consumerName: string;
  topic: T;
  handler: MessageHandler<EventOnTopic<T>>;
  chunkSize?: number;
  maxHandlerAttempts?: number;
}

export interface ServiceMessagingOptions {
  service: string;
  transport: Transport;
  pool: pg.Pool;
  /** The service's own schema: its outbox, inbox and relay checkpoint live there. */
  schema: string;
  consumers: readonly ContractConsumer[];
  /** Whether this process runs the outbox relay (every service that publishes does). */
  relay: boolean;
}

/**
 * Starts a service's consumers and its outbox relay once the application has booted, and stops
 * them before the HTTP server and the database pool close, so nothing is half-applied.
 */
export class ServiceMessaging implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly subscriptions: Subscription[] = [];
  private relay: OutboxRelay | undefined;

  constructor(private readonly options: ServiceMessagingOptions) {}

  async onApplicationBootstrap(): Promise<void> {
    const { pool, schema, transport } = this.options;
    for (const c of this.options.consumers) {
      const subscription: SubscriptionOptions<ContractEvent> = {
        consumerName: c.consumerName,
        topics: [c.topic],
        pool,
        schema,
        decode: contractDecoder(c.topic),
        messageId: (event) => event.id,
        handler: c.handler,
        logger: nestMessagingLogger(c.consumerName),
        ...(c.chunkSize === undefined ? {} : { chunkSize: c.chunkSize }),
        ...(c.maxHandlerAttempts === undefined ? {} : { maxHandlerAttempts: c.maxHandlerAttempts }),
      };
      this.subscriptions.push(await transport.subscribe(subscription));
    }
    if (this.options.relay) {
      this.relay = new OutboxRelay({
        pool,
        schema,
        publisher: transport,
        logger: nestMessagingLogger(`${this.options.service}.outbox`),
      });
      this.relay.start();
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.relay?.stop();
    await Promise.all(this.subscriptions.splice(0).map((s) => s.stop()));
  }
}

/** Routes the messaging library's structured logs to Nest's logger, fields as JSON. */
export function nestMessagingLogger(context: string): MessagingLogger {
  const logger = new Logger(context);
  const line = (message: string, fields?: Record<string, unknown>): string =>
    fields
      ? `${message} ${JSON.stringify(fields, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`
      : message;
  return {
    debug: (m, f) => logger.debug(line(m, f)),
    info: (m, f) => logger.log(line(m, f)),
    warn: (m, f) => logger.warn(line(m, f)),
    error: (m, f) => logger.error(line(m, f)),
  };
}
