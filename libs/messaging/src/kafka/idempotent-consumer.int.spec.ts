import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createTestSchema,
  createTestTopics,
  deleteTestTopics,
  eventually,
  FAST_CONSUMER_TUNING,
  testDatabaseUrl,
  testKafka,
  testKafkaBrokers,
  type TestSchema,
  uniqueName,
} from '@billing/testing';
import { KafkaJSNonRetriableError, type Kafka } from 'kafkajs';
import { silentLogger } from '../internal/util.js';
import {
  countEffects,
  decodeTestEvent,
  duplicateIds,
  outOfOrderAccounts,
  readEffects,
  recordEffect,
  type TestEvent,
  testEventId,
  testMessages,
  applyTestMigrations,
} from '../testing/fixtures.js';
import { consumerLag } from '../testing/kafka-harness.js';
import { IdempotentConsumer, type IdempotentConsumerOptions } from './idempotent-consumer.js';
import { KafkaTransport } from './kafka-transport.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../../..');

describe('IdempotentConsumer against the real broker: the kafkajs hazards end in duplicates, never losses', () => {
  let db: TestSchema;
  let kafka: Kafka;
  let transport: KafkaTransport;
  const topics: string[] = [];
  const running: { stop(): Promise<void> }[] = [];

  beforeAll(async () => {
    db = await createTestSchema('msgc');
    await applyTestMigrations(db.pool, db.schema);
    kafka = testKafka();
    transport = new KafkaTransport({ kafka, consumer: FAST_CONSUMER_TUNING, logger: silentLogger });
  });

  afterEach(async () => {
    for (const r of running.splice(0).reverse()) await r.stop();
  });

  afterAll(async () => {
    await transport.close();
    if (topics.length > 0) await deleteTestTopics(kafka, topics).catch(() => undefined);
    await db.drop();
  });

  async function newTopic(): Promise<string> {
    const topic = uniqueName('msgc').toLowerCase();
    await createTestTopics(kafka, [topic, `${topic}.dlq`], 3);
    topics.push(topic, `${topic}.dlq`);
    return topic;
  }

  function consumer(
    topic: string,
    group: string,
    overrides: Partial<Omit<IdempotentConsumerOptions<TestEvent>, 'handleChunk'>> = {},
  ): IdempotentConsumer<TestEvent> {
    const c = new IdempotentConsumer<TestEvent>({
      ...FAST_CONSUMER_TUNING,
      kafka,
      consumerName: group,
      topics: [topic],
      pool: db.pool,
      schema: db.schema,
      decode: decodeTestEvent,
      messageId: testEventId,
      handler: recordEffect(db.schema, group),
      chunkSize: 20,
      logger: silentLogger,
      ...overrides,
    });
    running.push(c);
    return c;
  }

  async function expectAllAppliedOnce(group: string, ids: readonly string[]): Promise<void> {
    await eventually(
      async () =>
        (await countEffects(db.pool, db.schema, group)) >= ids.length ? true : undefined,
      30_000,
    );
    const effects = await readEffects(db.pool, db.schema, group);
    expect(duplicateIds(effects)).toEqual([]);
    expect(effects).toHaveLength(ids.length);
    expect(new Set(effects.map((e) => e.message_id))).toEqual(new Set(ids));
    expect(outOfOrderAccounts(effects)).toEqual([]);
  }

  function startChild(env: Record<string, string>): {
    child: ChildProcess;
    exited: Promise<NodeJS.Signals | number | null>;
  } {
    const child = spawn(
      path.join(repoRoot, 'node_modules/.bin/node'),
      [
        '--import',
        '@swc-node/register/esm-register',
        path.join(here, '../testing/consumer-process.ts'),
      ],
      {
        cwd: repoRoot,
        env: {
          ...process.env,
          DATABASE_URL: testDatabaseUrl(),
          KAFKA_BROKERS: testKafkaBrokers().join(','),
          NODE_NO_WARNINGS: '1',
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
      child.on('exit', (code, signal) => {
        if (code && code !== 0)
          process.stderr.write(`consumer-process exited ${code}: ${stderr}\n`);
        resolve(signal ?? code);
      }),
    );
    return { child, exited };
  }

  it('a consumer SIGKILLed between its DB commit and its offset commit, restarted, applies nothing twice and misses nothing', async () => {
    const topic = await newTopic();
    const group = uniqueName('killed');
    const messages = testMessages(topic, 9, 30); // 270 over 3 partitions
    await transport.publish(messages);
    const env = { SCHEMA: db.schema, TOPIC: topic, GROUP: group, CHUNK_SIZE: '10' };

    const first = startChild({ ...env, KILL_AFTER: '55' });
    expect(await first.exited).toBe('SIGKILL');
    const applied = await countEffects(db.pool, db.schema, group);
    const lagAfterKill = await consumerLag(kafka, topic, group);
    // The kill landed after a database commit whose offsets never reached Kafka.
    expect(applied).toBeGreaterThanOrEqual(55);
    expect(messages.length - lagAfterKill).toBeLessThan(applied);

    const second = startChild(env);
    try {
      await expectAllAppliedOnce(
        group,
        messages.map((m) => m.id),
      );
      await eventually(
        async () => ((await consumerLag(kafka, topic, group)) === 0 ? true : undefined),
        30_000,
        100,
      );
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
    const inbox = await db.pool.query(
      `SELECT count(*)::int AS n FROM ${db.schema}.inbox WHERE consumer_name = $1`,
      [group],
    );
    expect(inbox.rows[0]).toEqual({ n: messages.length });
  }, 60_000);

  it('resets an out-of-range committed offset to the earliest offset, not the latest (kafkajs #1119)', async () => {
    const topic = await newTopic();
    const group = uniqueName('oor');
    const messages = testMessages(topic, 6, 5);
    await transport.publish(messages);
    // A committed offset past the end of the log, as after a topic re-creation or truncation.
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.setOffsets({
        groupId: group,
        topic,
        partitions: [0, 1, 2].map((partition) => ({ partition, offset: '1000000' })),
      });
    } finally {
      await admin.disconnect();
    }
    await consumer(topic, group).start();
    await expectAllAppliedOnce(
      group,
      messages.map((m) => m.id),
    );
  }, 30_000);

  it('survives rebalances (a member joins, then another leaves mid-stream) with every message applied once, in order (kafkajs #1046)', async () => {
    const topic = await newTopic();
    const group = uniqueName('rebalance');
    const messages = testMessages(topic, 30, 20); // 600
    const slow = recordEffect(db.schema, group);
    const handler: IdempotentConsumerOptions<TestEvent>['handler'] = async (m, client, ctx) => {
      await new Promise((r) => setTimeout(r, 1));
      await slow(m, client, ctx);
    };
    const a = consumer(topic, group, { handler });
    await a.start();
    await a.ready();
    const publishing = (async () => {
      for (let i = 0; i < messages.length; i += 50) {
        await transport.publish(messages.slice(i, i + 50));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await eventually(async () =>
      (await countEffects(db.pool, db.schema, group)) > 100 ? true : undefined,
    );
    const b = consumer(topic, group, { handler });
    await b.start();
    await b.ready();
    await eventually(async () =>
      (await countEffects(db.pool, db.schema, group)) > 300 ? true : undefined,
    );
    await a.stop();
    await publishing;
    await expectAllAppliedOnce(
      group,
      messages.map((m) => m.id),
    );
  }, 60_000);

  it('rebuilds a consumer that kafkajs gave up on (non-retriable crash), redelivering the uncommitted chunk once', async () => {
    const topic = await newTopic();
    const group = uniqueName('crash');
    const messages = testMessages(topic, 6, 20);
    let injected = false;
    let delivered = 0;
    const c = consumer(topic, group, {
      restartBackoff: { initialMs: 50, maxMs: 200 },
      hooks: {
        afterCommitBeforeOffset: (records) => {
          delivered += records.length;
          // kafkajs does not restart a consumer after a non-retriable error (kafkajs #1445).
          if (!injected) {
            injected = true;
            throw new KafkaJSNonRetriableError('injected crash after the DB commit');
          }
        },
      },
    });
    await c.start();
    await transport.publish(messages);
    // The rebuilt consumer must pick up where the crashed one committed (before the injected
    // error), so the chunk whose DB commit had no offset commit is delivered again and skipped.
    await eventually(() => (c.restarts >= 1 ? true : undefined), 20_000);
    await eventually(
      async () => ((await consumerLag(kafka, topic, group)) === 0 ? true : undefined),
      20_000,
      100,
    );
    await expectAllAppliedOnce(
      group,
      messages.map((m) => m.id),
    );
    expect(c.restarts).toBe(1);
    expect(delivered).toBeGreaterThan(messages.length);
  }, 45_000);

  it('stops gracefully: the chunk in flight commits, the rest is left for the next owner', async () => {
    const topic = await newTopic();
    const group = uniqueName('graceful');
    const messages = testMessages(topic, 3, 40);
    await transport.publish(messages);
    let seen = 0;
    const slowHandler: IdempotentConsumerOptions<TestEvent>['handler'] = async (m, client, ctx) => {
      seen += 1;
      await new Promise((r) => setTimeout(r, 5));
      await recordEffect(db.schema, group)(m, client, ctx);
    };
    const first = consumer(topic, group, { handler: slowHandler, chunkSize: 10 });
    await first.start();
    await eventually(() => (seen >= 15 ? true : undefined));
    await first.stop();
    const afterStop = await countEffects(db.pool, db.schema, group);
    // Whole chunks only: nothing half-applied.
    expect(afterStop % 10).toBe(0);
    expect(afterStop).toBeLessThan(messages.length);
    await consumer(topic, group).start();
    await expectAllAppliedOnce(
      group,
      messages.map((m) => m.id),
    );
  }, 30_000);
});
