import { uniqueName } from '@billing/testing';
import type { CreatedTopUp } from '../../commands/create-top-up/create-top-up.command.js';
import {
  createPaymentsTestApp,
  STRIPE_WEBHOOK_SECRET,
  type PaymentsTestApp,
} from '../../testing/payments-test-app.js';
import { pdfTextLines } from '../../testing/pdf-text.js';
import { deliverWebhook } from '../../testing/stripe-webhooks.js';
import type { InvoiceView } from './list-invoices.query.js';

// The account's invoices, top-ups and Builder subscription periods together (issue #17; docs/
// CONTRACTS.md, "Builder plan"): real PostgreSQL and Kafka, Stripe the stand-in, and the Builder
// invoices recorded from signed `invoice.paid` webhooks exactly as Stripe sends them.

let t: PaymentsTestApp;
const prefix = uniqueName('acct').slice(0, 20);
let n = 0;
const account = (): string => `${prefix}_${++n}`;

beforeAll(async () => {
  t = await createPaymentsTestApp({
    builderPlan: { priceId: 'price_builder_monthly', monthlyPriceNanos: null },
  });
}, 60_000);

afterAll(async () => {
  await t?.close();
});

const JAN = 1_798_761_600; // 2027-01-01T00:00:00Z, Stripe's seconds
const FEB = 1_801_440_000; // 2027-02-01T00:00:00Z
const MAR = 1_803_859_200; // 2027-03-01T00:00:00Z
let seq = 0;

/** `invoice.paid` of a Builder subscription as Stripe sends it (API 2026-10-28). */
function invoicePaid(
  accountId: string,
  invoiceId: string,
  cents: number,
  period: { start: number; end: number },
  customer: { customer_name?: string; customer_email?: string } = {},
) {
  seq += 1;
  return {
    id: `evt_inv_${Date.now().toString(36)}_${seq}`,
    object: 'event',
    type: 'invoice.paid',
    data: {
      object: {
        id: invoiceId,
        object: 'invoice',
        amount_paid: cents,
        currency: 'usd',
        customer: 'cus_builder',
        ...customer,
        parent: {
          type: 'subscription_details',
          subscription_details: {
            subscription: `sub_${accountId}`,
            metadata: { accountId, plan: 'builder' },
          },
        },
        lines: { data: [{ period }] },
      },
    },
  };
}

async function paidWebhook(event: unknown): Promise<void> {
  const res = await deliverWebhook(`${t.baseUrl}/webhooks/stripe`, event, STRIPE_WEBHOOK_SECRET);
  expect(res.status).toBe(200);
}

async function settledTopUp(accountId: string, amount: string): Promise<string> {
  const res = await t.http<CreatedTopUp>('POST', `/v1/accounts/${accountId}/top-ups`, {
    token: await t.tokenFor(accountId),
    body: { amount },
  });
  expect(res.status).toBe(201);
  const sessionId = /\/c\/pay\/(cs_test_\w+)$/.exec(res.body.checkoutUrl)?.[1];
  if (!sessionId) throw new Error(`unexpected checkout url ${res.body.checkoutUrl}`);
  const paid = t.stripe.completeCheckoutSession(sessionId);
  expect((await t.stripe.deliver(paid.completed)).status).toBe(200);
  return res.body.topUpId;
}

async function invoicesOf(accountId: string, limit?: number): Promise<InvoiceView[]> {
  const query = limit === undefined ? '' : `?limit=${limit}`;
  const res = await t.http<{ data: InvoiceView[] }>(
    'GET',
    `/v1/accounts/${accountId}/invoices${query}`,
    { token: await t.tokenFor(accountId) },
  );
  expect(res.status).toBe(200);
  return res.body.data;
}

const sequenceOf = (invoice: InvoiceView | undefined): number =>
  Number(invoice?.number.slice('INV-'.length));

describe('GET /v1/accounts/{accountId}/invoices with a Builder subscription', () => {
  it('lists the Builder periods with the top-ups, newest first, from one numbering sequence, with exact amounts', async () => {
    const accountId = account();
    const firstTopUp = await settledTopUp(accountId, '100');
    await paidWebhook(invoicePaid(accountId, `in_${accountId}_1`, 1999, { start: JAN, end: FEB }));
    const secondTopUp = await settledTopUp(accountId, '33.33');
    await paidWebhook(invoicePaid(accountId, `in_${accountId}_2`, 2000, { start: FEB, end: MAR }));

    const listed = await invoicesOf(accountId);
    expect(listed.map((i) => [i.kind, i.description, i.amount])).toEqual([
      ['builder_subscription', 'Builder plan, period 2027-02-01 to 2027-03-01', '20'],
      ['top_up', 'Account top-up (manual top-up)', '33.33'],
      ['builder_subscription', 'Builder plan, period 2027-01-01 to 2027-02-01', '19.99'],
      ['top_up', 'Account top-up (manual top-up)', '100'],
    ]);
    // One sequence: four consecutive numbers, highest first.
    const first = sequenceOf(listed[3]);
    expect(listed.map(sequenceOf)).toEqual([first + 3, first + 2, first + 1, first]);

    // A Builder invoice: what it is for, the fee to the nano-dollar, nothing a top-up has.
    expect(listed[0]).toEqual({
      invoiceId: expect.stringMatching(/^inv_[0-9a-f]{32}$/) as unknown,
      number: expect.stringMatching(/^INV-\d{6}$/) as unknown,
      kind: 'builder_subscription',
      description: 'Builder plan, period 2027-02-01 to 2027-03-01',
      topUpId: null,
      issuedAt: expect.any(String) as unknown,
      amount: '20',
      bonus: '0',
      discount: '0',
      promotionCode: null,
      currency: 'USD',
      method: null,
      trigger: null,
      paymentReference: `in_${accountId}_2`,
      subscriptionId: `sub_${accountId}`,
      periodStart: '2027-02-01T00:00:00.000Z',
      periodEnd: '2027-03-01T00:00:00.000Z',
      pdfUrl: `/v1/accounts/${accountId}/invoices/${listed[0]?.invoiceId}/pdf`,
    });
    // A top-up invoice keeps every field it had, and says it is one: a $33.33 top-up's exact bonus.
    expect(listed[1]).toMatchObject({
      kind: 'top_up',
      topUpId: secondTopUp,
      amount: '33.33',
      bonus: '6.666',
      discount: '0',
      currency: 'USD',
      method: 'card',
      trigger: 'manual',
      paymentReference: expect.stringMatching(/^pi_/) as unknown,
      subscriptionId: null,
      periodStart: null,
      periodEnd: null,
    });
    expect(listed[3]).toMatchObject({ topUpId: firstTopUp, amount: '100', bonus: '20' });

    // `limit` takes the newest of both kinds together.
    expect((await invoicesOf(accountId, 2)).map((i) => i.number)).toEqual(
      listed.slice(0, 2).map((i) => i.number),
    );
    expect((await invoicesOf(accountId, 1)).map((i) => i.kind)).toEqual(['builder_subscription']);

    // The same webhook again records nothing: still four invoices.
    await paidWebhook(invoicePaid(accountId, `in_${accountId}_2`, 2000, { start: FEB, end: MAR }));
    expect(await invoicesOf(accountId)).toHaveLength(4);
  });

  it('serves a Builder invoice as a PDF: the fee, the period, the payer, no bonus and no credits; the same bytes every time; 404 for another account', async () => {
    const accountId = account();
    await paidWebhook(
      invoicePaid(
        accountId,
        `in_${accountId}_pdf`,
        1999,
        { start: JAN, end: FEB },
        { customer_name: 'Ada Lovelace', customer_email: 'ada@example.com' },
      ),
    );
    const [invoice] = await invoicesOf(accountId);
    if (invoice === undefined) throw new Error('no invoice listed');
    const path = `/v1/accounts/${accountId}/invoices/${invoice.invoiceId}/pdf`;
    const first = await t.http('GET', path, { token: await t.tokenFor(accountId) });
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('application/pdf');
    expect(first.headers.get('content-disposition')).toBe(
      `inline; filename="${invoice.number}.pdf"`,
    );
    await new Promise((r) => setTimeout(r, 1_100));
    const second = await t.http('GET', path);
    expect(second.bytes.equals(first.bytes)).toBe(true);
    expect(first.bytes.toString('latin1')).toContain(`(Invoice ${invoice.number})`);

    const text = pdfTextLines(first.bytes);
    for (const line of [
      'INVOICE',
      `Invoice number: ${invoice.number}`,
      'Status: Paid',
      'Ada Lovelace',
      'ada@example.com',
      `Account: ${accountId}`,
      'Builder plan, period 2027-01-01 to 2027-02-01',
      '19.99',
      'Total charged',
      'USD 19.99',
      `Subscription: sub_${accountId}`,
      'Service period: 2027-01-01 00:00 UTC to 2027-02-01 00:00 UTC',
      `Payment reference: in_${accountId}_pdf`,
      `Invoice ID: ${invoice.invoiceId}`,
    ]) {
      expect(text).toContain(line);
    }
    const all = text.join('\n');
    expect(all).not.toMatch(/bonus/i);
    expect(all).not.toContain('Credits added');
    expect(all).not.toContain('Top-up');
    // Stored once, with its own layout version, next to the Builder invoice it prints.
    const stored = await t.db.query<{ layout_version: string }>(
      `SELECT layout_version FROM ${t.schema}.builder_invoice_documents WHERE invoice_id = $1`,
      [invoice.invoiceId],
    );
    expect(stored.rows).toEqual([{ layout_version: 'builder-invoice-layout-1' }]);

    // Another account's token, on its own path, finds no such invoice.
    const other = `${accountId}_x`;
    const foreign = await t.http('GET', `/v1/accounts/${other}/invoices/${invoice.invoiceId}/pdf`, {
      token: await t.tokenFor(other),
    });
    expect(foreign.status).toBe(404);
    expect((await t.http('GET', path, { token: await t.tokenFor(other) })).status).toBe(403);
    expect((await t.http('GET', `/v1/accounts/${accountId}/invoices/inv_unknown/pdf`)).status).toBe(
      404,
    );
  });

  it('keeps the counter gap-free across both kinds when top-ups and Builder invoices are issued at once', async () => {
    const accountId = account();
    const sessions = await Promise.all(
      [1, 2, 3].map(async () => {
        const res = await t.http<CreatedTopUp>('POST', `/v1/accounts/${accountId}/top-ups`, {
          token: await t.tokenFor(accountId),
          body: { amount: '10' },
        });
        return /\/c\/pay\/(cs_test_\w+)$/.exec(res.body.checkoutUrl)?.[1] ?? '';
      }),
    );
    const topUpEvents = sessions.map((s) => t.stripe.completeCheckoutSession(s).completed);
    const builderEvents = [1, 2, 3].map((i) =>
      invoicePaid(accountId, `in_${accountId}_c${i}`, 2000, {
        start: JAN + i * 86_400,
        end: FEB + i * 86_400,
      }),
    );
    await Promise.all([
      ...topUpEvents.map((e) => t.stripe.deliver(e)),
      ...builderEvents.map((e) => paidWebhook(e)),
      paidWebhook(builderEvents[0]), // the same invoice twice at once: one number
    ]);
    const listed = await invoicesOf(accountId);
    expect(listed.filter((i) => i.kind === 'top_up')).toHaveLength(3);
    expect(listed.filter((i) => i.kind === 'builder_subscription')).toHaveLength(3);
    const numbers = listed.map(sequenceOf);
    expect(numbers).toEqual([...numbers].sort((a, b) => b - a));
    // Every invoice of this schema, of both tables: 1, 2, 3, ... with no gap or double.
    const all = await t.db.query<{ number: string }>(
      `SELECT number::text FROM ${t.schema}.invoices
       UNION ALL SELECT number::text FROM ${t.schema}.builder_invoices ORDER BY 1`,
    );
    const sorted = all.rows.map((r) => Number(r.number)).sort((a, b) => a - b);
    expect(sorted).toEqual(sorted.map((_, i) => i + 1));
  });
});
