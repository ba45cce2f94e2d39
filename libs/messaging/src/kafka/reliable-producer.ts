import type { TopicMessages } from 'kafkajs';
import { defaultLogger, errorMessage } from '../internal/util.js';
import type { MessagingLogger } from '../types.js';
import { createKeyedProducer, type KafkaClient, type KafkaProducer } from './kafka-client.js';

export interface ReliableProducerOptions {
  /** kafkajs retries per send before the error surfaces (default 8, about 30 s at most). */
  readonly retries?: number;
  readonly logger?: MessagingLogger;
}

/**
 * A kafkajs producer configured for "no loss, order per key" and replaced after any failure.
 *
 * - `idempotent: true`, `acks: -1`, `maxInFlightRequests: 1`: the broker dedupes retried batches
 *   by producer id and sequence, and one request in flight keeps each partition in send order.
 * - The Java-compatible murmur2 partitioner, so a key lands on the same partition as with any
 *   other Kafka client.
 * - Retries are bounded (kafkajs defaults to unbounded for idempotent producers, which turns a
 *   missing topic into a silent hang). kafkajs warns about that on every producer; the warning is
 *   accepted, and dropped by `kafkaLogCreator` (kafka-log.ts says why).
 * - After a failed send the producer is thrown away: kafkajs's idempotent mode is marked
 *   experimental and a failed sequence can wedge it (kafkajs #598); a new producer gets a new
 *   producer id. The caller retries, so the worst case is a duplicate.
 */
export class ReliableProducer {
  private readonly kafka: KafkaClient;
  private readonly retries: number;
  private readonly logger: MessagingLogger;
  private current: Promise<KafkaProducer> | undefined;
  private closed = false;
  private lastSendFailed = false;

  /** False after a failed send, until one succeeds: the broker (or the topic) is not reachable. */
  get healthy(): boolean {
    return !this.lastSendFailed;
  }

  constructor(kafka: KafkaClient, options: ReliableProducerOptions = {}) {
    this.kafka = kafka;
    this.retries = options.retries ?? 8;
    this.logger = options.logger ?? defaultLogger;
  }

  async sendBatch(topicMessages: TopicMessages[]): Promise<void> {
    if (this.closed) throw new Error('producer is closed');
    const attempt = this.producer();
    let producer: KafkaProducer;
    try {
      producer = await attempt;
    } catch (err) {
      this.lastSendFailed = true;
      throw err;
    }
    try {
      await producer.sendBatch({ topicMessages, acks: -1 });
      this.lastSendFailed = false;
    } catch (err) {
      this.lastSendFailed = true;
      this.logger.warn('kafka send failed; replacing the producer', { error: errorMessage(err) });
      if (this.current === attempt) this.current = undefined;
      await producer.disconnect().catch(() => undefined);
      throw err;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const current = this.current;
    this.current = undefined;
    if (current) await (await current.catch(() => undefined))?.disconnect().catch(() => undefined);
  }

  private producer(): Promise<KafkaProducer> {
    if (!this.current) {
      const creating = (async () => {
        const producer = createKeyedProducer(this.kafka, {
          idempotent: true,
          maxInFlightRequests: 1,
          allowAutoTopicCreation: false,
          retry: { retries: this.retries, initialRetryTime: 100, maxRetryTime: 5000 },
        });
        await producer.connect();
        return producer;
      })();
      creating.catch(() => {
        if (this.current === creating) this.current = undefined;
      });
      this.current = creating;
    }
    return this.current;
  }
}
