import { decodeEvent, encodeEvent, type UsageRecorded } from '@billing/contracts';
import {
  InProcessTransport,
  messagingMigrations,
  readDeadLetters,
  type Subscription,
} from '@billing/messaging';
import { configureApp, migrate, type DeadLetterPage } from '@billing/service-kit';
import {
  createTestSchema,
  eventually,
  startTestApp,
  testDatabaseUrl,
  uniqueName,
  type TestApp,
  type TestSchema,
} from '@billing/testing';
import { priceObservation } from '../domain/price-observation.js';
import { CatalogStore } from '../infrastructure/catalog-store.js';
import { MeteringModule } from '../metering.module.js';
import { MeteringMessaging } from './metering-messaging.js';
import {
  ADMIN_TOKEN,
  CONSOLE_JWT_SECRET,
  testAccount,
  usageObserved,
} from '../testing/metering-test-app.js';

// The standalone mode's wiring: the same module on the in-process transport instead of Kafka.
// Usage is priced and its UsageRecorded relayed to an in-process subscriber; usage that cannot be
// priced lands in the subscriber schema's dead_letters table with the same reason as on Kafka.

let t: TestApp;
let transport: InProcessTransport;
let sink: TestSchema;
let sinkSubscription: Subscription;
const received: UsageRecorded[] = [];
const schema = `metering_inproc_${Date.now()}`;

beforeAll(async () => {
  transport = new InProcessTransport();
  // A stand-in for the ledger: the relay refuses topics nobody subscribes to.
  sink = await createTestSchema('sink');
  await migrate(sink.pool, sink.schema, messagingMigrations);
  sinkSubscription = await transport.subscribe<UsageRecorded>({
    consumerName: 'sink',
    topics: ['usage.recorded.v1'],
    pool: sink.pool,
    schema: sink.schema,
    decode: (value) => {
      const d = decodeEvent(value, { topic: 'usage.recorded.v1' });
      return d.ok && d.event.type === 'UsageRecorded'
        ? { ok: true, message: d.event }
        : { ok: false, reason: 'not a UsageRecorded' };
    },
    messageId: (e) => e.id,
    handler: (e) => {
      received.push(e);
      return Promise.resolve();
    },
  });
  t = await startTestApp(
    MeteringModule.forRoot({
      databaseUrl: testDatabaseUrl(),
      adminToken: ADMIN_TOKEN,
      consoleJwtSecret: CONSOLE_JWT_SECRET,
      schema,
      transport,
    }),
    {
      configure: (app) => configureApp(app, 'metering'),
      logger: ['error'],
      schema,
      token: ADMIN_TOKEN,
    },
  );
  await t.app.get(MeteringMessaging).ready;
}, 60_000);

afterAll(async () => {
  await t.close();
  await sinkSubscription.stop();
  await transport.close();
  await sink.drop();
}, 60_000);

describe('metering on the in-process transport', () => {
  it('prices usage and relays UsageRecorded; unpriceable usage goes to dead_letters with its reason', async () => {
    const accountId = testAccount();
    const good = usageObserved(accountId, { model: 'sim/echo-1' });
    const unknown = usageObserved(accountId, { model: 'acme/nope' });
    await transport.publish(
      [good, unknown].map((e) => ({
        topic: 'usage.observed.v1',
        key: e.accountId,
        id: e.id,
        value: encodeEvent(e),
      })),
    );
    const recorded = await eventually(() =>
      received.find((e) => e.data.requestId === good.data.requestId),
    );
    expect(recorded.causationId).toBe(good.id);
    expect(recorded.data.cost).toBe('0.002');
    const letters = await readDeadLetters(sink.pool, schema);
    expect(letters.map((l) => l.reason)).toEqual([
      'METERING.UNKNOWN_MODEL: model "acme/nope" is not in the price catalog',
    ]);
  }, 30_000);

  it('lists the dead letter on the desk and, once the model is priced, replays it exactly once (the standalone mode)', async () => {
    const accountId = testAccount();
    const modelId = `test/${uniqueName('inproc').toLowerCase().replaceAll('_', '-')}`;
    const usage = usageObserved(accountId, { model: modelId, inputTokens: 2000, outputTokens: 0 });
    await transport.publish([
      { topic: 'usage.observed.v1', key: accountId, id: usage.id, value: encodeEvent(usage) },
    ]);
    const page = await t.http<DeadLetterPage>(
      'GET',
      '/v1/admin/dead-letters/metering?topic=usage.observed.v1',
    );
    expect(page.status).toBe(200);
    const letter = page.body.data.find((l) => l.key === accountId);
    expect(letter).toMatchObject({
      topic: 'usage.observed.v1',
      eventId: usage.id,
      eventType: 'UsageObserved',
      reason: `METERING.UNKNOWN_MODEL: model "${modelId}" is not in the price catalog`,
      replayedAt: null,
    });
    const id = letter?.id ?? '';
    expect((await t.http('POST', `/v1/admin/dead-letters/metering/${id}/replay`)).status).toBe(422);

    const priced = await t.http('PUT', `/v1/admin/models/${modelId}`, {
      body: {
        displayName: 'In-process dead-letter model',
        contextWindow: 100_000,
        maxOutputTokens: 10_000,
        prices: { input: '0.3', output: '1' },
        effectiveFrom: '2026-01-01T00:00:00Z',
        allowRetroactive: true,
      },
    });
    expect(priced.status).toBe(201);
    const catalog = t.app.get(CatalogStore);
    await eventually(() =>
      priceObservation(catalog.current.catalog, usage).ok ? true : undefined,
    );

    const replayed = await t.http<{ outcome: string }>(
      'POST',
      `/v1/admin/dead-letters/metering/${id}/replay`,
    );
    expect(replayed.status).toBe(200);
    expect(replayed.body.outcome).toBe('applied');
    // 2000 input tokens at $0.30 per million: $0.0006, relayed once to the subscriber.
    const recorded = await eventually(() =>
      received.find((e) => e.data.requestId === usage.data.requestId),
    );
    expect(recorded.data.cost).toBe('0.0006');
    const again = await t.http<{ error: { code: string } }>(
      'POST',
      `/v1/admin/dead-letters/metering/${id}/replay`,
    );
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('DEAD_LETTERS.ALREADY_REPLAYED');
    const { rows } = await t.db.query<{ cost: string }>(
      `SELECT cost_nano_usd::text AS cost FROM ${schema}.request_log WHERE account_id = $1`,
      [accountId],
    );
    expect(rows).toEqual([{ cost: '600000' }]);
    // Give the relay a moment: still one UsageRecorded for the request.
    await new Promise((r) => setTimeout(r, 300));
    expect(received.filter((e) => e.data.requestId === usage.data.requestId)).toHaveLength(1);
  }, 30_000);
});
