import { encodeEvent, type ContractEvent } from '@billing/contracts';
import type { Message, Producer } from 'kafkajs';
import { Partitioners } from 'kafkajs';
import { uniqueName, type TestKafkaClient } from './infra.js';

/**
 * Consumer timings for the test broker, which runs with `group.initial.rebalance.delay.ms=0` and
 * the 6 s minimum session: groups form and recover in well under a second. The shape is
 * `KafkaConsumerTuning` of @billing/messaging (this library cannot import it: its tests import
 * this one).
 */
export const FAST_CONSUMER_TUNING = {
  sessionTimeoutMs: 6_000,
  rebalanceTimeoutMs: 10_000,
  heartbeatIntervalMs: 300,
  maxWaitTimeMs: 100,
  partitionsConsumedConcurrently: 3,
  restartBackoff: { initialMs: 100, maxMs: 1_000 },
} as const;

export interface TopicRecord {
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: Record<string, string>;
}

/** Where a partition's next record will be written: `topicEnd` taken before a test acts. */
export type TopicPositions = ReadonlyMap<number, string>;

/**
 * The end offset of every partition of `topic` now. A test takes it before acting and passes it
 * to `readTopicUntil` as `from`, so it reads only what it caused, however much a long-lived
 * broker's topic already holds.
 */
export async function topicEnd(kafka: TestKafkaClient, topic: string): Promise<TopicPositions> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, o.offset]));
  } finally {
    await admin.disconnect();
  }
}

/**
 * Commits a consumer group's offsets at the current end of `topic`, before any consumer joins
 * it: the application a test starts in that group then reads only what is published after this
 * call. For a test whose application consumes a shared contract topic with a group of its own:
 * the services' consumers start a new group from the earliest offset, and a long-lived broker's
 * contract topics hold every earlier run's events (the soak and the platform bench add tens of
 * thousands), which such an application would otherwise replay before reaching the test's own.
 */
export async function startGroupAtEnd(
  kafka: TestKafkaClient,
  groupId: string,
  topic: string,
): Promise<void> {
  const end = await topicEnd(kafka, topic);
  const admin = kafka.admin();
  await admin.connect();
  try {
    const partitions = [...end].map(([partition, offset]) => ({ partition, offset }));
    await admin.setOffsets({ groupId, topic, partitions });
  } finally {
    await admin.disconnect();
  }
}

export interface ReadTopicOptions {
  readonly timeoutMs?: number;
  /** Start here (from `topicEnd`) instead of at the beginning of each partition. */
  readonly from?: TopicPositions;
}

/**
 * Reads `topic` with a throwaway group, from the beginning or from `options.from`, until
 * `until(records)` holds or `timeoutMs` (20 s) has passed, and answers what it read either way:
 * the test's assertions then say what is missing, which is more telling than a timeout.
 */
export async function readTopicUntil(
  kafka: TestKafkaClient,
  topic: string,
  until: (records: readonly TopicRecord[]) => boolean,
  options: ReadTopicOptions | number = {},
): Promise<TopicRecord[]> {
  const { timeoutMs = 20_000, from } =
    typeof options === 'number' ? { timeoutMs: options } : options;
  const consumer = kafka.consumer({
    groupId: uniqueName('reader'),
    maxWaitTimeInMs: 100,
    sessionTimeout: 6_000,
    heartbeatInterval: 300,
  });
  const records: TopicRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    let done: () => void = () => undefined;
    const satisfied = new Promise<void>((resolve) => (done = resolve));
    await consumer.run({
      eachMessage: ({ partition, message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) {
          const last = Array.isArray(v) ? v[v.length - 1] : v;
          if (last !== undefined) headers[k] = last.toString();
        }
        records.push({
          partition,
          offset: message.offset,
          key: message.key?.toString() ?? null,
          value: message.value?.toString() ?? null,
          headers,
        });
        if (until(records)) done();
        return Promise.resolve();
      },
    });
    for (const [partition, offset] of from ?? []) consumer.seek({ topic, partition, offset });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      satisfied,
      new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
    return records;
  } finally {
    await consumer.disconnect();
  }
}

/**
 * A producer for tests that publish straight to a topic (as another service would), connected
 * on first use, with the Java-compatible partitioner the services' relays use, so a key lands on
 * the partition it would in production.
 */
export class TestProducer {
  private producer: Promise<Producer> | undefined;

  /** Without `kafka` (an app running without the broker), sending is refused. */
  constructor(private readonly kafka: TestKafkaClient | undefined) {}

  async send(topic: string, messages: Message[]): Promise<void> {
    const kafka = this.kafka;
    if (kafka === undefined) throw new Error('this test app runs without Kafka');
    this.producer ??= (async () => {
      const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
      await producer.connect();
      return producer;
    })();
    await (await this.producer).send({ topic, messages });
  }

  /** Contract events, keyed by account as every service keys them, in order. */
  sendEvents(topic: string, events: readonly ContractEvent[]): Promise<void> {
    return this.send(
      topic,
      events.map((e) => ({ key: e.accountId, value: encodeEvent(e) })),
    );
  }

  async disconnect(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    if (producer !== undefined) await (await producer).disconnect();
  }
}
