// A service's health and metrics against the real PostgreSQL and Kafka: a Nest application built
// the way every service is (serviceModule: ServiceKitModule, its ServiceMessaging with one Kafka
// consumer), listening on a port of its own and probed over HTTP.
import { randomUUID } from 'node:crypto';
import { createEvent, encodeEvent, TOPICS, type ContractEvent } from '@billing/contracts';
import {
  enqueue,
  messagingMigrations,
  type KafkaClient,
  type OutboxMessage,
} from '@billing/messaging';
import {
  createTestSchema,
  createTestTopics,
  deleteTestTopics,
  eventually,
  FAST_CONSUMER_TUNING,
  testDatabaseUrl,
  testKafka,
  testKafkaBrokers,
  testKafkaSecurity,
  TestProducer,
  type TestSchema,
  uniqueName,
} from '@billing/testing';
import { type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type pg from 'pg';
import { configureApp, serviceModule } from './bootstrap.js';
import { migrate } from './database.js';
import { PG_POOL } from './health.js';
import { ServiceMessaging } from './messaging.js';

@Module({})
class ObservedModule {}

function giftEvent(accountId: string): ContractEvent {
  return createEvent({
    type: 'GiftGranted',
    id: randomUUID(),
    occurredAt: new Date(),
    accountId,
    source: 'payments',
    data: { giftId: randomUUID(), amount: '5', reason: 'welcome' },
  });
}

describe('health and metrics of a service on the real PostgreSQL and Kafka', () => {
  let db: TestSchema;
  let kafka: KafkaClient;
  let topic: string;
  let app: INestApplication;
  let base: string;
  let messaging: ServiceMessaging;
  const consumerName = uniqueName('obs-gifts');
  const applied: string[] = [];

  beforeAll(async () => {
    db = await createTestSchema('obs');
    await migrate(db.pool, db.schema, messagingMigrations);
    kafka = testKafka();
    topic = `payments.v1.${uniqueName('obs')}`.toLowerCase();
    await createTestTopics(kafka, [topic, `${topic}.dlq`]);
    const module = serviceModule({
      module: ObservedModule,
      service: 'observed',
      options: {
        token: Symbol('OBSERVED_OPTIONS'),
        value: { databaseUrl: testDatabaseUrl(), poolSize: 4 },
      },
      controllers: [],
      providers: [
        {
          provide: ServiceMessaging,
          inject: [PG_POOL],
          useFactory: (pool: pg.Pool) =>
            new ServiceMessaging({
              service: 'observed',
              kafka: {
                brokers: testKafkaBrokers(),
                clientId: uniqueName('obs'),
                consumer: FAST_CONSUMER_TUNING,
                security: testKafkaSecurity(),
              },
              pool,
              schema: db.schema,
              // No relay: what is enqueued stays in the outbox, as when the relay is down.
              relay: false,
              subscribeBackoff: { initialMs: 50, maxMs: 200 },
              consumers: [
                {
                  consumerName,
                  topic: TOPICS.payments,
                  topics: [topic],
                  handler: (event) => {
                    applied.push((event as ContractEvent).id);
                    return Promise.resolve();
                  },
                },
              ],
            }),
        },
      ],
    });
    app = await NestFactory.create(module, { logger: false });
    configureApp(app, 'observed');
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
    base = base.replace('[::1]', '127.0.0.1');
    messaging = app.get(ServiceMessaging);
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await deleteTestTopics(kafka, [topic, `${topic}.dlq`]).catch(() => undefined);
    await db?.drop();
  });

  const get = async (path: string): Promise<{ status: number; body: unknown }> => {
    const res = await fetch(`${base}${path}`);
    const text = await res.text();
    return {
      status: res.status,
      body: res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text,
    };
  };

  /** The value of one series in the `/metrics` text (labels in any order), or undefined. */
  const sample = async (series: string): Promise<number | undefined> => {
    const key = (text: string): string => {
      const match = /^([^{\s]+)(?:\{(.*)\})?$/.exec(text);
      const labels = (match?.[2] ?? '').split(',').filter((l) => l !== '');
      return `${match?.[1] ?? text}{${labels.sort().join(',')}}`;
    };
    const wanted = key(series);
    const { body } = await get('/metrics');
    for (const line of String(body).split('\n')) {
      const space = line.lastIndexOf(' ');
      if (space > 0 && key(line.slice(0, space)) === wanted) return Number(line.slice(space + 1));
    }
    return undefined;
  };

  it('is ready once its consumer runs; a stopped consumer makes it not ready (503) while it stays live, and ready again once restarted', async () => {
    await messaging.ready;
    const ready = await eventually(async () => {
      const answer = await get('/health/ready');
      return answer.status === 200 ? answer : undefined;
    }, 30_000);
    expect(ready.body).toEqual({
      status: 'ok',
      service: 'observed',
      checks: { database: 'up', broker: 'up', [`consumer:${consumerName}`]: 'up' },
    });
    // `/health` is the same answer as ready, for the tools that call it.
    expect(await get('/health')).toEqual(ready);

    await messaging.stopConsumer(consumerName);
    expect(await get('/health/ready')).toEqual({
      status: 503,
      body: {
        status: 'degraded',
        service: 'observed',
        checks: { database: 'up', broker: 'up', [`consumer:${consumerName}`]: 'down' },
      },
    });
    expect((await get('/health')).status).toBe(503);
    expect(await get('/health/live')).toEqual({
      status: 200,
      body: { status: 'ok', service: 'observed' },
    });

    await messaging.restartConsumer(consumerName);
    const again = await eventually(async () => {
      const answer = await get('/health/ready');
      return answer.status === 200 ? answer : undefined;
    }, 30_000);
    expect(again.body).toEqual(ready.body);
  }, 90_000);

  it('counts dead letters by topic and reason, reports consumer lag per partition, the outbox backlog and its age, and HTTP requests by route template', async () => {
    const producer = new TestProducer(kafka);
    try {
      const deadLetters = `messaging_dead_letters_total{topic="${topic}",reason="INVALID_JSON",service="observed"}`;
      expect(await sample(deadLetters)).toBeUndefined();
      // A poison record and a good one after it, on the same key (one partition).
      await producer.send(topic, [{ key: 'acct_obs', value: '{not json' }]);
      const good = giftEvent('acct_obs');
      await producer.sendEvents(topic, [good]);
      await eventually(() => (applied.includes(good.id) ? true : undefined), 30_000);
      expect(await eventually(() => sample(deadLetters), 10_000)).toBe(1);
      const { body } = await get('/metrics');
      const lag = String(body)
        .split('\n')
        .filter((l) =>
          l.startsWith(`messaging_consumer_lag_messages{group="${consumerName}",topic="${topic}"`),
        );
      expect(lag).toHaveLength(1);
      expect(lag[0]).toMatch(/partition="\d+",service="observed"} 0$/);
    } finally {
      await producer.disconnect();
    }

    // Two rows the relay (not running here) never published: the backlog, and an age that grows.
    const backlog = `messaging_outbox_backlog_messages{outbox="${db.schema}",service="observed"}`;
    const age = `messaging_outbox_oldest_unpublished_age_seconds{outbox="${db.schema}",service="observed"}`;
    expect(await sample(backlog)).toBe(0);
    expect(await sample(age)).toBe(0);
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      const messages: OutboxMessage[] = [giftEvent('acct_a'), giftEvent('acct_b')].map((e) => ({
        topic,
        key: e.accountId,
        id: e.id,
        value: encodeEvent(e),
      }));
      await enqueue(client, messages, db.schema);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    await new Promise((r) => setTimeout(r, 1_100));
    expect(await sample(backlog)).toBe(2);
    expect(await sample(age)).toBeGreaterThanOrEqual(1);

    // Requests by route template and status class (the probes of the test before included).
    const readyCount = `http_server_request_duration_seconds_count{method="GET",route="/health/ready",status_class="2xx",service="observed"}`;
    const before = (await sample(readyCount)) ?? 0;
    await get('/health/ready');
    expect(await sample(readyCount)).toBe(before + 1);
    expect(
      await sample(
        `http_server_request_duration_seconds_count{method="GET",route="/health/ready",status_class="5xx",service="observed"}`,
      ),
    ).toBeGreaterThanOrEqual(1);
    // Paths that no route takes are one label, whatever they are.
    await get(`/no/such/${randomUUID()}`);
    expect(
      await sample(
        `http_server_request_duration_seconds_count{method="GET",route="unmatched",status_class="4xx",service="observed"}`,
      ),
    ).toBeGreaterThanOrEqual(1);
  }, 90_000);
});
