import { InboxProcessor } from '../inbox-processor.js';
import { storeDeadLetters } from '../dead-letter-store.js';
import {
  AbortedError,
  assertSchemaName,
  defaultLogger,
  errorMessage,
  hashKey,
} from '../internal/util.js';
import type {
  InboxRecord,
  MessageTransport,
  MessagingLogger,
  OutboxMessage,
  Subscription,
  SubscriptionOptions,
  TransportOptions,
} from '../types.js';

export interface InProcessTransportOptions extends TransportOptions {
  /**
   * Lanes per subscription, the in-process analogue of partitions: a key always maps to the same
   * lane, a lane applies its messages strictly in order, lanes run concurrently (default 4).
   */
  readonly lanes?: number;
}

/** Publishing to a topic nobody subscribes to is refused, so the relay keeps the rows unsent. */
export class NoSubscriberError extends Error {
  constructor(readonly topic: string) {
    super(`no in-process subscriber for topic ${topic}; the outbox keeps the message unsent`);
    this.name = 'NoSubscriberError';
  }
}

export class SubscriptionStoppedError extends Error {
  constructor(consumerName: string) {
    super(`subscription ${consumerName} stopped before the message was applied`);
    this.name = 'SubscriptionStoppedError';
  }
}

interface Item {
  readonly record: InboxRecord;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

interface Lane {
  readonly queue: Item[];
  nextOffset: bigint;
  running: Promise<void> | undefined;
}

class Group {
  readonly lanes: Lane[];
  private readonly abort = new AbortController();
  private stopped = false;

  constructor(
    readonly options: SubscriptionOptions<unknown>,
    private readonly processor: InboxProcessor<unknown>,
    laneCount: number,
    private readonly logger: MessagingLogger,
  ) {
    this.lanes = Array.from({ length: laneCount }, () => ({
      queue: [],
      nextOffset: 0n,
      running: undefined,
    }));
  }

  deliver(message: OutboxMessage): Promise<void> {
    if (this.stopped)
      return Promise.reject(new SubscriptionStoppedError(this.options.consumerName));
    const laneIndex = hashKey(message.key) % this.lanes.length;
    const lane = this.lanes[laneIndex];
    if (!lane) throw new Error(`lane ${laneIndex} missing`);
    const record: InboxRecord = {
      topic: message.topic,
      partition: laneIndex,
      offset: (lane.nextOffset++).toString(),
      key: message.key,
      value: Buffer.from(message.value, 'utf8'),
      headers: { ...message.headers },
    };
    return new Promise<void>((resolve, reject) => {
      lane.queue.push({ record, resolve, reject });
      // Delivery is asynchronous: the lane drains on a later tick, never inside publish().
      lane.running ??= this.drain(lane);
    });
  }

  private async drain(lane: Lane): Promise<void> {
    await Promise.resolve();
    try {
      while (lane.queue.length > 0 && !this.stopped) {
        const items = lane.queue.splice(0, this.processor.chunkSize);
        const records = items.map((i) => i.record);
        try {
          await this.processor.processChunk(records, { signal: this.abort.signal });
          await this.options.hooks?.afterCommitBeforeOffset?.(records);
          for (const i of items) i.resolve();
        } catch (err) {
          if (!(err instanceof AbortedError)) {
            this.logger.error('in-process delivery failed; the publisher will retry', {
              consumer: this.options.consumerName,
              error: errorMessage(err),
            });
          }
          const reason =
            err instanceof AbortedError
              ? new SubscriptionStoppedError(this.options.consumerName)
              : err;
          for (const i of items) i.reject(reason);
        }
      }
    } finally {
      lane.running = undefined;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await Promise.all(this.lanes.map((l) => l.running ?? Promise.resolve()));
    for (const lane of this.lanes) {
      for (const item of lane.queue.splice(0)) {
        item.reject(new SubscriptionStoppedError(this.options.consumerName));
      }
    }
  }
}

/**
 * The transport of the standalone mode and of fast tests: same ports, same outbox feeding it,
 * same inbox semantics, no broker.
 *
 * - `publish` resolves only when every subscription to the messages' topics has applied them
 *   (inbox committed) or dead-lettered them. The outbox is the only durable log here, so the
 *   relay must not mark a row sent before its effects are committed: a crash at any point leaves
 *   the row unsent and it is delivered again (and deduplicated by the inbox).
 * - A topic without any subscription is refused with {@link NoSubscriberError}; the rows stay in
 *   the outbox until a subscriber appears. Register subscribers before starting the relays.
 * - Dead letters go to `<schema>.dead_letters` of the subscriber's schema (a table, so they
 *   survive a restart and an operator can query and replay them), with the same reasons and
 *   headers as on Kafka.
 */
export class InProcessTransport implements MessageTransport {
  private readonly laneCount: number;
  private readonly logger: MessagingLogger;
  private readonly groups = new Map<string, Group>();
  private readonly byTopic = new Map<string, Set<Group>>();

  constructor(options: InProcessTransportOptions = {}) {
    this.laneCount = options.lanes ?? 4;
    this.logger = options.logger ?? defaultLogger;
  }

  async publish(messages: readonly OutboxMessage[]): Promise<void> {
    for (const m of messages) {
      if (!this.byTopic.get(m.topic)?.size) throw new NoSubscriberError(m.topic);
    }
    const deliveries: Promise<void>[] = [];
    for (const m of messages) {
      for (const group of this.byTopic.get(m.topic) ?? []) deliveries.push(group.deliver(m));
    }
    // allSettled first: a rejection must not leave other deliveries' rejections unhandled.
    const results = await Promise.allSettled(deliveries);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  subscribe<T>(options: SubscriptionOptions<T>): Promise<Subscription> {
    try {
      return Promise.resolve(this.register(options));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private register<T>(options: SubscriptionOptions<T>): Subscription {
    if (this.groups.has(options.consumerName)) {
      throw new Error(`consumer ${options.consumerName} is already subscribed`);
    }
    const schema = assertSchemaName(options.schema);
    const logger = options.logger ?? this.logger;
    const processor = new InboxProcessor<T>({
      ...options,
      logger,
      deadLetter: (letters) =>
        storeDeadLetters(options.pool, schema, letters, { now: new Date(), keyed: false }),
    });
    const group = new Group(
      options as SubscriptionOptions<unknown>,
      processor as InboxProcessor<unknown>,
      this.laneCount,
      logger,
    );
    this.groups.set(options.consumerName, group);
    for (const topic of options.topics) {
      let set = this.byTopic.get(topic);
      if (!set) this.byTopic.set(topic, (set = new Set()));
      set.add(group);
    }
    let stopped = false;
    return {
      consumerName: options.consumerName,
      // Delivery starts with the next publish: there is no group to join.
      ready: () => Promise.resolve(),
      running: () => !stopped,
      stop: async () => {
        stopped = true;
        this.groups.delete(options.consumerName);
        for (const topic of options.topics) this.byTopic.get(topic)?.delete(group);
        await group.stop();
      },
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.groups.values()].map((g) => g.stop()));
    this.groups.clear();
    this.byTopic.clear();
  }
}
