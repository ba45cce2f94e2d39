import type { Message, TopicMessages } from 'kafkajs';
import { defaultLogger } from '../internal/util.js';
import type {
  MessageTransport,
  OutboxMessage,
  Subscription,
  SubscriptionOptions,
  TransportOptions,
} from '../types.js';
import type { KafkaClient } from './kafka-client.js';
import { IdempotentConsumer, type KafkaConsumerTuning } from './idempotent-consumer.js';
import { ReliableProducer } from './reliable-producer.js';

export interface KafkaTransportOptions extends TransportOptions {
  /** From `createKafkaClient`, which routes the client's log lines to a logger. */
  readonly kafka: KafkaClient;
  /** Consumer timings applied to every subscription (each may override). */
  readonly consumer?: KafkaConsumerTuning;
  /**
   * Upper bound of one produce request's payload. The relay's batch is split into several
   * sequential requests beyond it, so a batch of large messages never hits the broker's
   * `message.max.bytes` (default 1 MiB) and wedges the relay. Default 512 KiB.
   */
  readonly maxRequestBytes?: number;
}

/**
 * Kafka behind the two ports: `publish` (used by the outbox relay) and `subscribe` (idempotent
 * consumers). The wire format is the caller's: value as given, key = the message key (the
 * account id), headers as given.
 */
export class KafkaTransport implements MessageTransport {
  private readonly kafka: KafkaClient;
  private readonly producer: ReliableProducer;
  private readonly dlqProducer: ReliableProducer;
  /** What every subscription gets unless it says otherwise: the consumer timings, the logger. */
  private readonly subscriptionDefaults: KafkaConsumerTuning & Required<TransportOptions>;
  private readonly maxRequestBytes: number;
  private readonly subscriptions = new Set<Subscription>();

  constructor(options: KafkaTransportOptions) {
    const logger = options.logger ?? defaultLogger;
    this.kafka = options.kafka;
    this.subscriptionDefaults = { ...options.consumer, logger };
    this.maxRequestBytes = options.maxRequestBytes ?? 512 * 1024;
    this.producer = new ReliableProducer(this.kafka, { logger });
    // A separate producer: a failing DLQ send replaces its producer without disturbing the relay's.
    this.dlqProducer = new ReliableProducer(this.kafka, { logger });
  }

  async publish(messages: readonly OutboxMessage[]): Promise<void> {
    // Requests go out one after the other, each holding messages in outbox order, so per-key
    // (per-partition) order survives the split.
    let request = new Map<string, Message[]>();
    let bytes = 0;
    const flush = async (): Promise<void> => {
      if (request.size === 0) return;
      const topicMessages: TopicMessages[] = [...request].map(([topic, msgs]) => ({
        topic,
        messages: msgs,
      }));
      request = new Map();
      bytes = 0;
      await this.producer.sendBatch(topicMessages);
    };
    for (const m of messages) {
      const size = m.value.length + m.key.length + 64;
      if (bytes > 0 && bytes + size > this.maxRequestBytes) await flush();
      let list = request.get(m.topic);
      if (!list) request.set(m.topic, (list = []));
      list.push({
        key: m.key,
        value: m.value,
        ...(m.headers ? { headers: { ...m.headers } } : {}),
      });
      bytes += size;
    }
    await flush();
  }

  async subscribe<T>(
    options: SubscriptionOptions<T> & KafkaConsumerTuning,
  ): Promise<KafkaSubscription<T>> {
    const consumer = new IdempotentConsumer<T>({
      ...this.subscriptionDefaults,
      ...options,
      kafka: this.kafka,
      dlqProducer: this.dlqProducer,
    });
    await consumer.start();
    const subscription: KafkaSubscription<T> = {
      consumerName: consumer.consumerName,
      consumer,
      ready: () => consumer.ready(),
      joined: () => consumer.ready(),
      running: () => consumer.running(),
      stop: async () => {
        this.subscriptions.delete(subscription);
        await consumer.stop();
      },
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  /**
   * Whether the broker is reachable as far as this transport can tell: the last send of each
   * producer succeeded (or none was tried yet), and no subscription is recovering from a crash
   * (kafkajs crashes its consumer when it loses the broker).
   */
  get brokerConnected(): boolean {
    if (!this.producer.healthy || !this.dlqProducer.healthy) return false;
    return [...this.subscriptions].every((s) => s.running?.() !== false);
  }

  /** Stops every subscription (gracefully) and disconnects the producers. */
  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    await this.producer.close();
    await this.dlqProducer.close();
  }
}

export interface KafkaSubscription<T> extends Subscription {
  readonly consumer: IdempotentConsumer<T>;
  /** The same as `ready()`: its former name, still duck-typed by the gateway's keys consumer. */
  joined(): Promise<void>;
}
