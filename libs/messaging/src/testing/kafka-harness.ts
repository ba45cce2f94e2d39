/** Kafka side of the shared transport tests: topics per test, lag and DLQ inspection. */
import {
  createTestTopics,
  deleteTestTopics,
  eventually,
  testKafka,
  uniqueName,
} from '@billing/testing';
import type { Kafka } from 'kafkajs';
import { silentLogger } from '../internal/util.js';
import type { KafkaConsumerTuning } from '../kafka/idempotent-consumer.js';
import { KafkaTransport } from '../kafka/kafka-transport.js';
import type { ObservedDeadLetter, TransportHarness } from './transport-contract.js';

/** Short timings: the broker runs with group.initial.rebalance.delay.ms=0 and a 6 s minimum session. */
export const fastConsumerTuning: KafkaConsumerTuning = {
  sessionTimeoutMs: 6000,
  rebalanceTimeoutMs: 10_000,
  heartbeatIntervalMs: 300,
  maxWaitTimeMs: 100,
  partitionsConsumedConcurrently: 3,
  restartBackoff: { initialMs: 100, maxMs: 1000 },
};

/** Sum of (end offset - committed offset) over the topic's partitions, for one group. */
export async function consumerLag(kafka: Kafka, topic: string, groupId: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    let lag = 0;
    for (const end of ends) {
      const c = committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
      const from = BigInt(c) < 0n ? BigInt(end.low) : BigInt(c);
      lag += Number(BigInt(end.high) - from);
    }
    return lag;
  } finally {
    await admin.disconnect();
  }
}

export interface TopicRecord {
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: Record<string, string>;
}

/** Reads at least `expected` records of `topic` from the beginning with a throwaway group. */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  expected: number,
  timeoutMs = 20_000,
): Promise<TopicRecord[]> {
  const consumer = kafka.consumer({
    groupId: uniqueName('reader'),
    maxWaitTimeInMs: 100,
    sessionTimeout: 6000,
    heartbeatInterval: 300,
  });
  const records: TopicRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: ({ partition, message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) {
          if (v !== undefined)
            headers[k] = (Array.isArray(v) ? v[v.length - 1] : v)?.toString() ?? '';
        }
        records.push({
          partition,
          offset: message.offset,
          key: message.key?.toString() ?? null,
          value: message.value?.toString() ?? null,
          headers,
        });
        return Promise.resolve();
      },
    });
    await eventually(() => (records.length >= expected ? true : undefined), timeoutMs);
    return records;
  } finally {
    await consumer.disconnect();
  }
}

export function kafkaHarness(): TransportHarness & { kafka: Kafka } {
  const kafka = testKafka();
  const transport = new KafkaTransport({
    kafka,
    consumer: fastConsumerTuning,
    logger: silentLogger,
  });
  const topics: string[] = [];
  return {
    kafka,
    publisher: transport,
    subscriber: transport,
    async newTopic() {
      const topic = uniqueName('msg').toLowerCase();
      await createTestTopics(kafka, [topic, `${topic}.dlq`], 3);
      topics.push(topic, `${topic}.dlq`);
      return topic;
    },
    async settled(topic, consumerName) {
      await eventually(
        async () => ((await consumerLag(kafka, topic, consumerName)) === 0 ? true : undefined),
        30_000,
        100,
      );
    },
    async deadLetters(topic, consumerName, expected): Promise<ObservedDeadLetter[]> {
      const records = await readTopic(kafka, `${topic}.dlq`, expected);
      // One DLQ partition per key: sort by original offset to compare in publish order.
      return records
        .filter((r) => r.headers['x-consumer'] === consumerName)
        .sort((a, b) =>
          Number(
            BigInt(a.headers['x-original-offset'] ?? 0) -
              BigInt(b.headers['x-original-offset'] ?? 0),
          ),
        )
        .map((r) => ({
          reason: r.headers['x-dlq-reason'] ?? '',
          headers: r.headers,
          value: r.value,
        }));
    },
    async close() {
      await transport.close();
      if (topics.length > 0) await deleteTestTopics(kafka, topics).catch(() => undefined);
    },
  };
}
