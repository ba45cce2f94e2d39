import { decodeEvent, encodeEvent, type UsageRecorded } from '@billing/contracts';
import {
  InProcessTransport,
  messagingMigrations,
  readDeadLetters,
  type Subscription,
} from '@billing/messaging';
import { configureApp, migrate } from '@billing/service-kit';
import {
  createTestSchema,
  eventually,
  startTestApp,
  testDatabaseUrl,
  type TestApp,
  type TestSchema,
} from '@billing/testing';
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
    { configure: (app) => configureApp(app, 'metering'), logger: ['error'], schema },
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
});
