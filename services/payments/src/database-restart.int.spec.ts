import { DATABASE_UNAVAILABLE } from '@billing/service-kit';
import { eventually, PrivatePostgres, uniqueName } from '@billing/testing';
import type { CreatedTopUp } from './commands/create-top-up/create-top-up.command.js';
import {
  createPaymentsTestApp,
  PaymentsTopicReader,
  type PaymentsTestApp,
} from './testing/payments-test-app.js';

// Payments on a PostgreSQL cluster of its own, restarted with `pg_ctl stop -m immediate`: a Stripe
// webhook that arrives while the database is away is answered 503 (so Stripe retries it), the
// retry after the restart lands exactly once, the auto top-up charger listens again and charges
// once, and the outbox relay publishes what was decided after the restart.

let pgServer: PrivatePostgres;
let t: PaymentsTestApp;
let reader: PaymentsTopicReader;
const sharedUrl = process.env.DATABASE_URL;
const prefix = uniqueName('pgr').slice(0, 20);

beforeAll(async () => {
  pgServer = await PrivatePostgres.create();
  process.env.DATABASE_URL = pgServer.url();
  t = await createPaymentsTestApp();
  if (!t.kafka) throw new Error('kafka expected');
  reader = await PaymentsTopicReader.start(t.kafka, prefix);
}, 120_000);

afterAll(async () => {
  await reader?.stop().catch(() => undefined);
  await t?.close().catch(() => undefined);
  await pgServer?.destroy();
  if (sharedUrl === undefined) delete process.env.DATABASE_URL;
  else process.env.DATABASE_URL = sharedUrl;
}, 120_000);

const health = async (): Promise<number> => (await t.http('GET', '/health')).status;

describe('a PostgreSQL restart under payments', () => {
  it('answers a webhook 503 while away, applies its retry once, and charges auto top-ups after', async () => {
    const accountId = `${prefix}_1`;
    const created = await t.http<CreatedTopUp>('POST', `/v1/accounts/${accountId}/top-ups`, {
      token: await t.tokenFor(accountId),
      body: { amount: '100' },
    });
    expect(created.status).toBe(201);
    const sessionId = /\/c\/pay\/(cs_test_\w+)$/.exec(created.body.checkoutUrl)?.[1] ?? '';
    const paid = t.stripe.completeCheckoutSession(sessionId, {});
    expect(t.charger.listening).toBe(true);

    await pgServer.stop('immediate');
    const stoppedAt = Date.now();
    expect(await health()).toBe(503);
    const during = await t.stripe.deliver(paid.completed);
    expect(during.status).toBe(503);
    expect(JSON.parse(during.body)).toEqual({
      error: { code: DATABASE_UNAVAILABLE, message: 'the database is unavailable; retry later' },
    });
    const topUpDuring = await t.http('GET', `/v1/accounts/${accountId}/top-ups`);
    expect(topUpDuring.status).toBe(503);

    await new Promise((r) => setTimeout(r, 2_000));
    await pgServer.start();
    const startedAt = Date.now();
    await eventually(async () => ((await health()) === 200 ? true : undefined), 30_000, 100);
    const healthyAfterMs = Date.now() - startedAt;

    // Stripe retries the event, more than once (its retries overlap with ours).
    const retried = await eventually(
      async () => {
        const r = await t.stripe.deliver(paid.completed);
        return r.status === 200 ? r : undefined;
      },
      30_000,
      200,
    );
    expect(JSON.parse(retried.body)).toEqual({ received: true, outcome: 'applied' });
    const again = await t.stripe.deliver(paid.completed);
    expect(again.status).toBe(200);
    expect(JSON.parse(again.body)).not.toEqual({ received: true, outcome: 'applied' });

    const events = await reader.waitFor(accountId, 2, 30_000);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(
      reader
        .of(accountId)
        .map((e) => `${e.type}:${(e.data as { amount?: string }).amount ?? ''}`)
        .sort(),
    ).toEqual(['BonusGranted:20', 'TopUpSettled:100']);
    expect(events).toHaveLength(2);
    expect(
      await t.count('top_ups', "top_up_id = $1 AND status = 'settled'", [created.body.topUpId]),
    ).toBe(1);

    // The charger's LISTEN connection is back, and an auto top-up after the restart charges once.
    await eventually(() => (t.charger.listening ? true : undefined), 30_000);
    const autoAccount = `${prefix}_2`;
    const paymentMethodId = await t.linkCard(autoAccount);
    const configured = await t.http('PUT', `/v1/accounts/${autoAccount}/auto-top-up`, {
      token: await t.tokenFor(autoAccount),
      body: {
        enabled: true,
        threshold: '10',
        amount: '50',
        paymentMethodId,
      },
    });
    expect(configured.status).toBe(200);
    await t.publishBalances(autoAccount, [{ total: '5', version: 1 }]);
    const autoEvents = await reader.waitFor(autoAccount, 2, 30_000);
    expect(autoEvents.find((e) => e.type === 'TopUpSettled')?.data).toMatchObject({
      amount: '50',
      trigger: 'auto',
    });
    const intents = t.stripe
      .requestsTo('POST', '/v1/payment_intents')
      .filter(
        (r) => (r.params.metadata as Record<string, string> | undefined)?.accountId === autoAccount,
      );
    expect(new Set(intents.map((r) => r.idempotencyKey)).size).toBe(1);

    process.stdout.write(
      `payments: database down ${startedAt - stoppedAt} ms; /health 200 ${healthyAfterMs} ms ` +
        'after the restart\n',
    );
  }, 180_000);
});
