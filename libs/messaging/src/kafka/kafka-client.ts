import {
  Kafka,
  logLevel,
  Partitioners,
  type Admin,
  type Consumer,
  type ConsumerConfig,
  type Message,
  type Producer,
  type ProducerConfig,
} from 'kafkajs';
import { defaultLogger } from '../internal/util.js';
import type { MessagingLogger } from '../types.js';
import { kafkaLogCreator } from './kafka-log.js';
import { kafkaSecurityConfig, type KafkaSecurity } from './kafka-security.js';

// The project's names for the Kafka client's types. Code outside this folder uses these and
// never imports kafkajs itself (an ESLint rule keeps it so), so replacing the client is a change
// here and in the transport behind `MessagePublisher` / `MessageSubscriber` (docs/adr/003).
export type KafkaProducer = Producer;
export type KafkaConsumer = Consumer;
export type KafkaAdmin = Admin;
export type KafkaProducerConfig = Omit<ProducerConfig, 'createPartitioner'>;
export type KafkaConsumerConfig = ConsumerConfig;
/** A record to produce: key, value, headers. */
export type KafkaRecord = Message;

/** What creates producers, consumers and admin clients of one broker cluster. */
export interface KafkaClient {
  producer(config?: ProducerConfig): KafkaProducer;
  consumer(config: KafkaConsumerConfig): KafkaConsumer;
  admin(): KafkaAdmin;
}

export type KafkaLogLevel = 'nothing' | 'error' | 'warn' | 'info' | 'debug';

const LOG_LEVELS: Record<KafkaLogLevel, logLevel> = {
  nothing: logLevel.NOTHING,
  error: logLevel.ERROR,
  warn: logLevel.WARN,
  info: logLevel.INFO,
  debug: logLevel.DEBUG,
};

export interface KafkaClientOptions {
  readonly clientId: string;
  readonly brokers: readonly string[];
  /** SASL and TLS of the connection (default: neither). */
  readonly security?: KafkaSecurity;
  /** Where the client's own log lines go, minus the one accepted warning (kafka-log.ts). */
  readonly logger?: MessagingLogger;
  /** Default `warn`. */
  readonly logLevel?: KafkaLogLevel;
}

/** A client of the brokers in `options`; its log lines go to `options.logger`. */
export function createKafkaClient(options: KafkaClientOptions): KafkaClient {
  return new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    logLevel: LOG_LEVELS[options.logLevel ?? 'warn'],
    logCreator: kafkaLogCreator(options.logger ?? defaultLogger),
    ...kafkaSecurityConfig(options.security),
  });
}

/**
 * A producer that maps a key to the partition any other Kafka client would (the Java-compatible
 * murmur2 partitioner): every producer of this project is created here, so keyed records of one
 * account always land on one partition, whoever produced them.
 */
export function createKeyedProducer(
  client: KafkaClient,
  config: KafkaProducerConfig = {},
): KafkaProducer {
  return client.producer({ ...config, createPartitioner: Partitioners.DefaultPartitioner });
}
