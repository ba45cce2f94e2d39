import { parseUsd } from '@billing/money';
import { eventually } from '@billing/testing';
import { lookupHash } from '@billing/api-keys';
import {
  API_KEY_PEPPER,
  createKeysTestApp,
  GATEWAY_SERVICE_TOKEN,
  type KeysTestApp,
} from './keys/src/testing/keys-test-app.js';
import type { BalanceView } from './ledger/src/queries/get-balance/get-balance.query.js';
import { createLedgerTestApp, type LedgerTestApp } from './ledger/src/testing/ledger-test-app.js';
import {
  createPaymentsTestApp,
  STRIPE_WEBHOOK_SECRET,
  type PaymentsTestApp,
} from './payments/src/testing/payments-test-app.js';
import { deliverWebhook } from './payments/src/testing/stripe-webhooks.js';

// The Builder subscription billed by the payment provider (issue #17; docs/CONTRACTS.md, "Builder
// plan"), across the three services it touches, through the real broker and the real database:
// payments reads Stripe's signed subscription webhooks (signed with the real `stripe` library, as
// Stripe signs them) and publishes BuilderSubscriptionChanged on a payments topic that both the
// ledger (which must skip it: the fee never touches the balance) and keys (which stores it and
// lets the account create builder keys, or no longer) consume.

let ledger: LedgerTestApp;
let payments: PaymentsTestApp;
let simulated: PaymentsTestApp;
/** A payments app on a clock the test moves, its lapse sweep driven by hand. */
let lapsing: PaymentsTestApp;
let keys: KeysTestApp;

const PRICE_ID = 'price_builder_monthly';
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const GRACE_MS = 72 * HOUR_MS;
// The moved clock starts at the real time of the run (so that the signed webhooks' timestamps and
// the tokens stay valid), in the middle of a paid period: whole seconds, as Stripe's periods are.
const RUN_START_MS = Math.floor(Date.now() / 1000) * 1000;
let clock = RUN_START_MS;

beforeAll(async () => {
  ledger = await createLedgerTestApp();
  const topics = { payments: ledger.topics.payments, ledger: ledger.topics.ledger };
  payments = await createPaymentsTestApp({
    topics,
    builderPlan: { priceId: PRICE_ID, monthlyPriceNanos: null },
  });
  // The standalone mode's provider: subscribed and paid at once, no network.
  simulated = await createPaymentsTestApp({
    topics,
    paymentProvider: 'simulated',
    builderPlan: { priceId: null, monthlyPriceNanos: parseUsd('19.99') },
  });
  lapsing = await createPaymentsTestApp({
    topics,
    nowMs: () => clock,
    builderPlan: {
      priceId: PRICE_ID,
      monthlyPriceNanos: null,
      graceMs: GRACE_MS,
      lapseSweepIntervalMs: 0,
    },
  });
  keys = await createKeysTestApp({ paymentsTopic: ledger.topics.payments });
}, 120_000);

afterAll(async () => {
  await keys?.close();
  await lapsing?.close();
  await simulated?.close();
  await payments?.close();
  await ledger?.close();
}, 60_000);

const PERIOD_START = 1_798_761_600; // 2027-01-01T00:00:00Z, Stripe's seconds
const PERIOD_END = 1_801_440_000; // 2027-02-01T00:00:00Z
let eventSeq = 0;
const eventId = (label: string): string =>
  `evt_${label}_${Date.now().toString(36)}_${(eventSeq += 1)}`;

/** `invoice.paid` of a Builder subscription as Stripe sends it (API 2026-10-28). */
function invoicePaid(
  accountId: string,
  subscriptionId: string,
  invoiceId: string,
  cents: number,
  metadata: Record<string, string> = { accountId, plan: 'builder' },
  period: { readonly start: number; readonly end: number } = {
    start: PERIOD_START,
    end: PERIOD_END,
  },
) {
  return {
    id: eventId('inv'),
    object: 'event',
    type: 'invoice.paid',
    data: {
      object: {
        id: invoiceId,
        object: 'invoice',
        amount_paid: cents,
        currency: 'usd',
        customer: 'cus_builder',
        parent: {
          type: 'subscription_details',
          subscription_details: {
            subscription: subscriptionId,
            metadata,
          },
        },
        lines: { data: [{ period }] },
      },
    },
  };
}

function subscriptionEvent(
  type: 'customer.subscription.deleted' | 'customer.subscription.updated',
  accountId: string,
  subscriptionId: string,
  status: string,
) {
  return {
    id: eventId('sub'),
    object: 'event',
    type,
    data: {
      object: {
        id: subscriptionId,
        object: 'subscription',
        status,
        metadata: { accountId, plan: 'builder' },
      },
    },
  };
}

const webhook = (event: unknown, secret = STRIPE_WEBHOOK_SECRET) =>
  deliverWebhook(`${payments.baseUrl}/webhooks/stripe`, event, secret);

async function createBuilderKey(
  accountId: string,
): Promise<{ status: number; code?: string; key?: string }> {
  const res = await keys.http<{ error?: { code: string }; key?: string }>(
    'POST',
    `/v1/accounts/${accountId}/api-keys`,
    { token: await keys.tokenFor(accountId), body: { name: 'hobby', plan: 'builder' } },
  );
  return {
    status: res.status,
    ...(res.body.error && { code: res.body.error.code }),
    ...(res.body.key !== undefined && { key: res.body.key }),
  };
}

/** What the gateway's authoritative lookup answers for a key. */
const lookupOf = async (key: string) =>
  (
    await keys.http<{ plan: string; subscriptionActive: boolean }>(
      'GET',
      `/v1/internal/api-keys/by-lookup-hash/${lookupHash(key, API_KEY_PEPPER)}`,
      { token: GATEWAY_SERVICE_TOKEN },
    )
  ).body;

const balanceOf = (accountId: string, atLeastVersion: number) =>
  eventually(async () => {
    const b = await ledger.http<BalanceView>('GET', `/v1/accounts/${accountId}/balance`);
    return b.status === 200 && b.body.version >= atLeastVersion ? b.body : undefined;
  }, 20_000);

async function gift(accountId: string, amount: string, reference: string): Promise<void> {
  const res = await payments.http('POST', `/v1/admin/accounts/${accountId}/credits`, {
    body: { type: 'gift', amount, reason: 'test credit', reference },
  });
  expect(res.status).toBe(201);
}

const builderEvents = async (accountId: string, app: PaymentsTestApp = payments) =>
  (
    await app.db.query<{ value: string }>(
      `SELECT value FROM ${app.schema}.outbox WHERE message_key = $1 ORDER BY id`,
      [accountId],
    )
  ).rows
    .map((r) => JSON.parse(r.value) as { type: string; data: Record<string, unknown> })
    .filter((e) => e.type === 'BuilderSubscriptionChanged');

describe('a Builder subscription paid through Stripe', () => {
  it('activates once on a paid invoice (the same webhook twice changes nothing), invoices the exact fee, leaves the balance untouched, and ends on cancellation', async () => {
    const accountId = `acct_builder_${Date.now().toString(36)}`;
    const subscriptionId = `sub_${Date.now().toString(36)}`;
    expect(await createBuilderKey(accountId)).toEqual({
      status: 403,
      code: 'KEYS.BUILDER_SUBSCRIPTION_REQUIRED',
    });

    // A prepaid balance of exactly $5, which the subscription must never move.
    await gift(accountId, '5', `gift-a-${accountId}`);
    const before = await balanceOf(accountId, 1);
    expect(before.total).toBe('5');

    // The customer starts it: a Stripe Checkout in subscription mode for the configured Price,
    // on the account's own customer, whose subscription will carry the account in its metadata.
    const token = await payments.tokenFor(accountId);
    const started = await payments.http<{ status: string; checkoutUrl: string; sessionId: string }>(
      'POST',
      `/v1/accounts/${accountId}/builder-subscription`,
      { token },
    );
    expect(started.status).toBe(201);
    expect(started.body.status).toBe('pending');
    const session = payments.stripe.session(started.body.sessionId);
    expect(session).toMatchObject({
      mode: 'subscription',
      line_items: [{ price: PRICE_ID, quantity: 1 }],
      url: started.body.checkoutUrl,
    });
    const customers = await payments.db.query<{ customer_id: string }>(
      `SELECT customer_id FROM ${payments.schema}.stripe_customers WHERE account_id = $1`,
      [accountId],
    );
    expect(session.customer).toBe(customers.rows[0]?.customer_id);
    const { metadata } = payments.stripe.subscriptionDataOf(started.body.sessionId);
    expect(metadata).toEqual({ accountId, plan: 'builder' });
    // Not active until Stripe says the first invoice is paid.
    expect(await createBuilderKey(accountId)).toMatchObject({ status: 403 });

    const paid = invoicePaid(
      accountId,
      subscriptionId,
      `in_${Date.now().toString(36)}`,
      2000,
      metadata,
    );
    expect((await webhook(paid)).status).toBe(200);
    expect((await webhook(paid)).status).toBe(200); // Stripe's redelivery: a duplicate

    // keys hears it: builder keys can now be created.
    const issued = await eventually(async () => {
      const created = await createBuilderKey(accountId);
      return created.status === 201 ? created : undefined;
    }, 20_000);
    expect(await lookupOf(issued.key ?? '')).toMatchObject({
      plan: 'builder',
      subscriptionActive: true,
    });

    // One invoice, the fee to the nano-dollar; one event, active until the period's end.
    const invoices = await payments.db.query<{ amount_nanos: string; currency: string }>(
      `SELECT amount_nanos, currency FROM ${payments.schema}.builder_invoices WHERE account_id = $1`,
      [accountId],
    );
    expect(invoices.rows).toEqual([{ amount_nanos: '20000000000', currency: 'usd' }]);
    const published = await builderEvents(accountId);
    expect(published.map((e) => e.data)).toEqual([
      {
        subscriptionId,
        active: true,
        currentPeriodEnd: '2027-02-01T00:00:00.000Z',
        reason: 'invoice_paid',
        invoiceId: expect.stringMatching(/^inv_[0-9a-f]{32}$/) as unknown,
      },
    ]);
    const view = await payments.http<Record<string, unknown>>(
      'GET',
      `/v1/accounts/${accountId}/builder-subscription`,
      { token: await payments.tokenFor(accountId) },
    );
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({
      accountId,
      subscriptionId,
      active: true,
      currentPeriodEnd: '2027-02-01T00:00:00.000Z',
      invoices: [
        {
          amount: '20',
          currency: 'usd',
          periodStart: '2027-01-01T00:00:00.000Z',
          periodEnd: '2027-02-01T00:00:00.000Z',
        },
      ],
    });

    // A second subscription while this one is active is refused.
    const again = await payments.http<{ error: { code: string } }>(
      'POST',
      `/v1/accounts/${accountId}/builder-subscription`,
      { token },
    );
    expect([again.status, again.body.error.code]).toEqual([
      409,
      'PAYMENTS.BUILDER_SUBSCRIPTION_ACTIVE',
    ]);

    // The ledger consumed past it without moving the balance: a later $1 gift lands on exactly $5.
    await gift(accountId, '1', `gift-b-${accountId}`);
    const after = await balanceOf(accountId, before.version + 1);
    expect(after).toMatchObject({ total: '6', version: before.version + 1 });
    // Skipped by the ledger, not dead-lettered.
    const letters = await ledger.http<{ data: { eventType: string | null }[] }>(
      'GET',
      '/v1/admin/dead-letters/ledger?state=all&limit=100',
    );
    expect(letters.status).toBe(200);
    expect(letters.body.data.filter((l) => l.eventType === 'BuilderSubscriptionChanged')).toEqual(
      [],
    );

    // Canceled at Stripe: keys refuses new builder keys again.
    const deleted = subscriptionEvent(
      'customer.subscription.deleted',
      accountId,
      subscriptionId,
      'canceled',
    );
    expect((await webhook(deleted)).status).toBe(200);
    // Waited for through the key already issued, which keys switches off in the same transaction
    // that ends the subscription: polling by creating keys would issue a second builder key
    // whenever a poll beats the cancellation to keys. The gateway is told (keys.v1).
    await eventually(async () => {
      const found = await lookupOf(issued.key ?? '');
      return found.subscriptionActive ? undefined : found;
    }, 20_000);
    expect(await createBuilderKey(accountId)).toEqual({
      status: 403,
      code: 'KEYS.BUILDER_SUBSCRIPTION_REQUIRED',
    });
    const keyEvents = (await keys.outboxOf(accountId)).filter(
      (e) => e.type === 'ApiKeySubscriptionChanged',
    );
    expect(keyEvents.map((e) => e.data)).toEqual([
      { apiKeyId: expect.any(String) as unknown, active: false },
    ]);
    expect((await builderEvents(accountId)).map((e) => e.data)).toEqual([
      expect.objectContaining({ active: true }),
      { subscriptionId, active: false, reason: 'canceled' },
    ]);
    expect(await payments.count('builder_invoices', 'account_id = $1', [accountId])).toBe(1);
  }, 90_000);

  it('ends when Stripe marks the subscription unpaid; an end of another subscription changes nothing', async () => {
    const accountId = `acct_builder_unpaid_${Date.now().toString(36)}`;
    const subscriptionId = `sub_unpaid_${Date.now().toString(36)}`;
    const paid = invoicePaid(accountId, subscriptionId, `in_u_${Date.now().toString(36)}`, 1999);
    expect((await webhook(paid)).status).toBe(200);
    const issued = await eventually(async () => {
      const created = await createBuilderKey(accountId);
      return created.status === 201 ? created : undefined;
    }, 20_000);

    const other = subscriptionEvent(
      'customer.subscription.deleted',
      accountId,
      'sub_old',
      'canceled',
    );
    expect((await webhook(other)).status).toBe(200);
    const unpaid = subscriptionEvent(
      'customer.subscription.updated',
      accountId,
      subscriptionId,
      'unpaid',
    );
    expect((await webhook(unpaid)).status).toBe(200);
    await eventually(async () => {
      const found = await lookupOf(issued.key ?? '');
      return found.subscriptionActive ? undefined : found;
    }, 20_000);
    expect(await createBuilderKey(accountId)).toMatchObject({
      code: 'KEYS.BUILDER_SUBSCRIPTION_REQUIRED',
    });
    expect((await builderEvents(accountId)).map((e) => [e.data.active, e.data.reason])).toEqual([
      [true, 'invoice_paid'],
      [false, 'unpaid'],
    ]);
  }, 90_000);

  it('with the simulated provider (standalone), is active at once, its first month invoiced at the configured fee', async () => {
    const accountId = `acct_builder_sim_${Date.now().toString(36)}`;
    const token = await simulated.tokenFor(accountId);
    const path = `/v1/accounts/${accountId}/builder-subscription`;
    const started = await simulated.http<{ status: string }>('POST', path, { token });
    expect([started.status, started.body.status]).toEqual([201, 'active']);
    await eventually(async () => {
      const created = await createBuilderKey(accountId);
      return created.status === 201 ? created : undefined;
    }, 20_000);
    const view = await simulated.http<{ active: boolean; invoices: { amount: string }[] }>(
      'GET',
      path,
      { token },
    );
    expect(view.body).toMatchObject({ active: true, invoices: [{ amount: '19.99' }] });
    expect((await simulated.http('POST', path, { token })).status).toBe(409);
  }, 60_000);

  it('refuses a webhook with a bad signature, and records nothing', async () => {
    const accountId = `acct_builder_forged_${Date.now().toString(36)}`;
    const forged = invoicePaid(accountId, 'sub_forged', 'in_forged', 2000);
    expect((await webhook(forged, 'whsec_not_the_endpoint_secret_0000')).status).toBe(400);
    expect(await payments.count('builder_invoices', 'account_id = $1', [accountId])).toBe(0);
    expect(await payments.count('builder_subscriptions', 'account_id = $1', [accountId])).toBe(0);
    expect(await builderEvents(accountId)).toEqual([]);
  });
});

describe('a paid period that ends with no renewal webhook (lost, or Stripe unreachable)', () => {
  it('lapses exactly at currentPeriodEnd + grace, told once however often the sweep runs, switches the issued builder key off, and a late renewal of the same subscription switches it on again', async () => {
    clock = RUN_START_MS;
    const accountId = `acct_builder_lapse_${Date.now().toString(36)}`;
    const subscriptionId = `sub_lapse_${Date.now().toString(36)}`;
    const periodEndMs = RUN_START_MS + 10 * DAY_MS;
    const lapseAtMs = periodEndMs + GRACE_MS;
    const lapseWebhook = (event: unknown) =>
      deliverWebhook(`${lapsing.baseUrl}/webhooks/stripe`, event, STRIPE_WEBHOOK_SECRET);
    const sweep = () => lapsing.lapses.runOnce();
    const view = async () =>
      (
        await lapsing.http<{ active: boolean; currentPeriodEnd: string; endedAt: string | null }>(
          'GET',
          `/v1/accounts/${accountId}/builder-subscription`,
        )
      ).body;

    const first = invoicePaid(
      accountId,
      subscriptionId,
      `in_lapse_1_${accountId}`,
      2000,
      undefined,
      {
        start: (periodEndMs - 30 * DAY_MS) / 1000,
        end: periodEndMs / 1000,
      },
    );
    expect((await lapseWebhook(first)).status).toBe(200);
    const issued = await eventually(async () => {
      const created = await createBuilderKey(accountId);
      return created.status === 201 ? created : undefined;
    }, 20_000);
    const key = issued.key ?? '';
    expect(await lookupOf(key)).toMatchObject({ subscriptionActive: true });

    // Past the period's end, within the grace, and 1 ms before the lapse: still active.
    for (const at of [periodEndMs, periodEndMs + 1, lapseAtMs - 1]) {
      clock = at;
      expect(await sweep()).toEqual({ due: 0, lapsed: 0 });
    }
    expect(await view()).toMatchObject({ active: true, endedAt: null });

    // At the lapse: inactive, not ended, one period_lapsed, however many sweeps run at once (two
    // replicas and this process's scheduler); a later sweep finds nothing to do.
    clock = lapseAtMs;
    const racing = await Promise.all([
      lapsing.sweepLapsesAsReplica(),
      lapsing.sweepLapsesAsReplica(),
      sweep(),
    ]);
    expect(racing.reduce((sum, r) => sum + r.lapsed, 0)).toBe(1);
    expect(await sweep()).toEqual({ due: 0, lapsed: 0 });
    clock = lapseAtMs + DAY_MS;
    expect(await sweep()).toEqual({ due: 0, lapsed: 0 });
    expect(await view()).toMatchObject({
      active: false,
      endedAt: null,
      currentPeriodEnd: new Date(periodEndMs).toISOString(),
    });
    const afterLapse = await builderEvents(accountId, lapsing);
    expect(afterLapse.map((e) => e.data)).toEqual([
      expect.objectContaining({ active: true, reason: 'invoice_paid' }),
      { subscriptionId, active: false, reason: 'period_lapsed' },
    ]);

    // keys hears it: the issued key is switched off (the gateway's 403 builder_subscription_inactive)
    // and no new builder key can be created.
    await eventually(async () => {
      const found = await lookupOf(key);
      return found.subscriptionActive ? undefined : found;
    }, 20_000);
    expect(await createBuilderKey(accountId)).toEqual({
      status: 403,
      code: 'KEYS.BUILDER_SUBSCRIPTION_REQUIRED',
    });

    // The renewal Stripe paid arrives late: the same subscription, paid, is active again to the
    // new period's end, and the same key works again.
    clock = lapseAtMs + DAY_MS + HOUR_MS;
    const renewal = invoicePaid(
      accountId,
      subscriptionId,
      `in_lapse_2_${accountId}`,
      2000,
      undefined,
      {
        start: periodEndMs / 1000,
        end: (periodEndMs + 30 * DAY_MS) / 1000,
      },
    );
    expect((await lapseWebhook(renewal)).status).toBe(200);
    expect(await view()).toMatchObject({
      active: true,
      endedAt: null,
      currentPeriodEnd: new Date(periodEndMs + 30 * DAY_MS).toISOString(),
    });
    await eventually(async () => {
      const found = await lookupOf(key);
      return found.subscriptionActive ? found : undefined;
    }, 20_000);
    expect(
      (await builderEvents(accountId, lapsing)).map((e) => [e.data.active, e.data.reason]),
    ).toEqual([
      [true, 'invoice_paid'],
      [false, 'period_lapsed'],
      [true, 'invoice_paid'],
    ]);
    const keyEvents = (await keys.outboxOf(accountId)).filter(
      (e) => e.type === 'ApiKeySubscriptionChanged',
    );
    expect(keyEvents.map((e) => e.data)).toEqual([
      { apiKeyId: expect.any(String) as unknown, active: false },
      { apiKeyId: expect.any(String) as unknown, active: true },
    ]);
    // The renewed period is not lapsed by a sweep now; both periods are invoiced.
    expect(await sweep()).toEqual({ due: 0, lapsed: 0 });
    expect(await lapsing.count('builder_invoices', 'account_id = $1', [accountId])).toBe(2);
  }, 120_000);
});
