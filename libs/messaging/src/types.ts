import type pg from 'pg';

/**
 * A message as written to the outbox and as handed to a {@link MessagePublisher}. The library
 * stays generic: `value` is the already-serialised envelope (JSON in this project), `id` is the
 * envelope id that consumers dedupe on, `key` is the partitioning key (the account id).
 */
export interface OutboxMessage {
  readonly topic: string;
  readonly key: string;
  readonly id: string;
  readonly value: string;
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * The id of the consumed message this one answers, when a chunk handler writes the answers to
   * many at once: `enqueue` continues that message's trace (tracing.ts). Not stored.
   */
  readonly causationId?: string;
}

/** A message read back from the outbox by the relay; `position` is its outbox row id. */
export interface PendingOutboxMessage extends OutboxMessage {
  readonly position: string;
}

/** One delivered record, whatever the transport: Kafka's coordinates or the in-process lane's. */
export interface InboxRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
}

export type DecodeResult<T> =
  { readonly ok: true; readonly message: T } | { readonly ok: false; readonly reason: string };

/** Turns raw bytes into a message of the caller's contract, or says why it cannot. */
export type Decoder<T> = (value: Buffer) => DecodeResult<T>;

export interface MessageContext {
  readonly messageId: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * Applies one message. It runs inside the consumer's database transaction: every write must go
 * through `client`, so the effect and the inbox row commit (or roll back) together.
 */
export type MessageHandler<T> = (
  message: T,
  client: pg.PoolClient,
  context: MessageContext,
) => Promise<void>;

/** A message handed to a {@link ChunkHandler}, with where it came from. */
export interface ChunkMessage<T> {
  readonly message: T;
  readonly context: MessageContext;
}

/**
 * How the transaction a {@link ChunkHandler} ran in ended, for handlers that keep state beside
 * the database (a cache of what they wrote must learn whether it was committed). Callbacks run
 * once, right after the COMMIT succeeded or the transaction was rolled back (including a COMMIT
 * that failed); an exception they throw is logged and ignored.
 */
export interface ChunkTransaction {
  afterCommit(callback: () => void): void;
  afterRollback(callback: () => void): void;
}

/**
 * Applies a whole chunk at once: the new (non-duplicate) messages of one consumer transaction,
 * in partition order. Same rules as {@link MessageHandler}: every write goes through `client`.
 * If it throws, the chunk is rolled back and replayed one message per transaction, so it is
 * then called with a single message, and a message that keeps failing is dead-lettered alone.
 */
export type ChunkHandler<T> = (
  messages: readonly ChunkMessage<T>[],
  client: pg.PoolClient,
  transaction: ChunkTransaction,
) => Promise<void>;

/** Exactly one of the two: a handler per message, or one per chunk (faster for batch writers). */
export type MessageHandlers<T> =
  | { readonly handler: MessageHandler<T>; readonly handleChunk?: never }
  | { readonly handleChunk: ChunkHandler<T>; readonly handler?: never };

/** Why a record went to the dead-letter destination (`x-dlq-reason`). */
export type DeadLetterReason = string;

export const DEAD_LETTER_REASONS = {
  /** The record has no value (a tombstone); there is nothing to decode. */
  emptyValue: 'empty_value',
  /** `messageId` returned nothing: the consumer could not dedupe it, so it must not apply it. */
  missingId: 'missing_id',
  /** The decoder or the id extractor threw instead of answering. */
  decoderThrew: 'decoder_threw',
  /** The handler failed `maxHandlerAttempts` times in a row on this message. */
  handlerFailed: 'handler_failed',
} as const;

export interface DeadLetter {
  readonly record: InboxRecord;
  readonly consumerName: string;
  readonly reason: DeadLetterReason;
  readonly messageId?: string;
  readonly error?: string;
}

export interface MessagingLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/**
 * What a subscription reports for metrics (the service wires it to Prometheus). Label values it
 * passes are bounded: topics the consumer reads, partition numbers, reasons from
 * {@link deadLetterReasonLabel}.
 */
export interface ConsumerMetrics {
  /** A record went to the dead-letter destination, for `reason` (already a bounded label). */
  deadLettered?(topic: string, reason: string): void;
  /** Records left on a partition after the chunk just committed (Kafka: high watermark - next offset). */
  lag?(topic: string, partition: number, messages: number): void;
}

/** Hooks for fault-injection tests. Production code never sets them. */
export interface ConsumerTestHooks {
  /** Called after a chunk's database transaction committed and before its offsets are committed. */
  afterCommitBeforeOffset?: (records: readonly InboxRecord[]) => void | Promise<void>;
}

interface SubscriptionSettings<T> {
  /** The consumer's stable name: the inbox key and, on Kafka, the consumer group id. */
  readonly consumerName: string;
  readonly topics: readonly string[];
  /** The pool of the consuming service's own database, and the schema holding its inbox. */
  readonly pool: pg.Pool;
  readonly schema: string;
  readonly decode: Decoder<T>;
  /** Extracts the envelope id to dedupe on; `undefined` sends the record to the DLQ. */
  readonly messageId: (message: T) => string | undefined | null;
  /** Records applied in one database transaction (default 100). */
  readonly chunkSize?: number;
  /** Attempts of a failing handler before the message is dead-lettered (default 5). */
  readonly maxHandlerAttempts?: number;
  /** Backoff between attempts: doubles from `initialMs` up to `maxMs` (default 100 ms .. 5 s). */
  readonly retryBackoff?: { readonly initialMs: number; readonly maxMs: number };
  readonly logger?: MessagingLogger;
  readonly hooks?: ConsumerTestHooks;
  readonly metrics?: ConsumerMetrics;
}

export type SubscriptionOptions<T> = SubscriptionSettings<T> & MessageHandlers<T>;

export interface Subscription {
  readonly consumerName: string;
  /**
   * Resolves once the subscription receives messages: on Kafka when the consumer has joined its
   * group and been given its partitions (the first time), in process at once. It never rejects.
   */
  ready(): Promise<void>;
  /** Finishes (or abandons, uncommitted) the chunk in flight and stops; nothing is half-applied. */
  stop(): Promise<void>;
  /**
   * Whether the consumer loop runs now: false once stopped, and on Kafka while a crashed consumer
   * is being re-created (readiness reads it). Absent: assume running until stopped.
   */
  running?(): boolean;
}

/** Publishes a batch of outbox rows. Resolves only once the transport has them durably. */
export interface MessagePublisher {
  publish(messages: readonly OutboxMessage[]): Promise<void>;
}

/** Subscribes an idempotent consumer (inbox in the caller's schema) to topics. */
export interface MessageSubscriber {
  subscribe<T>(options: SubscriptionOptions<T>): Promise<Subscription>;
}

/** Both ports of one transport (Kafka, or in-process), and how to let its connections go. */
export interface MessageTransport extends MessagePublisher, MessageSubscriber {
  close(): Promise<void>;
}

/** What the options of every transport share. */
export interface TransportOptions {
  /** Where the transport logs, and each subscription unless it names its own (default: stdout). */
  readonly logger?: MessagingLogger;
}
