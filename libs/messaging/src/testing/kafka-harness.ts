/** Kafka side of the shared transport tests: topics per test, lag and DLQ inspection. */
import {
  createTestTopics,
  deleteTestTopics,
  eventually,
  FAST_CONSUMER_TUNING,
  readTopicUntil,
  testKafka,
  uniqueName,
} from '@billing/testing';
import { silentLogger } from '../internal/util.js';
import type { KafkaClient } from '../kafka/kafka-client.js';
import { KafkaTransport } from '../kafka/kafka-transport.js';
import type { ObservedDeadLetter, TransportHarness } from './transport-contract.js';

/** Sum of (end offset - committed offset) over the topic's partitions, for one group. */
export async function consumerLag(
  kafka: KafkaClient,
  topic: string,
  groupId: string,
): Promise<number> {
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

export function kafkaHarness(): TransportHarness & { kafka: KafkaClient } {
  const kafka = testKafka();
  const transport = new KafkaTransport({
    kafka,
    consumer: FAST_CONSUMER_TUNING,
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
      const records = await readTopicUntil(kafka, `${topic}.dlq`, (rs) => rs.length >= expected);
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
