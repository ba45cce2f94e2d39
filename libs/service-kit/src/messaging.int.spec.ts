import { randomUUID } from 'node:crypto';
import {
  createEvent,
  encodeEvent,
  TOPICS,
  type PaymentsEvent,
  type ContractEvent,
} from '@billing/contracts';
import {
  countUnpublished,
  enqueue,
  InProcessTransport,
  messagingMigrations,
  readDeadLetters,
  type OutboxMessage,
  type Subscription,
  type SubscriptionOptions,
} from '@billing/messaging';
import {
  createTestSchema,
  createTestTopics,
  deleteTestTopics,
  eventually,
  FAST_CONSUMER_TUNING,
  testKafka,
  testKafkaBrokers,
  testKafkaSecurity,
  type TestSchema,
  uniqueName,
} from '@billing/testing';
import { migrate } from './database.js';
import {
  type ContractConsumer,
  contractDecoder,
  ServiceMessaging,
  type ServiceMessagingOptions,
  type Transport,
} from './messaging.js';

// A publishing service and a consuming service, each with its own schema, wired the way every
// service is: outbox -> relay -> transport -> idempotent consumer. Most cases run on the
// in-process transport (the standalone mode's); one runs on Kafka, with the transport created,
// joined and closed by ServiceMessaging itself. The transports themselves pass the same
// contract in libs/messaging.

function giftEvent(accountId: string, amount = '5') {
  return createEvent({
    type: 'GiftGranted',
    id: randomUUID(),
    occurredAt: new Date(),
    accountId,
    source: 'payments',
    data: { giftId: randomUUID(), amount, reason: 'welcome' },
  });
}

const outboxMessage = (topic: string, event: ContractEvent): OutboxMessage => ({
  topic,
  key: event.accountId,
  id: event.id,
  value: encodeEvent(event),
});

async function enqueueCommitted(db: TestSchema, messages: readonly OutboxMessage[]): Promise<void> {
  const client = await db.pool.connect();
  try {
    await client.query('BEGIN');
    await enqueue(client, messages, db.schema);
    await client.query('COMMIT');
  } finally {
    client.release();
  }
}

/** A transport whose subscribe() fails until `outage` is over, as a broker that is down. */
class FlakyTransport implements Transport {
  attempts = 0;
  constructor(
    private readonly inner: Transport,
    private outage: number,
  ) {}
  publish(messages: readonly OutboxMessage[]): Promise<void> {
    return this.inner.publish(messages);
  }
  subscribe<T>(options: SubscriptionOptions<T>): Promise<Subscription> {
    this.attempts += 1;
    if (this.outage-- > 0) return Promise.reject(new Error('ECONNREFUSED (simulated outage)'));
    return this.inner.subscribe(options);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

describe('ServiceMessaging', () => {
  let producer: TestSchema;
  let consumer: TestSchema;
  const started: ServiceMessaging[] = [];
  beforeEach(async () => {
    producer = await createTestSchema('pub');
    consumer = await createTestSchema('sub');
    await migrate(producer.pool, producer.schema, messagingMigrations);
    await migrate(consumer.pool, consumer.schema, messagingMigrations);
  });
  afterEach(async () => {
    for (const m of started.splice(0)) await m.stop();
    await producer.drop();
    await consumer.drop();
  });

  function start(
    options: Omit<ServiceMessagingOptions, 'pool' | 'schema'>,
    db: TestSchema,
  ): ServiceMessaging {
    const messaging = new ServiceMessaging({
      subscribeBackoff: { initialMs: 20, maxMs: 100 },
      ...options,
      pool: db.pool,
      schema: db.schema,
    });
    messaging.start();
    started.push(messaging);
    return messaging;
  }

  it('delivers committed outbox events to a contract consumer once, and dead-letters invalid ones', async () => {
    const transport = new InProcessTransport();
    const received: PaymentsEvent[] = [];
    const subscriber = start(
      {
        service: 'sub',
        transport,
        relay: false,
        consumers: [
          {
            consumerName: 'sub.payments',
            topic: TOPICS.payments,
            handler: (event) => {
              received.push(event as PaymentsEvent);
              return Promise.resolve();
            },
          },
        ],
      },
      consumer,
    );
    await subscriber.ready;
    start({ service: 'pub', transport, relay: true, consumers: [] }, producer);
    const good = giftEvent('acct_1');
    const message = outboxMessage(TOPICS.payments, good);
    // The same event twice (a relay retry would look like this) and one that breaks the contract.
    await enqueueCommitted(producer, [
      message,
      message,
      { topic: TOPICS.payments, key: 'acct_1', id: randomUUID(), value: '{"type":"GiftGranted"}' },
    ]);
    const dead = await eventually(async () => {
      const rows = await readDeadLetters(consumer.pool, consumer.schema);
      return rows.length === 1 ? rows : undefined;
    });
    expect(dead[0]?.reason).toMatch(/^INVALID_ENVELOPE: /);
    await eventually(() => (received.length >= 1 ? true : undefined));
    expect(received.map((e) => e.id)).toEqual([good.id]);
    expect(received[0]).toMatchObject({ type: 'GiftGranted', data: { amount: '5' } });
  });

  it('reads its own physical topic with the contract rules, refines events with decode, and hands chunks to handleChunk', async () => {
    const transport = new InProcessTransport();
    const physical = `payments.v1.${uniqueName('own')}`;
    const chunks: { giftId: string; cents: number }[][] = [];
    const gifts: ContractConsumer<typeof TOPICS.payments, { giftId: string; cents: number }> = {
      consumerName: 'sub.gifts',
      topic: TOPICS.payments,
      topics: [physical],
      // A refusal is the message's property: dead-lettered with this reason, never retried.
      decode: (event) =>
        event.type !== 'GiftGranted'
          ? { ok: false, reason: `TEST.NOT_A_GIFT: ${event.type}` }
          : event.data.amount === '13'
            ? { ok: false, reason: 'TEST.UNLUCKY: 13 is refused' }
            : {
                ok: true,
                message: { giftId: event.data.giftId, cents: Number(event.data.amount) * 100 },
              },
      handleChunk: (messages) => {
        chunks.push(messages.map((m) => m.message));
        return Promise.resolve();
      },
    };
    const subscriber = start(
      { service: 'sub', transport, relay: false, consumers: [gifts] },
      consumer,
    );
    await subscriber.ready;
    const events = [giftEvent('acct_2', '1'), giftEvent('acct_2', '13'), giftEvent('acct_2', '2')];
    await enqueueCommitted(
      producer,
      events.map((e) => outboxMessage(physical, e)),
    );
    start({ service: 'pub', transport, relay: { pollIntervalMs: 20 }, consumers: [] }, producer);

    const dead = await eventually(async () => {
      const rows = await readDeadLetters(consumer.pool, consumer.schema, 'sub.gifts');
      return rows.length === 1 ? rows : undefined;
    });
    expect(dead[0]?.reason).toBe('TEST.UNLUCKY: 13 is refused');
    expect(dead[0]?.topic).toBe(physical);
    await eventually(() => (chunks.flat().length >= 2 ? true : undefined));
    // One lane, one relay batch: the two good ones arrive as one chunk, already refined.
    expect(chunks).toEqual([
      [
        { giftId: events[0]?.data.giftId, cents: 100 },
        { giftId: events[2]?.data.giftId, cents: 200 },
      ],
    ]);
  });

  it('boots while the broker is down: subscribes in the background with backoff and is ready once it succeeds', async () => {
    const transport = new FlakyTransport(new InProcessTransport(), 3);
    let isReady = false;
    const messaging = start(
      {
        service: 'sub',
        transport,
        relay: false,
        consumers: [
          { consumerName: 'sub.flaky', topic: TOPICS.payments, handler: () => Promise.resolve() },
        ],
      },
      consumer,
    );
    void messaging.ready.then(() => (isReady = true));
    // start() returned at once, before any subscription succeeded.
    expect(isReady).toBe(false);
    await messaging.ready;
    expect(transport.attempts).toBe(4);
  });

  it('stops at once while a consumer cannot subscribe, and is never ready', async () => {
    const transport = new FlakyTransport(new InProcessTransport(), Number.POSITIVE_INFINITY);
    const messaging = new ServiceMessaging({
      service: 'sub',
      transport,
      pool: consumer.pool,
      schema: consumer.schema,
      relay: false,
      // A long backoff: stop() must cut the wait short rather than sit it out.
      subscribeBackoff: { initialMs: 60_000, maxMs: 60_000 },
      consumers: [
        { consumerName: 'sub.down', topic: TOPICS.payments, handler: () => Promise.resolve() },
      ],
    });
    messaging.start();
    await eventually(() => (transport.attempts >= 1 ? true : undefined));
    const before = Date.now();
    await messaging.stop();
    expect(Date.now() - before).toBeLessThan(1_000);
    const outcome = await Promise.race([
      messaging.ready.then(() => 'ready'),
      new Promise((r) => setTimeout(() => r('pending'), 100)),
    ]);
    expect(outcome).toBe('pending');
  });

  it('without a transport or Kafka brokers neither consumes nor publishes, and stops cleanly', async () => {
    await enqueueCommitted(consumer, [outboxMessage(TOPICS.payments, giftEvent('acct_4'))]);
    const messaging = start(
      {
        service: 'idle',
        kafka: { brokers: [], clientId: 'idle' },
        relay: { pollIntervalMs: 10 },
        consumers: [
          {
            consumerName: 'idle.payments',
            topic: TOPICS.payments,
            handler: () => Promise.resolve(),
          },
        ],
      },
      consumer,
    );
    const outcome = await Promise.race([
      messaging.ready.then(() => 'ready'),
      new Promise((r) => setTimeout(() => r('pending'), 200)),
    ]);
    expect(outcome).toBe('pending');
    await messaging.stop();
    expect(await countUnpublished(consumer.pool, consumer.schema)).toBe(1);
  });

  it("prunes its consumers' inbox on its schedule, only past the retention, and refuses to start with an unsafe retention", async () => {
    const DAY_MS = 86_400_000;
    await consumer.pool.query(
      `INSERT INTO ${consumer.schema}.inbox (consumer_name, message_id, processed_at)
       VALUES ('pruned.payments', 'old', now() - interval '16 days'),
              ('pruned.payments', 'kept', now() - interval '14 days')`,
    );
    const consumers = [
      { consumerName: 'pruned.payments', topic: TOPICS.payments, handler: () => Promise.resolve() },
    ] as const;
    start(
      {
        service: 'pruned',
        kafka: { brokers: [], clientId: 'pruned' },
        relay: false,
        consumers,
        inboxPruning: { retentionMs: 15 * DAY_MS, intervalMs: 20 },
      },
      consumer,
    );
    const left = await eventually(async () => {
      const { rows } = await consumer.pool.query<{ message_id: string }>(
        `SELECT message_id FROM ${consumer.schema}.inbox`,
      );
      return rows.length === 1 ? rows.map((r) => r.message_id) : undefined;
    });
    expect(left).toEqual(['kept']);

    const unsafe = new ServiceMessaging({
      service: 'unsafe',
      pool: consumer.pool,
      schema: consumer.schema,
      relay: false,
      consumers,
      inboxPruning: { retentionMs: 7 * DAY_MS },
    });
    expect(() => unsafe.start()).toThrow(
      'would delete rows whose messages the broker can still redeliver',
    );
  });

  it('on Kafka: creates its transport, is ready once the group has joined, delivers, and closes it at stop', async () => {
    const kafka = testKafka();
    const physical = `payments.v1.${uniqueName('sk')}`.toLowerCase();
    await createTestTopics(kafka, [physical, `${physical}.dlq`]);
    try {
      const received: string[] = [];
      const settings = {
        brokers: testKafkaBrokers(),
        clientId: uniqueName('sk'),
        consumer: FAST_CONSUMER_TUNING,
        security: testKafkaSecurity(),
      };
      const subscriber = start(
        {
          service: 'sub',
          kafka: settings,
          relay: false,
          consumers: [
            {
              consumerName: uniqueName('sub-payments'),
              topic: TOPICS.payments,
              topics: [physical],
              handler: (event) => {
                received.push((event as PaymentsEvent).id);
                return Promise.resolve();
              },
            },
          ],
        },
        consumer,
      );
      await subscriber.ready;
      start(
        { service: 'pub', kafka: settings, relay: { pollIntervalMs: 50 }, consumers: [] },
        producer,
      );
      const event = giftEvent('acct_3');
      await enqueueCommitted(producer, [outboxMessage(physical, event)]);
      await eventually(() => (received.length >= 1 ? true : undefined), 20_000);
      expect(received).toEqual([event.id]);
    } finally {
      for (const m of started.splice(0)) await m.stop();
      await deleteTestTopics(kafka, [physical, `${physical}.dlq`]).catch(() => undefined);
    }
  }, 40_000);
});

describe('contractDecoder', () => {
  it('refuses an event that belongs to another topic, naming the code', () => {
    const event = giftEvent('acct_1');
    const result = contractDecoder(TOPICS.ledger)(Buffer.from(encodeEvent(event)));
    expect(result).toEqual({
      ok: false,
      reason: expect.stringMatching(/^WRONG_TOPIC: /) as string,
    });
  });

  it('refuses money sent as a JSON number', () => {
    const event = giftEvent('acct_1');
    const raw = encodeEvent(event).replace('"amount":"5"', '"amount":5');
    const result = contractDecoder(TOPICS.payments)(Buffer.from(raw));
    expect(result.ok).toBe(false);
  });
});
