import type { Consumer, EachBatchPayload, IHeaders, KafkaMessage } from 'kafkajs';
import { storeDeadLetters } from '../dead-letter-store.js';
import { InboxProcessor } from '../inbox-processor.js';
import { defaultDlqTopic, deadLetterHeaders } from '../internal/dead-letter-headers.js';
import {
  AbortedError,
  backoffMs,
  chunk,
  defaultLogger,
  errorMessage,
  sleep,
} from '../internal/util.js';
import type {
  DeadLetter,
  InboxRecord,
  MessagingLogger,
  Subscription,
  SubscriptionOptions,
} from '../types.js';
import type { KafkaClient } from './kafka-client.js';
import { ReliableProducer } from './reliable-producer.js';

/** Group-membership timings. The defaults suit production; tests shorten them. */
export interface KafkaConsumerTuning {
  /** A member silent this long is evicted and its partitions move (default 30 s; broker min 6 s). */
  readonly sessionTimeoutMs?: number;
  /** How long a rebalance waits for members to rejoin (default 60 s). */
  readonly rebalanceTimeoutMs?: number;
  /** Default 3 s; must be well under the session timeout. */
  readonly heartbeatIntervalMs?: number;
  /** Longest a fetch waits for data; also bounds how fast `stop()` returns (default 500 ms). */
  readonly maxWaitTimeMs?: number;
  /** Partitions processed at once, each holding one database connection (default 1). */
  readonly partitionsConsumedConcurrently?: number;
  readonly maxBytesPerPartition?: number;
  /** Backoff of the supervisor that re-creates a consumer kafkajs gave up on. */
  readonly restartBackoff?: { readonly initialMs: number; readonly maxMs: number };
}

export type IdempotentConsumerOptions<T> = SubscriptionOptions<T> &
  KafkaConsumerTuning & {
    readonly kafka: KafkaClient;
    /** Producer for `<topic>.dlq`; one is created (lazily) when absent. */
    readonly dlqProducer?: ReliableProducer;
    readonly dlqTopic?: (topic: string) => string;
  };

function headersToRecord(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  for (const [name, raw] of Object.entries(headers)) {
    const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
    if (value !== undefined) out[name] = value.toString();
  }
  return out;
}

export function toInboxRecord(topic: string, partition: number, m: KafkaMessage): InboxRecord {
  return {
    topic,
    partition,
    offset: m.offset,
    key: m.key ? m.key.toString() : null,
    value: m.value,
    headers: headersToRecord(m.headers),
  };
}

/**
 * A Kafka consumer group member that applies each message exactly once in effect.
 *
 * Per partition batch (kafkajs `eachBatch`, one partition at a time per batch, so its order is
 * kept), chunk by chunk: the {@link InboxProcessor} commits the chunk's effects and inbox rows in
 * one database transaction, and only then is the chunk's last offset resolved and committed to
 * Kafka. Every way kafkajs can lose its place (crash, rebalance, commit failure, offset reset to
 * the earliest offset) therefore re-delivers messages that the inbox recognises; none skips one.
 * See docs/adr/003-kafkajs-hazards.md for what was checked and why each setting is what it is.
 */
export class IdempotentConsumer<T> implements Subscription {
  readonly consumerName: string;
  private readonly options: IdempotentConsumerOptions<T>;
  private readonly processor: InboxProcessor<T>;
  private readonly logger: MessagingLogger;
  private readonly dlqProducer: ReliableProducer;
  private readonly ownsDlqProducer: boolean;
  private readonly dlqTopic: (topic: string) => string;

  private consumer: Consumer | undefined;
  private abort = new AbortController();
  private stopping = false;
  private restarting: Promise<void> | undefined;
  private joinedOnce: Promise<void>;
  private resolveJoined: () => void = () => undefined;
  /** Times kafkajs crashed for good and the supervisor built a new consumer. */
  restarts = 0;
  /**
   * `running` from the moment the loop runs; `recovering` after a crash, while kafkajs or the
   * supervisor brings it back (until the group is joined again); `stopped` after `stop()`.
   */
  private state: 'starting' | 'running' | 'recovering' | 'stopped' = 'starting';

  constructor(options: IdempotentConsumerOptions<T>) {
    this.options = options;
    this.consumerName = options.consumerName;
    this.logger = options.logger ?? defaultLogger;
    this.dlqTopic = options.dlqTopic ?? defaultDlqTopic;
    this.ownsDlqProducer = !options.dlqProducer;
    this.dlqProducer =
      options.dlqProducer ?? new ReliableProducer(options.kafka, { logger: this.logger });
    this.processor = new InboxProcessor({
      ...options,
      logger: this.logger,
      deadLetter: (letters) => this.deadLetter(letters),
    });
    this.joinedOnce = new Promise((resolve) => (this.resolveJoined = resolve));
  }

  /** Connects, subscribes (from the earliest offset for a new group) and starts consuming. */
  async start(): Promise<void> {
    this.stopping = false;
    this.abort = new AbortController();
    await this.startConsumer();
  }

  /** Resolves once the consumer has joined its group and got its partitions (the first time). */
  ready(): Promise<void> {
    return this.joinedOnce;
  }

  /** Whether the consumer loop runs: not before it started, after a crash until it recovers, nor once stopped. */
  running(): boolean {
    return this.state === 'running';
  }

  /**
   * Graceful: the chunk being applied finishes its transaction and offset commit; the rest of the
   * batch stays uncommitted and is redelivered to the next owner. Retries in progress are cut.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.state = 'stopped';
    this.abort.abort();
    await this.restarting;
    await this.consumer?.disconnect().catch(() => undefined);
    this.consumer = undefined;
    if (this.ownsDlqProducer) await this.dlqProducer.close();
  }

  private async startConsumer(): Promise<void> {
    const o = this.options;
    const consumer = o.kafka.consumer({
      groupId: this.consumerName,
      sessionTimeout: o.sessionTimeoutMs ?? 30_000,
      rebalanceTimeout: o.rebalanceTimeoutMs ?? 60_000,
      heartbeatInterval: o.heartbeatIntervalMs ?? 3_000,
      maxWaitTimeInMs: o.maxWaitTimeMs ?? 500,
      ...(o.maxBytesPerPartition ? { maxBytesPerPartition: o.maxBytesPerPartition } : {}),
      allowAutoTopicCreation: false,
      // Read only committed records; our producers are not transactional, this costs nothing.
      readUncommitted: false,
      retry: {
        retries: 10,
        initialRetryTime: 300,
        maxRetryTime: 30_000,
        restartOnFailure: () => Promise.resolve(true),
      },
    });
    // GROUP_JOIN is emitted once the group is synced, with this member's partition assignment.
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      this.logger.info('consumer joined its group', {
        consumer: this.consumerName,
        assignment: e.payload.memberAssignment,
      });
      if (!this.stopping) this.state = 'running';
      this.resolveJoined();
    });
    consumer.on(consumer.events.CRASH, (e) => {
      // kafkajs restarts by itself after retriable errors (payload.restart === true). After a
      // non-retriable one (e.g. KafkaJSGroupCoordinatorNotFound, kafkajs #1445 / #1630) it just
      // stops, which would silently stall the service; we rebuild the consumer instead.
      this.logger.error('kafka consumer crashed', {
        consumer: this.consumerName,
        error: errorMessage(e.payload.error),
        kafkajsRestarts: e.payload.restart,
      });
      if (!this.stopping) this.state = 'recovering';
      if (!e.payload.restart && !this.stopping) this.restartSoon(consumer);
    });
    this.consumer = consumer;
    try {
      await consumer.connect();
      // fromBeginning: where a group has no committed offset, or its offset is out of range
      // (retention, a truncated log, kafkajs #1119), start from the earliest offset: a replay
      // absorbed by the inbox, never a jump to the latest offset that skips messages.
      await consumer.subscribe({ topics: [...o.topics], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: o.partitionsConsumedConcurrently ?? 1,
        eachBatch: (payload) => this.eachBatch(payload),
      });
      if (!this.stopping) this.state = 'running';
    } catch (err) {
      await consumer.disconnect().catch(() => undefined);
      if (this.consumer === consumer) this.consumer = undefined;
      throw err;
    }
  }

  private restartSoon(crashed: Consumer): void {
    if (this.restarting) return;
    this.restarting = (async () => {
      const backoff = this.options.restartBackoff ?? { initialMs: 500, maxMs: 30_000 };
      await crashed.disconnect().catch(() => undefined);
      for (let attempt = 1; !this.stopping; attempt++) {
        try {
          await sleep(backoffMs(attempt, backoff.initialMs, backoff.maxMs), this.abort.signal);
          await this.startConsumer();
          this.restarts += 1;
          this.logger.warn('kafka consumer re-created after a crash', {
            consumer: this.consumerName,
          });
          return;
        } catch (err) {
          if (err instanceof AbortedError) return;
          this.logger.error('re-creating the kafka consumer failed; retrying', {
            consumer: this.consumerName,
            error: errorMessage(err),
          });
        }
      }
    })().finally(() => {
      this.restarting = undefined;
    });
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const heartbeat = (): Promise<void> => payload.heartbeat();
    const records = batch.messages.map((m) => toInboxRecord(batch.topic, batch.partition, m));
    const signal = this.abort.signal;
    for (const part of chunk(records, this.processor.chunkSize)) {
      // isStale: the partition was revoked or seeked since the fetch; whatever we have not
      // committed belongs to the next owner now.
      if (this.stopping || !payload.isRunning() || payload.isStale()) return;
      try {
        await this.processor.processChunk(part, { signal, heartbeat });
      } catch (err) {
        // Stopping: this chunk is not committed and will be redelivered. Any other error here
        // is kafkajs's own (a heartbeat saying the group is rebalancing): rethrown, kafkajs
        // rejoins, and the uncommitted chunk goes to whoever owns the partition next.
        if (err instanceof AbortedError) return;
        throw err;
      }
      await this.options.hooks?.afterCommitBeforeOffset?.(part);
      const last = part[part.length - 1];
      if (!last) continue;
      payload.resolveOffset(last.offset);
      try {
        await payload.commitOffsetsIfNecessary({
          topics: [
            {
              topic: batch.topic,
              partitions: [
                { partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() },
              ],
            },
          ],
        });
      } catch (err) {
        // After a rebalance the commit is refused (ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS,
        // UNKNOWN_MEMBER_ID): not fatal, the effects are already in the database and the next
        // owner will redeliver these messages to the inbox, which skips them.
        this.logger.warn('offset commit failed; messages will be redelivered and deduplicated', {
          consumer: this.consumerName,
          topic: batch.topic,
          partition: batch.partition,
          offset: last.offset,
          error: errorMessage(err),
        });
        throw err;
      }
      const left = BigInt(batch.highWatermark) - BigInt(last.offset) - 1n;
      this.options.metrics?.lag?.(batch.topic, batch.partition, Number(left < 0n ? 0n : left));
      await heartbeat();
    }
  }

  /**
   * Indexes the letters in `<schema>.dead_letters` for the operator's desk (docs/adr/015), then
   * writes them to `<topic>.dlq`. Both are retried until they succeed, the index keyed by the
   * record's coordinates, so a retry stores each once; only then are the offsets committed.
   */
  private async deadLetter(letters: readonly DeadLetter[]): Promise<void> {
    const now = new Date();
    await storeDeadLetters(this.options.pool, this.options.schema, letters, { now, keyed: true });
    const byTopic = new Map<
      string,
      { key: string | null; value: Buffer | null; headers: Record<string, string> }[]
    >();
    for (const letter of letters) {
      const topic = this.dlqTopic(letter.record.topic);
      let list = byTopic.get(topic);
      if (!list) byTopic.set(topic, (list = []));
      list.push({
        key: letter.record.key,
        value: letter.record.value,
        headers: deadLetterHeaders(letter, now),
      });
    }
    await this.dlqProducer.sendBatch(
      [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    );
  }
}
