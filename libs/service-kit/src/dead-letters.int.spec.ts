import { randomUUID } from 'node:crypto';
import { createEvent, encodeEvent, TOPICS, type ContractEvent } from '@billing/contracts';
import {
  InProcessTransport,
  messagingMigrations,
  readDeadLetters,
  type StoredDeadLetter,
} from '@billing/messaging';
import {
  createTestSchema,
  createTestTopics,
  deleteTestTopics,
  eventually,
  FAST_CONSUMER_TUNING,
  readTopicUntil,
  TestProducer,
  testKafka,
  testKafkaBrokers,
  testKafkaSecurity,
  uniqueName,
  type TestSchema,
} from '@billing/testing';
import type pg from 'pg';
import { migrate } from './database.js';
import { ServiceMessaging, type ContractConsumer, type DeadLetterReplay } from './messaging.js';

// Replaying a dead letter (docs/adr/015) through ServiceMessaging, on real Kafka and on the
// in-process transport of the standalone mode, with two consumer groups of one topic:
// - `grants` credits gifts to accounts it knows, and fails on an account it does not know yet
//   (the handler throws, so the gift is dead-lettered as handler_failed after its attempts);
// - `audit`, another service's group, records every gift it sees.
// Once the account exists, the replay credits the gift exactly once; a second replay, even a
// concurrent one, credits nothing; the audit group never sees the gift again; and a redelivery of
// the original record after the replay is a duplicate for both groups.

const fixtures = {
  id: 'test_dead_letter_desk',
  sql: `
    CREATE TABLE accounts (account_id text PRIMARY KEY);
    CREATE TABLE credits (event_id text NOT NULL, account_id text NOT NULL, amount numeric NOT NULL);
    CREATE TABLE seen (event_id text NOT NULL);
  `,
};

function gift(accountId: string, amount: string): ContractEvent {
  return createEvent({
    type: 'GiftGranted',
    id: randomUUID(),
    occurredAt: new Date(),
    accountId,
    source: 'payments',
    data: { giftId: randomUUID(), amount, reason: 'welcome' },
  });
}

interface Variant {
  readonly name: string;
  setUp(topic: string): Promise<{
    readonly transport?: InProcessTransport;
    readonly kafka?: NonNullable<ConstructorParameters<typeof ServiceMessaging>[0]['kafka']>;
    publish(events: readonly ContractEvent[]): Promise<void>;
    /** Checks the transport's own dead-letter destination holds the event (Kafka: the .dlq). */
    inDlq(event: ContractEvent): Promise<boolean>;
    tearDown(): Promise<void>;
  }>;
}

const kafkaVariant: Variant = {
  name: 'Kafka',
  async setUp(topic) {
    const kafka = testKafka();
    await createTestTopics(kafka, [topic, `${topic}.dlq`]);
    const producer = new TestProducer(kafka);
    return {
      kafka: {
        brokers: testKafkaBrokers(),
        clientId: uniqueName('desk'),
        security: testKafkaSecurity(),
        consumer: FAST_CONSUMER_TUNING,
      },
      publish: (events) => producer.sendEvents(topic, events),
      inDlq: async (event) => {
        const records = await readTopicUntil(kafka, `${topic}.dlq`, (rs) =>
          rs.some((r) => r.headers['x-message-id'] === event.id),
        );
        return records.some((r) => r.value === encodeEvent(event));
      },
      tearDown: async () => {
        await producer.disconnect();
        await deleteTestTopics(kafka, [topic, `${topic}.dlq`]);
      },
    };
  },
};

const inProcessVariant: Variant = {
  name: 'the in-process transport (standalone)',
  setUp(topic) {
    const transport = new InProcessTransport();
    return Promise.resolve({
      transport,
      publish: (events) =>
        transport.publish(
          events.map((e) => ({ topic, key: e.accountId, id: e.id, value: encodeEvent(e) })),
        ),
      // In process the table is the dead-letter queue itself.
      inDlq: () => Promise.resolve(true),
      tearDown: () => transport.close(),
    });
  },
};

describe.each([kafkaVariant, inProcessVariant])('replaying a dead letter on $name', (variant) => {
  let grantsDb: TestSchema;
  let auditDb: TestSchema;
  let topic: string;
  let bus: Awaited<ReturnType<Variant['setUp']>>;
  let grants: ServiceMessaging;
  let audit: ServiceMessaging;

  beforeAll(async () => {
    topic = `payments.v1.${uniqueName('desk').toLowerCase()}`;
    grantsDb = await createTestSchema('grants');
    auditDb = await createTestSchema('audit');
    await migrate(grantsDb.pool, grantsDb.schema, [...messagingMigrations, fixtures]);
    await migrate(auditDb.pool, auditDb.schema, [...messagingMigrations, fixtures]);
    bus = await variant.setUp(topic);
    const g = grantsDb.schema;
    const credit: ContractConsumer<typeof TOPICS.payments> = {
      consumerName: uniqueName('grants'),
      topic: TOPICS.payments,
      topics: [topic],
      maxHandlerAttempts: 2,
      retryBackoff: { initialMs: 10, maxMs: 20 },
      handler: async (event, client: pg.PoolClient) => {
        if (event.type !== 'GiftGranted') return;
        const known = await client.query(`SELECT 1 FROM ${g}.accounts WHERE account_id = $1`, [
          event.accountId,
        ]);
        if (known.rowCount === 0) throw new Error(`TEST.UNKNOWN_ACCOUNT: ${event.accountId}`);
        await client.query(
          `INSERT INTO ${g}.credits (event_id, account_id, amount) VALUES ($1, $2, $3)`,
          [event.id, event.accountId, event.data.amount],
        );
      },
    };
    const a = auditDb.schema;
    const see: ContractConsumer<typeof TOPICS.payments> = {
      consumerName: uniqueName('audit'),
      topic: TOPICS.payments,
      topics: [topic],
      handler: async (event, client: pg.PoolClient) => {
        await client.query(`INSERT INTO ${a}.seen (event_id) VALUES ($1)`, [event.id]);
      },
    };
    const common = { relay: false, subscribeBackoff: { initialMs: 20, maxMs: 200 } } as const;
    const via = bus.transport === undefined ? { kafka: bus.kafka } : { transport: bus.transport };
    grants = new ServiceMessaging({
      service: 'grants',
      ...common,
      ...via,
      pool: grantsDb.pool,
      schema: g,
      consumers: [credit],
    });
    audit = new ServiceMessaging({
      service: 'audit',
      ...common,
      ...via,
      pool: auditDb.pool,
      schema: a,
      consumers: [see],
    });
    grants.start();
    audit.start();
    await Promise.all([grants.ready, audit.ready]);
  }, 60_000);

  afterAll(async () => {
    await grants.stop();
    await audit.stop();
    await bus.tearDown();
    await grantsDb.drop();
    await auditDb.drop();
  }, 60_000);

  const credits = async (accountId: string): Promise<string[]> =>
    (
      await grantsDb.pool.query<{ amount: string }>(
        `SELECT amount::text FROM ${grantsDb.schema}.credits WHERE account_id = $1`,
        [accountId],
      )
    ).rows.map((r) => r.amount);
  const seen = async (eventId: string): Promise<number> =>
    (
      await auditDb.pool.query(`SELECT 1 FROM ${auditDb.schema}.seen WHERE event_id = $1`, [
        eventId,
      ])
    ).rowCount ?? 0;
  const deadLetterOf = (event: ContractEvent): Promise<StoredDeadLetter> =>
    eventually(async () =>
      (await readDeadLetters(grantsDb.pool, grantsDb.schema)).find((l) => l.messageId === event.id),
    );
  const createAccount = (accountId: string) =>
    grantsDb.pool.query(`INSERT INTO ${grantsDb.schema}.accounts VALUES ($1)`, [accountId]);

  it('applies the gift once the account exists, once; the other group never sees it again', async () => {
    const accountId = uniqueName('acct');
    const event = gift(accountId, '5.25');
    await bus.publish([event]);

    const letter = await deadLetterOf(event);
    expect(letter).toMatchObject({
      topic,
      key: accountId,
      reason: 'handler_failed',
      error: `TEST.UNKNOWN_ACCOUNT: ${accountId}`,
      replayedAt: null,
    });
    expect(await bus.inDlq(event)).toBe(true);
    await eventually(async () => ((await seen(event.id)) === 1 ? true : undefined));
    expect(await credits(accountId)).toEqual([]);

    // Before the cause is fixed: refused, nothing applied, still pending.
    expect(await grants.replayDeadLetter(letter.id)).toEqual({
      kind: 'refused',
      reason: 'handler_failed',
      error: `TEST.UNKNOWN_ACCOUNT: ${accountId}`,
    });
    expect((await deadLetterOf(event)).replayedAt).toBeNull();

    await createAccount(accountId);
    const first = await grants.replayDeadLetter(letter.id);
    expect(first).toMatchObject({
      kind: 'replayed',
      first: true,
      letter: { id: letter.id, replayOutcome: 'applied', replayedAt: expect.any(Date) as Date },
    });
    expect(await credits(accountId)).toEqual(['5.25']);

    const second = await grants.replayDeadLetter(letter.id);
    expect(second).toMatchObject({ kind: 'replayed', first: false, letter: { id: letter.id } });
    expect(await credits(accountId)).toEqual(['5.25']);

    // The audit group saw the gift once, and the replay reached no one else.
    expect(await seen(event.id)).toBe(1);

    // A redelivery of the original record now (an operator re-producing it with a Kafka tool,
    // an offset reset) is a duplicate for every group: the replay wrote the grants' inbox row.
    const marker = gift(accountId, '1');
    await bus.publish([event, marker]);
    await eventually(async () => ((await seen(marker.id)) === 1 ? true : undefined));
    await eventually(async () => ((await credits(accountId)).length === 2 ? true : undefined));
    expect((await credits(accountId)).sort()).toEqual(['1', '5.25']);
    expect(await seen(event.id)).toBe(1);
  }, 60_000);

  it('applies one of two concurrent replays of the same dead letter', async () => {
    const accountId = uniqueName('acct');
    const event = gift(accountId, '0.000000001');
    await bus.publish([event]);
    const letter = await deadLetterOf(event);
    await createAccount(accountId);

    const results: DeadLetterReplay[] = await Promise.all([
      grants.replayDeadLetter(letter.id),
      grants.replayDeadLetter(letter.id),
    ]);
    expect(results.map((r) => r.kind)).toEqual(['replayed', 'replayed']);
    expect(results.filter((r) => r.kind === 'replayed' && r.first)).toHaveLength(1);
    expect(await credits(accountId)).toEqual(['0.000000001']);
  }, 60_000);

  it('answers not-found for a dead letter it does not have', async () => {
    expect(await grants.replayDeadLetter('999999999')).toEqual({ kind: 'not-found' });
  });
});
