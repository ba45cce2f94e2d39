import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uniqueName } from '@billing/testing';
import {
  createPaymentsTestApp,
  PaymentsTopicReader,
  STRIPE_SECRET_KEY,
  STRIPE_WEBHOOK_SECRET,
  type PaymentsTestApp,
} from '../../testing/payments-test-app.js';
import { deliverWebhook } from '../../testing/stripe-webhooks.js';
import type { CreatedTopUp } from '../create-top-up/create-top-up.command.js';

// Real PostgreSQL and Kafka; Stripe is the stand-in (the `stripe` library's own client talks to it,
// and webhooks are signed with the library's real HMAC). Each test uses accounts of its own.

let t: PaymentsTestApp;
let reader: PaymentsTopicReader;
const prefix = uniqueName('acct').slice(0, 20);
let n = 0;
const account = (): string => `${prefix}_${++n}`;

beforeAll(async () => {
  t = await createPaymentsTestApp();
  if (!t.kafka) throw new Error('kafka expected');
  reader = await PaymentsTopicReader.start(t.kafka, prefix);
}, 60_000);

afterAll(async () => {
  await reader?.stop();
  await t?.close();
});

async function topUp(
  accountId: string,
  amount = '100',
  method?: string,
): Promise<CreatedTopUp & { sessionId: string }> {
  const res = await t.http<CreatedTopUp>('POST', `/v1/accounts/${accountId}/top-ups`, {
    token: await t.tokenFor(accountId),
    body: method === undefined ? { amount } : { amount, method },
  });
  expect(res.status).toBe(201);
  const sessionId = /\/c\/pay\/(cs_test_\w+)$/.exec(res.body.checkoutUrl)?.[1];
  if (!sessionId) throw new Error(`unexpected checkout url ${res.body.checkoutUrl}`);
  return { ...res.body, sessionId };
}

async function topUpRow(topUpId: string): Promise<Record<string, unknown>> {
  const res = await t.db.query(`SELECT * FROM ${t.schema}.top_ups WHERE top_up_id = $1`, [topUpId]);
  return res.rows[0] as Record<string, unknown>;
}

describe('a manual top-up through Stripe Checkout', () => {
  it('goes from creation to TopUpSettled and a $20 BonusGranted on payments.v1', async () => {
    const accountId = account();
    const created = await topUp(accountId, '100');
    expect(created).toMatchObject({
      status: 'pending',
      topUpId: expect.stringMatching(/^tu_/) as string,
    });

    // The Checkout Session was created the way the contract says, and the stand-in accepted it.
    const [request] = t.stripe
      .requestsTo('POST', '/v1/checkout/sessions')
      .filter((r) => r.idempotencyKey === created.topUpId);
    expect(request).toMatchObject({
      status: 200,
      params: {
        mode: 'payment',
        line_items: [{ quantity: '1', price_data: { currency: 'usd', unit_amount: '10000' } }],
        allowed_payment_method_types: ['card', 'alipay'],
        metadata: { accountId, topUpId: created.topUpId, trigger: 'manual' },
        payment_intent_data: {
          metadata: { accountId, topUpId: created.topUpId, trigger: 'manual' },
        },
        client_reference_id: created.topUpId,
      },
    });

    const paid = t.stripe.completeCheckoutSession(created.sessionId, {
      customerName: 'Ada Lovelace',
      customerEmail: 'ada@example.com',
    });
    const delivered = await t.stripe.deliver(paid.completed);
    expect(delivered).toEqual({
      status: 200,
      body: JSON.stringify({ received: true, outcome: 'applied' }),
    });

    const events = await reader.waitFor(accountId, 2);
    const settled = events.find((e) => e.type === 'TopUpSettled');
    const bonus = events.find((e) => e.type === 'BonusGranted');
    expect(settled?.data).toEqual({
      topUpId: created.topUpId,
      amount: '100',
      method: 'card',
      trigger: 'manual',
      paymentReference: paid.paymentIntentId,
      invoiceId: expect.stringMatching(/^inv_/) as string,
    });
    expect(bonus?.data).toEqual({
      grantId: `bonus_${created.topUpId}`,
      amount: '20',
      reason: 'top_up_bonus',
      topUpId: created.topUpId,
    });
    expect(settled).toMatchObject({ source: 'payments', causationId: paid.completed.id });

    const list = await t.http<{ data: Record<string, unknown>[] }>(
      'GET',
      `/v1/accounts/${accountId}/top-ups`,
    );
    expect(list.body.data).toEqual([
      expect.objectContaining({
        topUpId: created.topUpId,
        amount: '100',
        status: 'settled',
        method: 'card',
        trigger: 'manual',
        invoiceId: (settled?.data as { invoiceId: string }).invoiceId,
        checkoutUrl: null,
      }),
    ]);
  });

  it('settles once and publishes one pair of events when the same webhook arrives three times', async () => {
    const accountId = account();
    const created = await topUp(accountId, '50');
    const { completed } = t.stripe.completeCheckoutSession(created.sessionId);
    const first = await t.stripe.deliver(completed);
    const again = await Promise.all([t.stripe.deliver(completed), t.stripe.deliver(completed)]);
    expect(first.status).toBe(200);
    expect(again.map((r) => r.status)).toEqual([200, 200]);
    expect(
      again.map((r) => JSON.parse(r.body) as { outcome: string }).map((b) => b.outcome),
    ).toEqual(['duplicate', 'duplicate']);

    expect(await t.count('stripe_events', 'top_up_id = $1', [created.topUpId])).toBe(1);
    expect(await t.count('invoices', 'top_up_id = $1', [created.topUpId])).toBe(1);
    expect(await t.count('outbox', 'message_key = $1', [accountId])).toBe(2);
    const events = await reader.waitFor(accountId, 2);
    await new Promise((r) => setTimeout(r, 500));
    expect(reader.of(accountId)).toHaveLength(2);
    expect(events.map((e) => e.type).sort()).toEqual(['BonusGranted', 'TopUpSettled']);
  });

  it('settles once when payment_intent.succeeded arrives before checkout.session.completed', async () => {
    const accountId = account();
    const created = await topUp(accountId, '20');
    const paid = t.stripe.completeCheckoutSession(created.sessionId);
    if (!paid.paymentIntentSucceeded || !paid.chargeSucceeded) throw new Error('expected events');

    expect(JSON.parse((await t.stripe.deliver(paid.paymentIntentSucceeded)).body)).toMatchObject({
      outcome: 'applied',
    });
    expect(JSON.parse((await t.stripe.deliver(paid.completed)).body)).toMatchObject({
      outcome: 'no_effect',
    });
    expect(JSON.parse((await t.stripe.deliver(paid.chargeSucceeded)).body)).toMatchObject({
      outcome: 'ignored',
    });

    const events = await reader.waitFor(accountId, 2);
    await new Promise((r) => setTimeout(r, 300));
    expect(reader.of(accountId)).toHaveLength(2);
    expect(events.find((e) => e.type === 'BonusGranted')?.data).toMatchObject({ amount: '4' });
    expect(await t.count('stripe_events', 'top_up_id = $1', [created.topUpId])).toBe(2);
    expect(await t.count('invoices', 'top_up_id = $1', [created.topUpId])).toBe(1);
  });

  it('asks Stripe which method paid when the session allowed card and Alipay', async () => {
    const accountId = account();
    const created = await topUp(accountId, '33.33');
    const paid = t.stripe.completeCheckoutSession(created.sessionId, {
      paymentMethodType: 'alipay',
    });
    expect((await t.stripe.deliver(paid.completed)).status).toBe(200);
    const events = await reader.waitFor(accountId, 2);
    expect(events.find((e) => e.type === 'TopUpSettled')?.data).toMatchObject({
      method: 'alipay',
      amount: '33.33',
    });
    // The bonus is exact: 33.33 x 0.20 = 6.666, not rounded to cents.
    expect(events.find((e) => e.type === 'BonusGranted')?.data).toMatchObject({ amount: '6.666' });
    expect(t.stripe.requestsTo('GET', `/v1/payment_intents/${paid.paymentIntentId}`)).toHaveLength(
      1,
    );
  });

  it('answers 503 when Stripe cannot say which method paid, and settles when the event comes again', async () => {
    const accountId = account();
    const created = await topUp(accountId, '15');
    const paid = t.stripe.completeCheckoutSession(created.sessionId);
    t.stripe.failNextRequests(1, 500);
    expect((await t.stripe.deliver(paid.completed)).status).toBe(503);
    expect(await t.count('stripe_events', 'top_up_id = $1', [created.topUpId])).toBe(0);
    expect(JSON.parse((await t.stripe.deliver(paid.completed)).body)).toMatchObject({
      outcome: 'applied',
    });
  });

  it('answers 502 and keeps no open top-up when Stripe cannot open a checkout', async () => {
    const accountId = account();
    t.stripe.failNextRequests(1, 503);
    const res = await t.http<{ error: { code: string } }>(
      'POST',
      `/v1/accounts/${accountId}/top-ups`,
      {
        body: { amount: '10' },
      },
    );
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe('PAYMENTS.PROVIDER_UNAVAILABLE');
    const list = await t.http<{ data: { status: string; failureCode: string }[] }>(
      'GET',
      `/v1/accounts/${accountId}/top-ups`,
    );
    expect(list.body.data).toEqual([
      expect.objectContaining({ status: 'failed', failureCode: 'checkout_unavailable' }),
    ]);
  });

  it('offers only the method asked for, and settles a delayed payment when it arrives', async () => {
    const accountId = account();
    const created = await topUp(accountId, '10', 'alipay');
    const request = t.stripe
      .requestsTo('POST', '/v1/checkout/sessions')
      .find((r) => r.idempotencyKey === created.topUpId);
    expect(request?.params.allowed_payment_method_types).toEqual(['alipay']);
    const pending = t.stripe.completeCheckoutSession(created.sessionId, {
      paymentMethodType: 'alipay',
      async: true,
    });
    expect(JSON.parse((await t.stripe.deliver(pending.completed)).body)).toMatchObject({
      outcome: 'ignored',
    });
    expect(await t.count('stripe_events', 'top_up_id = $1', [created.topUpId])).toBe(0);
    const later = t.stripe.asyncPaymentSucceeded(created.sessionId);
    expect(JSON.parse((await t.stripe.deliver(later.succeeded)).body)).toMatchObject({
      outcome: 'applied',
    });
    const events = await reader.waitFor(accountId, 2);
    expect(events.find((e) => e.type === 'TopUpSettled')?.data).toMatchObject({ method: 'alipay' });
  });

  it('marks a top-up failed when its session expires, and publishes nothing', async () => {
    const accountId = account();
    const created = await topUp(accountId, '10');
    const expired = t.stripe.expireCheckoutSession(created.sessionId);
    expect(JSON.parse((await t.stripe.deliver(expired)).body)).toMatchObject({
      outcome: 'applied',
    });
    expect(await topUpRow(created.topUpId)).toMatchObject({
      status: 'failed',
      failure_code: 'checkout_expired',
    });
    expect(await t.count('outbox', 'message_key = $1', [accountId])).toBe(0);
  });

  it('refuses amounts it cannot charge, with a clear message, and other accounts', async () => {
    const accountId = account();
    const token = await t.tokenFor(accountId);
    const post = (body: unknown, tok: string | null = token) =>
      t.http<{ error: { code: string; message: string } }>(
        'POST',
        `/v1/accounts/${accountId}/top-ups`,
        { token: tok, body },
      );
    expect((await post({ amount: '4.99' })).body.error).toEqual({
      code: 'PAYMENTS.AMOUNT_TOO_SMALL',
      message: 'the minimum top-up is $5.00',
    });
    expect((await post({ amount: '10000.01' })).body.error.code).toBe('PAYMENTS.AMOUNT_TOO_LARGE');
    expect((await post({ amount: '12.345' })).body.error).toMatchObject({
      code: 'PAYMENTS.INVALID_AMOUNT',
      message: expect.stringMatching(/whole number of cents/) as string,
    });
    expect((await post({ amount: 100 })).status).toBe(400);
    expect((await post({ amount: '10', method: 'bitcoin' })).status).toBe(400);
    expect((await post({ amount: '10' }, await t.tokenFor(`${accountId}_other`))).status).toBe(403);
    expect((await post({ amount: '10' }, null)).status).toBe(401);
    expect(await t.count('top_ups', 'account_id = $1', [accountId])).toBe(0);
  });
});

describe('the stand-in run as its own process would be', () => {
  it('lets a customer pay on its checkout page, which sends the webhooks, and refunds on request', async () => {
    const accountId = account();
    const created = await topUp(accountId, '25');
    const page = await fetch(created.checkoutUrl);
    expect(await page.text()).toContain('Pay with alipay');
    const pay = await fetch(created.checkoutUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'method=card',
      redirect: 'manual',
    });
    expect(pay.status).toBe(303);
    expect(pay.headers.get('location')).toContain('/billing/top-ups/success');
    const settled = await reader.waitFor(accountId, 2);
    const reference = (
      settled.find((e) => e.type === 'TopUpSettled')?.data as { paymentReference: string }
    ).paymentReference;

    const refund = await fetch(`${t.stripe.url}/_stand-in/payment_intents/${reference}/refund`, {
      method: 'POST',
      headers: { authorization: `Bearer ${STRIPE_SECRET_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ amount: 500 }),
    });
    expect(await refund.json()).toMatchObject({
      deliveries: [{ type: 'charge.refunded', status: 200 }],
    });
    const events = await reader.waitFor(accountId, 3);
    expect(events.find((e) => e.type === 'TopUpRefunded')?.data).toMatchObject({ amount: '5' });
  });
});

describe('webhook signatures', () => {
  it('refuses a bad signature with 400 and records nothing', async () => {
    const accountId = account();
    const created = await topUp(accountId, '10');
    const { completed } = t.stripe.completeCheckoutSession(created.sessionId);
    const url = `${t.baseUrl}/webhooks/stripe`;
    const wrongSecret = await deliverWebhook(url, completed, 'whsec_not_the_right_one');
    expect(wrongSecret.status).toBe(400);
    expect(JSON.parse(wrongSecret.body)).toMatchObject({
      error: { code: 'PAYMENTS.INVALID_SIGNATURE' },
    });

    // A body changed after signing: the signature is over the original bytes.
    const body = JSON.stringify(completed, null, 2);
    const { signedWebhook } = await import('../../testing/stripe-webhooks.js');
    const signed = signedWebhook(body, STRIPE_WEBHOOK_SECRET);
    const tampered = await fetch(url, {
      method: 'POST',
      headers: signed.headers,
      body: body.replace('"amount_total": 1000', '"amount_total": 100000'),
    });
    expect(tampered.status).toBe(400);
    const unsigned = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(unsigned.status).toBe(400);

    expect(await t.count('stripe_events', 'top_up_id = $1', [created.topUpId])).toBe(0);
    expect(await topUpRow(created.topUpId)).toMatchObject({ status: 'pending' });
    expect(await t.count('outbox', 'message_key = $1', [accountId])).toBe(0);
  });

  it('refuses a signature older than the tolerance, and accepts the same event signed now', async () => {
    const accountId = account();
    const created = await topUp(accountId, '10');
    const { completed } = t.stripe.completeCheckoutSession(created.sessionId);
    const stale = await t.stripe.deliver(completed, Math.floor(Date.now() / 1000) - 301);
    expect(stale.status).toBe(400);
    expect(JSON.parse(stale.body)).toMatchObject({
      error: {
        code: 'PAYMENTS.INVALID_SIGNATURE',
        message: 'Timestamp outside the tolerance zone',
      },
    });
    expect(await t.count('stripe_events', 'top_up_id = $1', [created.topUpId])).toBe(0);
    expect((await t.stripe.deliver(completed)).status).toBe(200);
  });
});

describe('refunds', () => {
  async function settledTopUp(
    accountId: string,
    amount: string,
  ): Promise<{ topUpId: string; paymentIntentId: string }> {
    const created = await topUp(accountId, amount);
    const paid = t.stripe.completeCheckoutSession(created.sessionId);
    expect((await t.stripe.deliver(paid.completed)).status).toBe(200);
    return { topUpId: created.topUpId, paymentIntentId: paid.paymentIntentId };
  }

  it('publishes the newly refunded amount of each partial refund, once', async () => {
    const accountId = account();
    const { topUpId, paymentIntentId } = await settledTopUp(accountId, '100');
    const first = t.stripe.refund(paymentIntentId, 3_000).chargeRefunded;
    expect(JSON.parse((await t.stripe.deliver(first)).body)).toMatchObject({ outcome: 'applied' });
    expect(JSON.parse((await t.stripe.deliver(first)).body)).toMatchObject({
      outcome: 'duplicate',
    });
    const second = t.stripe.refund(paymentIntentId, 2_000).chargeRefunded;
    expect(JSON.parse((await t.stripe.deliver(second)).body)).toMatchObject({ outcome: 'applied' });

    const events = await reader.waitFor(accountId, 4);
    const refunds = events.filter((e) => e.type === 'TopUpRefunded').map((e) => e.data);
    expect(refunds).toEqual([
      {
        topUpId,
        amount: '30',
        refundReference: expect.stringMatching(/\/refunded\/3000$/) as string,
      },
      {
        topUpId,
        amount: '20',
        refundReference: expect.stringMatching(/\/refunded\/5000$/) as string,
      },
    ]);
    expect(await topUpRow(topUpId)).toMatchObject({
      status: 'settled',
      refunded_nanos: '50000000000',
    });
  });

  it('applies cumulative refunds arriving out of order as their deltas, and ends refunded', async () => {
    const accountId = account();
    const { topUpId, paymentIntentId } = await settledTopUp(accountId, '40');
    const a = t.stripe.refund(paymentIntentId, 1_000).chargeRefunded; // 10 in total
    const b = t.stripe.refund(paymentIntentId, 3_000).chargeRefunded; // 40 in total
    expect(JSON.parse((await t.stripe.deliver(b)).body)).toMatchObject({ outcome: 'applied' });
    expect(JSON.parse((await t.stripe.deliver(a)).body)).toMatchObject({ outcome: 'no_effect' });
    const events = await reader.waitFor(accountId, 3);
    expect(events.filter((e) => e.type === 'TopUpRefunded').map((e) => e.data)).toEqual([
      expect.objectContaining({ amount: '40' }),
    ]);
    expect(await topUpRow(topUpId)).toMatchObject({ status: 'refunded' });
  });

  it('answers 503 to a refund that arrives before its payment is known, so Stripe retries it', async () => {
    const accountId = account();
    const created = await topUp(accountId, '10');
    const paid = t.stripe.completeCheckoutSession(created.sessionId);
    const refund = t.stripe.refund(paid.paymentIntentId, 500).chargeRefunded;
    expect((await t.stripe.deliver(refund)).status).toBe(503);
    expect(await t.count('stripe_events', 'top_up_id = $1', [created.topUpId])).toBe(0);
    expect((await t.stripe.deliver(paid.completed)).status).toBe(200);
    expect(JSON.parse((await t.stripe.deliver(refund)).body)).toMatchObject({ outcome: 'applied' });
    const events = await reader.waitFor(accountId, 3);
    expect(events.find((e) => e.type === 'TopUpRefunded')?.data).toMatchObject({ amount: '5' });
  });
});

describe('invoices', () => {
  it('numbers invoices gap-free, and serves a PDF that opens, carries the right numbers and never changes', async () => {
    const accountId = account();
    const created = await topUp(accountId, '100');
    const paid = t.stripe.completeCheckoutSession(created.sessionId, {
      customerName: 'Grace Hopper',
    });
    await t.stripe.deliver(paid.completed);

    const list = await t.http<{
      data: { invoiceId: string; number: string; amount: string; bonus: string; topUpId: string }[];
    }>('GET', `/v1/accounts/${accountId}/invoices`, { token: await t.tokenFor(accountId) });
    expect(list.status).toBe(200);
    expect(list.body.data).toEqual([
      expect.objectContaining({
        topUpId: created.topUpId,
        amount: '100',
        bonus: '20',
        number: expect.stringMatching(/^INV-\d{6}$/) as string,
      }),
    ]);
    const invoice = list.body.data[0];
    if (!invoice) throw new Error('no invoice');

    const path = `/v1/accounts/${accountId}/invoices/${invoice.invoiceId}/pdf`;
    const first = await t.http('GET', path, { token: await t.tokenFor(accountId) });
    await new Promise((r) => setTimeout(r, 1_100));
    const second = await t.http('GET', path);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('application/pdf');
    expect(second.bytes.equals(first.bytes)).toBe(true);

    const dir = mkdtempSync(join(tmpdir(), 'invoice-'));
    try {
      const file = join(dir, 'invoice.pdf');
      writeFileSync(file, first.bytes);
      const info = execFileSync('pdfinfo', [file], { encoding: 'utf8' });
      expect(info).toMatch(new RegExp(`Title:\\s+Invoice ${invoice.number}`));
      expect(info).toMatch(/Pages:\s+1/);
      const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
      for (const expected of [
        invoice.number,
        accountId,
        'Grace Hopper',
        '100.00',
        '20.00',
        '120.00',
        paid.paymentIntentId,
        'Card',
        'Status: Paid',
      ]) {
        expect(text).toContain(expected);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    // Another account sees no such invoice, even with a valid token of its own.
    const other = `${accountId}_x`;
    const foreign = await t.http('GET', `/v1/accounts/${other}/invoices/${invoice.invoiceId}/pdf`, {
      token: await t.tokenFor(other),
    });
    expect(foreign.status).toBe(404);
    expect((await t.http('GET', path, { token: await t.tokenFor(other) })).status).toBe(403);
  });

  it('gives concurrent settlements consecutive numbers with no gap', async () => {
    const accountId = account();
    const created = await Promise.all([1, 2, 3, 4, 5].map(() => topUp(accountId, '10')));
    // The first one is also delivered twice at the same time: the loser must not consume a number.
    const events = created.map((c) => t.stripe.completeCheckoutSession(c.sessionId).completed);
    await Promise.all([...events.map((e) => t.stripe.deliver(e)), t.stripe.deliver(events[0])]);
    const res = await t.db.query<{ number: string }>(
      `SELECT number::text FROM ${t.schema}.invoices WHERE account_id = $1 ORDER BY invoices.number`,
      [accountId],
    );
    const numbers = res.rows.map((r) => Number(r.number));
    expect(numbers).toHaveLength(5);
    expect(numbers[4]! - numbers[0]!).toBe(4);
    // Every invoice of this schema, from every test of the file: 1, 2, 3, ... with no gap, and the
    // counter stands at the last one.
    const all = await t.db.query<{ number: string }>(
      `SELECT number::text FROM ${t.schema}.invoices ORDER BY invoices.number`,
    );
    expect(all.rows.map((r) => Number(r.number))).toEqual(all.rows.map((_, i) => i + 1));
    const counter = await t.db.query<{ last_number: string }>(
      `SELECT last_number::text FROM ${t.schema}.invoice_counter`,
    );
    expect(Number(counter.rows[0]?.last_number)).toBe(all.rows.length);
  });
});
