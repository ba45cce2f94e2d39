import { uniqueName } from '@billing/testing';
import { CommandBus } from '@nestjs/cqrs';
import type { BalanceChanged } from '@billing/contracts';
import { withTransaction } from '@billing/service-kit';
import { createStripeClient } from '../../infrastructure/stripe/stripe-client.js';
import type { AutoTopUpView } from '../../queries/get-auto-top-up/get-auto-top-up.query.js';
import type { PaymentMethodView } from '../../queries/list-payment-methods/list-payment-methods.query.js';
import {
  balanceChanged,
  createPaymentsTestApp,
  STRIPE_SECRET_KEY,
  STRIPE_WEBHOOK_SECRET,
  type PaymentsTestApp,
} from '../../testing/payments-test-app.js';
import { deliverWebhook } from '../../testing/stripe-webhooks.js';
import { ApplyBalanceChangeCommand } from '../apply-balance-change/apply-balance-change.command.js';
import type { PaymentMethodSetup } from './link-payment-method.command.js';

// Cards are attached, not named: against real PostgreSQL and the Stripe stand-in (through the
// real `stripe` library and signed webhooks). No broker is needed: BalanceChanged is applied
// through the command bus as the consumer applies it, and published events are read from the
// outbox, where the relay would pick them up. The sweeper runs every 100 ms.

let t: PaymentsTestApp;
const prefix = uniqueName('cards').slice(0, 20);
let n = 0;
const account = (): string => `${prefix}_${++n}`;

beforeAll(async () => {
  t = await createPaymentsTestApp({ kafka: false });
}, 60_000);

afterAll(async () => {
  await t?.close();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function as<T>(
  accountId: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  return t.http<T>(method, `/v1/accounts/${accountId}${path}`, {
    token: await t.tokenFor(accountId),
    ...(body === undefined ? {} : { body }),
  });
}

async function setup(accountId: string): Promise<PaymentMethodSetup> {
  const res = await as<PaymentMethodSetup>(accountId, 'POST', '/payment-methods/setup');
  expect(res.status).toBe(201);
  return res.body;
}

async function cards(accountId: string): Promise<PaymentMethodView[]> {
  const res = await as<{ data: PaymentMethodView[] }>(accountId, 'GET', '/payment-methods');
  expect(res.status).toBe(200);
  return res.body.data;
}

function putAutoTopUp(
  accountId: string,
  paymentMethodId: string,
): Promise<{ status: number; body: AutoTopUpView & { error?: { code: string } } }> {
  return as(accountId, 'PUT', '/auto-top-up', {
    enabled: true,
    threshold: '10',
    amount: '50',
    paymentMethodId,
  });
}

async function autoTopUp(accountId: string): Promise<AutoTopUpView> {
  const res = await as<AutoTopUpView>(accountId, 'GET', '/auto-top-up');
  expect(res.status).toBe(200);
  return res.body;
}

async function ownCustomer(accountId: string): Promise<string> {
  const customerId = await t.store.paymentMethods.customerOf(t.db, accountId);
  if (customerId === undefined) throw new Error(`${accountId} has no customer`);
  return customerId;
}

/** The BalanceChanged consumer's work for one report, in its own transaction. */
async function reportBalance(accountId: string, total: string, version: number): Promise<void> {
  const bus = t.app.get(CommandBus);
  await withTransaction(t.store.pool, (client) =>
    bus.execute(
      new ApplyBalanceChangeCommand(
        balanceChanged(accountId, total, version) as BalanceChanged,
        client,
      ),
    ),
  );
}

/** The off-session charges the stand-in received for an account. */
function charges(accountId: string): number {
  return t.stripe
    .requestsTo('POST', '/v1/payment_intents')
    .filter(
      (r) => (r.params.metadata as Record<string, string> | undefined)?.accountId === accountId,
    ).length;
}

/** The events of an account waiting in the outbox: what the ledger would be told. */
async function published(accountId: string): Promise<[string, unknown][]> {
  const res = await t.db.query<{ value: string }>(
    `SELECT value FROM ${t.schema}.outbox WHERE message_key = $1 ORDER BY id`,
    [accountId],
  );
  return res.rows.map((r) => {
    const e = JSON.parse(r.value) as { type: string; data: { amount?: unknown } };
    return [e.type, e.data.amount];
  });
}

async function autoTopUpRows(
  accountId: string,
): Promise<{ status: string; failure_code: string | null }[]> {
  const res = await t.db.query<{ status: string; failure_code: string | null }>(
    `SELECT status, failure_code FROM ${t.schema}.top_ups WHERE account_id = $1 AND trigger = 'auto' ORDER BY created_at`,
    [accountId],
  );
  return res.rows;
}

async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(50);
  }
}

const outcome = (delivered: { body: string }): string =>
  (JSON.parse(delivered.body) as { outcome?: string }).outcome ?? delivered.body;

describe('linking a card', () => {
  it('creates one Stripe customer per account (metadata accountId) and records the card from the signed setup webhook', async () => {
    const accountId = account();
    // Two first setups at once still make one customer.
    const [first, second] = await Promise.all([setup(accountId), setup(accountId)]);
    expect(first).toMatchObject({
      status: 'pending',
      setupUrl: expect.stringContaining('/c/pay/cs_test_') as string,
      paymentMethod: null,
    });
    expect(second?.sessionId).not.toBe(first?.sessionId);
    const customerId = await ownCustomer(accountId);
    const mine = t.stripe
      .allCustomers()
      .filter((c) => (c.metadata as Record<string, string>).accountId === accountId);
    expect(mine.map((c) => c.id)).toEqual([customerId]);
    expect(await t.count('stripe_customers', 'account_id = $1', [accountId])).toBe(1);
    expect(t.stripe.session(first?.sessionId ?? '')).toMatchObject({
      mode: 'setup',
      customer: customerId,
      currency: 'usd',
      allowed_payment_method_types: ['card'],
      metadata: { accountId, purpose: 'payment_method' },
    });

    // Nothing is saved until Stripe says so.
    expect(await cards(accountId)).toEqual([]);
    const saved = t.stripe.completeSetupSession(first?.sessionId ?? '', {
      paymentMethod: 'pm_card_mastercard',
    });
    expect(outcome(await t.stripe.deliver(saved.completed))).toBe('applied');
    expect(outcome(await t.stripe.deliver(saved.setupIntentSucceeded))).toBe('no_effect');
    expect(outcome(await t.stripe.deliver(saved.paymentMethodAttached))).toBe('ignored');
    expect(await cards(accountId)).toEqual([
      {
        paymentMethodId: saved.paymentMethodId,
        type: 'card',
        brand: 'mastercard',
        last4: '4444',
        expMonth: 12,
        expYear: expect.any(Number) as number,
        createdAt: expect.any(String) as string,
        usedByAutoTopUp: false,
      },
    ]);
    // A later setup reuses the customer: one customer created, under the account's key.
    await setup(accountId);
    const creations = t.stripe
      .requestsTo('POST', '/v1/customers')
      .filter((r) => r.idempotencyKey === `customer:${accountId}`);
    expect(creations.filter((r) => !r.replayed)).toHaveLength(1);
    expect(creations.every((r) => (r.response as { id: string }).id === customerId)).toBe(true);
    expect(await t.count('stripe_customers', 'account_id = $1', [accountId])).toBe(1);
    // Another account sees none of it, and cannot look.
    const other = account();
    expect(await cards(other)).toEqual([]);
    const peek = await t.http('GET', `/v1/accounts/${accountId}/payment-methods`, {
      token: await t.tokenFor(other),
    });
    expect(peek.status).toBe(403);
  });

  it('turns auto top-up on with an own card and charges the account own customer with it', async () => {
    const accountId = account();
    const card = await t.linkCard(accountId);
    const saved = await putAutoTopUp(accountId, card);
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ enabled: true, paymentMethodId: card });
    expect(saved.body).not.toHaveProperty('customerId');
    expect((await cards(accountId))[0]?.usedByAutoTopUp).toBe(true);

    await reportBalance(accountId, '3', 1);
    await eventually(async () =>
      (await autoTopUpRows(accountId))[0]?.status === 'settled' ? true : undefined,
    );
    const [charge] = t.stripe
      .requestsTo('POST', '/v1/payment_intents')
      .filter((r) => (r.params.metadata as Record<string, string>).accountId === accountId);
    expect(charge?.params).toMatchObject({
      customer: await ownCustomer(accountId),
      payment_method: card,
      off_session: 'true',
      amount: '5000',
    });
    expect(await published(accountId)).toEqual([
      ['TopUpSettled', '50'],
      ['BonusGranted', '10'],
    ]);
  });
});

describe('faults while linking and removing', () => {
  it("saves a card on the stand-in's setup page, which sends the signed webhooks", async () => {
    const accountId = account();
    const { setupUrl } = await setup(accountId);
    const page = await fetch(setupUrl);
    expect(await page.text()).toContain('save a card');
    const saved = await fetch(setupUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'paymentMethod=pm_card_visa',
      redirect: 'manual',
    });
    expect(saved.status).toBe(303);
    expect(saved.headers.get('location')).toBe(
      'http://localhost:3000/billing/payment-methods/saved',
    );
    const listed = await cards(accountId);
    expect(listed).toMatchObject([{ type: 'card', brand: 'visa', last4: '4242' }]);
    expect(t.stripe.storedPaymentMethod(listed[0]?.paymentMethodId ?? '').customer).toBe(
      await ownCustomer(accountId),
    );
  });

  it('answers 503 to a setup webhook while Stripe cannot be asked, and records the card on redelivery', async () => {
    const accountId = account();
    const { sessionId } = await setup(accountId);
    const saved = t.stripe.completeSetupSession(sessionId);
    t.stripe.failNextRequests(1, 500);
    const deferred = await t.stripe.deliver(saved.completed);
    expect(deferred.status).toBe(503);
    expect(await t.count('stripe_events', 'event_id = $1', [saved.completed.id])).toBe(0);
    expect(await cards(accountId)).toEqual([]);
    expect(outcome(await t.stripe.deliver(saved.completed))).toBe('applied');
    expect((await cards(accountId)).map((c) => c.paymentMethodId)).toEqual([saved.paymentMethodId]);
  });

  it('finishes a removal whose answer from Stripe was lost when the customer retries', async () => {
    const accountId = account();
    const card = await t.linkCard(accountId);
    expect((await putAutoTopUp(accountId, card)).status).toBe(200);
    const detachPath = `/v1/payment_methods/${card}/detach`;
    // The library retries a closed connection once with the same key: both answers are lost.
    t.stripe.dropNextResponses(2, { method: 'POST', path: detachPath });
    const lost = await as<{ error: { code: string } }>(
      accountId,
      'DELETE',
      `/payment-methods/${card}`,
    );
    expect(lost.status).toBe(502);
    expect(lost.body.error.code).toBe('PAYMENTS.PROVIDER_UNAVAILABLE');
    // Stripe detached it; the service does not know yet (a charge meanwhile is refused by the
    // check at charge time, tested below).
    expect(t.stripe.storedPaymentMethod(card).customer).toBeNull();
    expect((await cards(accountId)).map((c) => c.paymentMethodId)).toEqual([card]);

    expect((await as(accountId, 'DELETE', `/payment-methods/${card}`)).status).toBe(204);
    // The retry asked Stripe, saw the card detached, and did not detach again.
    expect(t.stripe.requestsTo('POST', detachPath).map((r) => r.replayed)).toEqual([false, true]);
    expect(await cards(accountId)).toEqual([]);
    expect((await autoTopUp(accountId)).enabled).toBe(false);
    await reportBalance(accountId, '1', 1);
    await sleep(500);
    expect(charges(accountId)).toBe(0);
  });
});

describe('a removal racing the first auto top-up settings', () => {
  it('switches the settings off when they commit while the removal waits for the card', async () => {
    const accountId = account();
    const card = await t.linkCard(accountId);
    // What a PUT does in its transaction, held open: the card's row locked, first settings written.
    const put = await t.store.pool.connect();
    try {
      await put.query('BEGIN');
      expect(await t.store.autoTopUps.get(put, accountId, true)).toBeUndefined();
      await t.store.paymentMethods.get(put, card, true);
      await put.query(
        `INSERT INTO ${t.schema}.auto_top_up_settings
           (account_id, enabled, threshold_nanos, amount_nanos, payment_method_id, customer_id,
            armed, updated_at)
         VALUES ($1, true, 10000000000, 50000000000, $2, $3, true, now())`,
        [accountId, card, await ownCustomer(accountId)],
      );
      const removal = as(accountId, 'DELETE', `/payment-methods/${card}`);
      // The removal detaches at Stripe, then waits for the card's row.
      await eventually(async () => {
        const waiting = await t.db.query(
          `SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1`,
          [`%${t.schema}.payment_methods SET detached_at%`],
        );
        return (waiting.rowCount ?? 0) > 0 ? true : undefined;
      });
      await put.query('COMMIT');
      expect((await removal).status).toBe(204);
    } finally {
      put.release();
    }
    expect(await autoTopUp(accountId)).toMatchObject({
      enabled: false,
      disabledReason: `its card ${card} can no longer be charged: the customer removed it`,
    });
    await reportBalance(accountId, '1', 1);
    await sleep(500);
    expect(charges(accountId)).toBe(0);
  });
});

describe('attacks on saved cards', () => {
  it("naming another account's payment method is refused, for auto top-up and for removal", async () => {
    const victim = account();
    const attacker = account();
    const victimCard = await t.linkCard(victim);
    await t.linkCard(attacker);

    const named = await putAutoTopUp(attacker, victimCard);
    expect(named.status).toBe(400);
    expect(named.body.error?.code).toBe('PAYMENTS.PAYMENT_METHOD_NOT_ATTACHED');
    expect((await as(attacker, 'GET', '/auto-top-up')).status).toBe(404);

    const removed = await as<{ error: { code: string } }>(
      attacker,
      'DELETE',
      `/payment-methods/${victimCard}`,
    );
    expect(removed.status).toBe(404);
    expect(removed.body.error.code).toBe('PAYMENTS.NOT_FOUND');
    expect(t.stripe.requestsTo('POST', `/v1/payment_methods/${victimCard}/detach`)).toHaveLength(0);
    expect(t.stripe.storedPaymentMethod(victimCard).customer).toBe(await ownCustomer(victim));
    expect((await cards(victim)).map((c) => c.paymentMethodId)).toEqual([victimCard]);

    // Nothing can be charged to the victim through the attacker's account.
    await reportBalance(attacker, '1', 1);
    await sleep(400);
    expect(charges(attacker)).toBe(0);
    expect(await published(attacker)).toEqual([]);
    expect(await published(victim)).toEqual([]);
  });

  it("a payment method not attached to the account's own customer is refused", async () => {
    const accountId = account();
    await t.linkCard(accountId);
    const customerId = await ownCustomer(accountId);
    const unattached = t.stripe.savePaymentMethod(null).id as string;
    const refused = async (paymentMethodId: string): Promise<void> => {
      const res = await putAutoTopUp(accountId, paymentMethodId);
      expect(res.status).toBe(400);
      expect(res.body.error?.code).toBe('PAYMENTS.PAYMENT_METHOD_NOT_ATTACHED');
    };
    // A card attached to nobody, a bare test token, an id that does not exist.
    await refused(unattached);
    await refused('pm_card_visa');
    await refused('pm_doesNotExist123');
    // A card attached to a customer the service did not create, even one whose metadata names
    // this account (anyone with access to the Stripe account could write that).
    const outsider = await createStripeClient({
      secretKey: STRIPE_SECRET_KEY,
      apiBase: t.stripe.url,
      maxNetworkRetries: 0,
      timeoutMs: 5_000,
    }).customers.create({ metadata: { accountId } }, { idempotencyKey: `outsider-${accountId}` });
    await refused(t.stripe.savePaymentMethod(outsider.id).id as string);
    // An account without any customer.
    const fresh = account();
    const none = await putAutoTopUp(fresh, t.stripe.savePaymentMethod(customerId).id as string);
    expect(none.status).toBe(400);
    expect(await t.count('stripe_customers', 'account_id = $1', [fresh])).toBe(0);

    // Recorded as the account's, then detached in the Dashboard before the webhook came: refused,
    // and no longer listed.
    const detachedCard = await t.linkCard(accountId);
    t.stripe.detachPaymentMethod(detachedCard);
    await refused(detachedCard);
    expect((await cards(accountId)).map((c) => c.paymentMethodId)).not.toContain(detachedCard);

    expect((await as(accountId, 'GET', '/auto-top-up')).status).toBe(404);
    expect(await t.count('payment_methods', 'account_id = $1', [accountId])).toBe(2);
    expect(await t.count('payment_methods', 'account_id = $1', [fresh])).toBe(0);
  });

  it('a forged, unsigned or stale setup webhook records nothing', async () => {
    const accountId = account();
    await setup(accountId);
    const customerId = await ownCustomer(accountId);
    // Even an event describing a real card of the account's customer is refused unsigned.
    const pm = t.stripe.savePaymentMethod(customerId);
    const event = t.stripe.event('setup_intent.succeeded', {
      id: 'seti_forged1',
      object: 'setup_intent',
      customer: customerId,
      payment_method: pm.id,
      status: 'succeeded',
      metadata: { accountId },
    });
    const url = `${t.baseUrl}/webhooks/stripe`;
    const unsigned = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(event),
    });
    expect(unsigned.status).toBe(400);
    expect((await deliverWebhook(url, event, 'whsec_forged_by_attacker')).status).toBe(400);
    const stale = Math.floor(Date.now() / 1000) - 3600;
    expect((await deliverWebhook(url, event, STRIPE_WEBHOOK_SECRET, stale)).status).toBe(400);
    expect(await t.count('payment_methods', 'account_id = $1', [accountId])).toBe(0);
    expect(await t.count('stripe_events', 'event_id = $1', [event.id])).toBe(0);
    expect(await cards(accountId)).toEqual([]);
    expect((await putAutoTopUp(accountId, 'pm_forged')).status).toBe(400);

    // Signed, but the payload lies: Stripe says the card belongs to another customer.
    const other = account();
    const otherCard = await t.linkCard(other);
    const lying = t.stripe.event('setup_intent.succeeded', {
      id: 'seti_lying1',
      object: 'setup_intent',
      customer: customerId,
      payment_method: otherCard,
      status: 'succeeded',
      metadata: {},
    });
    expect(outcome(await t.stripe.deliver(lying))).toBe('no_effect');
    expect(await cards(accountId)).toEqual([]);
    // Signed, about a customer that is not ours: acknowledged, nothing recorded.
    const stranger = t.stripe.event('setup_intent.succeeded', {
      id: 'seti_stranger1',
      object: 'setup_intent',
      customer: 'cus_notOurs',
      payment_method: pm.id,
      status: 'succeeded',
    });
    expect(outcome(await t.stripe.deliver(stranger))).toBe('ignored');
    expect(await t.count('stripe_events', 'event_id = $1', [stranger.id])).toBe(0);
    expect(await t.count('payment_methods', 'account_id = $1', [accountId])).toBe(0);
  });

  it('a replayed setup webhook is processed once, in sequence and concurrently', async () => {
    const accountId = account();
    const { sessionId } = await setup(accountId);
    const saved = t.stripe.completeSetupSession(sessionId);
    const first = await t.stripe.deliver(saved.setupIntentSucceeded);
    expect(outcome(first)).toBe('applied');
    const replays = [
      await t.stripe.deliver(saved.setupIntentSucceeded),
      ...(await Promise.all(
        Array.from({ length: 6 }, () => t.stripe.deliver(saved.setupIntentSucceeded)),
      )),
    ];
    expect(replays.map(outcome)).toEqual(Array.from({ length: 7 }, () => 'duplicate'));
    expect(await t.count('stripe_events', 'event_id = $1', [saved.setupIntentSucceeded.id])).toBe(
      1,
    );
    expect(await t.count('payment_methods', 'account_id = $1', [accountId])).toBe(1);

    // A second account's events, all delivered at once for the first time: one effect each.
    const other = account();
    const otherSetup = await setup(other);
    const otherSaved = t.stripe.completeSetupSession(otherSetup.sessionId);
    const burst = await Promise.all(
      Array.from({ length: 6 }, () => t.stripe.deliver(otherSaved.setupIntentSucceeded)),
    );
    expect(burst.map(outcome).sort()).toEqual([
      'applied',
      'duplicate',
      'duplicate',
      'duplicate',
      'duplicate',
      'duplicate',
    ]);
    expect(await t.count('payment_methods', 'account_id = $1', [other])).toBe(1);

    // The detachment webhook, replayed, is applied once too.
    const detached = t.stripe.detachPaymentMethod(saved.paymentMethodId);
    expect(outcome(await t.stripe.deliver(detached))).toBe('applied');
    expect(outcome(await t.stripe.deliver(detached))).toBe('duplicate');
    expect(await t.count('stripe_events', 'event_id = $1', [detached.id])).toBe(1);
    expect(await cards(accountId)).toEqual([]);
  });

  it('removing the card auto top-up uses switches auto top-up off, and it is never charged again', async () => {
    const accountId = account();
    const spare = await t.linkCard(accountId);
    const card = await t.linkCard(accountId);
    expect((await putAutoTopUp(accountId, card)).status).toBe(200);

    // Removing another card leaves auto top-up on.
    expect((await as(accountId, 'DELETE', `/payment-methods/${spare}`)).status).toBe(204);
    expect((await autoTopUp(accountId)).enabled).toBe(true);

    const removed = await as(accountId, 'DELETE', `/payment-methods/${card}`);
    expect(removed.status).toBe(204);
    const detach = t.stripe.requestsTo('POST', `/v1/payment_methods/${card}/detach`);
    expect(detach.map((r) => [r.status, r.idempotencyKey])).toEqual([[200, `detach:${card}`]]);
    expect(t.stripe.storedPaymentMethod(card).customer).toBeNull();
    expect(await autoTopUp(accountId)).toMatchObject({
      enabled: false,
      paymentMethodId: card,
      disabledReason: `its card ${card} can no longer be charged: the customer removed it`,
    });
    expect(await cards(accountId)).toEqual([]);
    expect((await as(accountId, 'DELETE', `/payment-methods/${card}`)).status).toBe(404);
    // Turning it on again with the removed card is refused.
    expect((await putAutoTopUp(accountId, card)).status).toBe(400);

    await reportBalance(accountId, '1', 1);
    await sleep(500);
    expect(charges(accountId)).toBe(0);
    expect(await autoTopUpRows(accountId)).toEqual([]);
    expect(await published(accountId)).toEqual([]);
  });

  it('a card detached in Stripe is not charged: payment_method.detached switches auto top-up off', async () => {
    const accountId = account();
    const card = await t.linkCard(accountId);
    expect((await putAutoTopUp(accountId, card)).status).toBe(200);
    expect(outcome(await t.stripe.deliver(t.stripe.detachPaymentMethod(card)))).toBe('applied');
    expect(await autoTopUp(accountId)).toMatchObject({
      enabled: false,
      disabledReason: `its card ${card} can no longer be charged: it was detached at the payment provider`,
    });
    await reportBalance(accountId, '1', 1);
    await sleep(500);
    expect(charges(accountId)).toBe(0);
    expect(await published(accountId)).toEqual([]);
  });

  it('a card detached in Stripe before its webhook arrives is not charged: checked at charge time', async () => {
    const accountId = account();
    const card = await t.linkCard(accountId);
    expect((await putAutoTopUp(accountId, card)).status).toBe(200);
    t.stripe.detachPaymentMethod(card); // the webhook is not delivered

    await reportBalance(accountId, '1', 1);
    const rows = await eventually(async () => {
      const r = await autoTopUpRows(accountId);
      return r[0]?.status === 'failed' ? r : undefined;
    });
    expect(rows).toEqual([{ status: 'failed', failure_code: 'payment_method_not_attached' }]);
    expect(charges(accountId)).toBe(0);
    expect(await autoTopUp(accountId)).toMatchObject({
      enabled: false,
      consecutiveFailures: 1,
      lastFailureCode: 'payment_method_not_attached',
      disabledReason: `its card ${card} can no longer be charged: it was no longer attached to the account at charge time`,
    });
    expect(await cards(accountId)).toEqual([]);
    await reportBalance(accountId, '0.5', 2);
    await sleep(500);
    expect(await autoTopUpRows(accountId)).toHaveLength(1);
    expect(charges(accountId)).toBe(0);
    expect(await published(accountId)).toEqual([]);
  });
});
