import { randomUUID } from 'node:crypto';
import { createEvent, encodeEvent, TOPICS, type PaymentsEvent } from '@billing/contracts';
import {
  enqueue,
  InProcessTransport,
  messagingMigrations,
  readDeadLetters,
} from '@billing/messaging';
import { createTestSchema, eventually, type TestSchema } from '@billing/testing';
import { migrate } from './database.js';
import { contractDecoder, ServiceMessaging } from './messaging.js';

// A publishing service and a consuming service, each with its own schema, wired the way every
// service is: outbox -> relay -> transport -> idempotent consumer. The in-process transport is
// the standalone mode's; the Kafka transport passes the same contract in libs/messaging.

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

describe('ServiceMessaging', () => {
  let producer: TestSchema;
  let consumer: TestSchema;
  beforeEach(async () => {
    producer = await createTestSchema('pub');
    consumer = await createTestSchema('sub');
    await migrate(producer.pool, producer.schema, messagingMigrations);
    await migrate(consumer.pool, consumer.schema, messagingMigrations);
  });
  afterEach(async () => {
    await producer.drop();
    await consumer.drop();
  });

  it('delivers committed outbox events to a contract consumer once, and dead-letters invalid ones', async () => {
    const transport = new InProcessTransport();
    const received: PaymentsEvent[] = [];
    const subscriber = new ServiceMessaging({
      service: 'sub',
      transport,
      pool: consumer.pool,
      schema: consumer.schema,
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
    });
    const publisher = new ServiceMessaging({
      service: 'pub',
      transport,
      pool: producer.pool,
      schema: producer.schema,
      relay: true,
      consumers: [],
    });
    await subscriber.onApplicationBootstrap();
    await publisher.onApplicationBootstrap();
    try {
      const good = giftEvent('acct_1');
      const client = await producer.pool.connect();
      try {
        await client.query('BEGIN');
        const message = {
          topic: TOPICS.payments,
          key: good.accountId,
          id: good.id,
          value: encodeEvent(good),
        };
        // The same event twice (a relay retry would look like this) and one that breaks the contract.
        await enqueue(client, [message, message], producer.schema);
        await enqueue(
          client,
          [
            {
              topic: TOPICS.payments,
              key: 'acct_1',
              id: randomUUID(),
              value: '{"type":"GiftGranted"}',
            },
          ],
          producer.schema,
        );
        await client.query('COMMIT');
      } finally {
        client.release();
      }
      const dead = await eventually(async () => {
        const rows = await readDeadLetters(consumer.pool, consumer.schema);
        return rows.length === 1 ? rows : undefined;
      });
      expect(dead[0]?.reason).toMatch(/^INVALID_ENVELOPE: /);
      await eventually(() => (received.length >= 1 ? true : undefined));
      expect(received.map((e) => e.id)).toEqual([good.id]);
      expect(received[0]).toMatchObject({ type: 'GiftGranted', data: { amount: '5' } });
    } finally {
      await publisher.beforeApplicationShutdown();
      await subscriber.beforeApplicationShutdown();
      await transport.close();
    }
  });
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
