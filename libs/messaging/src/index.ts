export * from './types.js';
export { messagingMigrations, type MessagingMigration } from './schema.js';
export { enqueue, Outbox } from './outbox.js';
export { nameBasedUuid } from './message-id.js';
export {
  inMessageContext,
  libraryTracer,
  startConsumerSpans,
  TRACEPARENT_HEADER,
  spanTraceHeaders,
  traceHeaders,
  withTraceContext,
  type ConsumerSpans,
  type TracedMessage,
} from './tracing.js';
export { pruneInbox } from './inbox.js';
export {
  DEFAULT_INBOX_PRUNE_INTERVAL_MS,
  DEFAULT_INBOX_RETENTION_MS,
  DEFAULT_REDELIVERY_HORIZON_MS,
  INBOX_RETENTION_MARGIN_MS,
  InboxPruner,
  type InboxPrunerOptions,
} from './inbox-pruner.js';
export {
  OutboxRelay,
  countUnpublished,
  OUTBOX_BACKLOG_COUNT_CAP,
  outboxBacklog,
  type OutboxRelayOptions,
  type OutboxRelayStats,
} from './outbox-relay.js';
export {
  InboxProcessor,
  HandlerError,
  classifyRecords,
  deadLetterReasonLabel,
  DEFAULT_CHUNK_SIZE,
  DEFAULT_MAX_HANDLER_ATTEMPTS,
  DEFAULT_RETRY_BACKOFF,
  type InboxProcessorOptions,
  type ProcessControl,
  type ReplayResult,
} from './inbox-processor.js';
export { DLQ_HEADERS, deadLetterHeaders, defaultDlqTopic } from './internal/dead-letter-headers.js';
export {
  AbortedError,
  backoffMs,
  isTransientDatabaseError,
  silentLogger,
  sleep,
} from './internal/util.js';
export {
  createKafkaClient,
  createKeyedProducer,
  type KafkaAdmin,
  type KafkaClient,
  type KafkaClientOptions,
  type KafkaConsumer,
  type KafkaConsumerConfig,
  type KafkaLogLevel,
  type KafkaProducer,
  type KafkaProducerConfig,
  type KafkaRecord,
} from './kafka/kafka-client.js';
export { ReliableProducer, type ReliableProducerOptions } from './kafka/reliable-producer.js';
export {
  KAFKA_SASL_MECHANISMS,
  type KafkaSaslMechanism,
  type KafkaSecurity,
} from './kafka/kafka-security.js';
export {
  IdempotentConsumer,
  toInboxRecord,
  type IdempotentConsumerOptions,
  type KafkaConsumerTuning,
} from './kafka/idempotent-consumer.js';
export {
  KafkaTransport,
  type KafkaSubscription,
  type KafkaTransportOptions,
} from './kafka/kafka-transport.js';
export {
  InProcessTransport,
  NoSubscriberError,
  SubscriptionStoppedError,
  type InProcessTransportOptions,
} from './in-process/in-process-transport.js';
export {
  claimReplay,
  countDeadLetters,
  findDeadLetter,
  listDeadLetters,
  originalRecordOf,
  readDeadLetters,
  storeDeadLetters,
  type DeadLetterCount,
  type DeadLetterPageQuery,
  type DeadLetterState,
  type ReplayOutcome,
  type StoredDeadLetter,
} from './dead-letter-store.js';
