import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import {
  createTestSchema,
  createTestTopics,
  deleteTestTopics,
  eventually,
  testKafka,
  uniqueName,
} from './index.js';

// The local infrastructure that `npm run infra:up` starts is what every other integration test
// stands on: the real Kafka broker with the contract's topics created explicitly, and the real
// PostgreSQL.

const topics = readFileSync(new URL('../../../deploy/local/topics.txt', import.meta.url), 'utf8')
  .split('\n')
  .map((t) => t.trim())
  .filter(Boolean);

describe('the local Kafka broker', () => {
  const kafka = testKafka();

  it('has every contract topic and its DLQ, each with 6 partitions', async () => {
    expect(topics).toEqual(
      expect.arrayContaining([
        'usage.observed.v1',
        'usage.recorded.v1.dlq',
        'payments.v1',
        'ledger.v1',
        'keys.v1',
      ]),
    );
    const admin = kafka.admin();
    await admin.connect();
    try {
      const meta = await admin.fetchTopicMetadata({ topics });
      for (const t of meta.topics) expect(t.partitions).toHaveLength(6);
      expect(meta.topics.map((t) => t.name).sort()).toEqual([...topics].sort());
    } finally {
      await admin.disconnect();
    }
  });

  it('does not create topics on first use (a typo must fail, not silently create a topic)', async () => {
    const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 1 } });
    await producer.connect();
    try {
      await expect(
        producer.send({ topic: uniqueName('no_such_topic'), messages: [{ value: 'x' }] }),
      ).rejects.toThrow();
    } finally {
      await producer.disconnect();
    }
  });

  it('round-trips a keyed message with an idempotent producer and a consumer group', async () => {
    // A topic of its own: raw test values on a contract topic would be poison for the services.
    const topic = uniqueName('infra_roundtrip');
    await createTestTopics(kafka, [topic]);
    const id = randomUUID();
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    const consumer = kafka.consumer({ groupId: uniqueName('infra'), maxWaitTimeInMs: 200 });
    const seen: string[] = [];
    await producer.connect();
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: ({ message }) => {
          seen.push(message.value?.toString() ?? '');
          return Promise.resolve();
        },
      });
      // Joining the group and getting partitions assigned happens asynchronously; keep sending
      // fresh copies until one arrives, then check the one we know was sent after the join.
      await eventually(
        async () => {
          await producer.send({ topic, acks: -1, messages: [{ key: 'acct_infra', value: id }] });
          return seen.includes(id) ? true : undefined;
        },
        30_000,
        500,
      );
      expect(seen).toContain(id);
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
      await deleteTestTopics(kafka, [topic]);
    }
  }, 40_000);
});

describe('the local PostgreSQL', () => {
  it('writes and reads back in a schema of its own', async () => {
    const db = await createTestSchema('infra');
    try {
      await db.pool.query('CREATE TABLE probe (id int PRIMARY KEY, amount bigint NOT NULL)');
      await db.pool.query('INSERT INTO probe VALUES (1, 9223372036854775807)');
      const { rows } = await db.pool.query<{ amount: string }>('SELECT amount FROM probe');
      // int8 arrives as a string, never a float: the largest value survives exactly.
      expect(rows).toEqual([{ amount: '9223372036854775807' }]);
    } finally {
      await db.drop();
    }
  });
});
