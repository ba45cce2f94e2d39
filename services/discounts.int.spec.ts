import { eventually } from '@billing/testing';
import type { BalanceView } from './ledger/src/queries/get-balance/get-balance.query.js';
import type { CreditsBreakdownView } from './ledger/src/queries/get-credits-breakdown/get-credits-breakdown.query.js';
import { createLedgerTestApp, type LedgerTestApp } from './ledger/src/testing/ledger-test-app.js';
import type { CreatedTopUp } from './payments/src/commands/create-top-up/create-top-up.command.js';
import { pdfTextLines } from './payments/src/testing/pdf-text.js';
import {
  createPaymentsTestApp,
  type PaymentsTestApp,
} from './payments/src/testing/payments-test-app.js';

// A discounted top-up across the two services that own it, through the real broker and the real
// database: payments (Stripe is the stand-in; the checkout is paid and its webhook signed as
// Stripe signs it) publishes TopUpSettled, DiscountApplied and BonusGranted on a payments topic
// that the ledger consumes. The balance, the credits breakdown, the history and the invoice must
// tell the same story to the nano-dollar. Issue #17, docs/adr/011-discounts.md.

let ledger: LedgerTestApp;
let payments: PaymentsTestApp;

beforeAll(async () => {
  ledger = await createLedgerTestApp();
  payments = await createPaymentsTestApp({
    topics: { payments: ledger.topics.payments, ledger: ledger.topics.ledger },
  });
}, 90_000);

afterAll(async () => {
  await payments?.close();
  await ledger?.close();
}, 60_000);

const balanceAt = (accountId: string, version: number) =>
  eventually(async () => {
    const b = await ledger.http<BalanceView>('GET', `/v1/accounts/${accountId}/balance`);
    return b.body.version >= version ? b.body : undefined;
  }, 20_000);

describe('a $100 top-up with a 10% promotion code, from checkout to the ledger', () => {
  it('charges $90, credits $100 + $20 bonus, and the balance, breakdown, history and invoice agree', async () => {
    const accountId = `acct_discount_${Date.now().toString(36)}`;
    const code = `SPRING${Date.now().toString(36).toUpperCase()}`;
    expect(
      (
        await payments.http('POST', '/v1/admin/promotion-codes', {
          body: { code, percentOff: '10', maxRedemptionsPerAccount: 1 },
        })
      ).status,
    ).toBe(201);

    const created = await payments.http<CreatedTopUp>('POST', `/v1/accounts/${accountId}/top-ups`, {
      token: await payments.tokenFor(accountId),
      body: { amount: '100', promotionCode: code },
    });
    expect(created).toMatchObject({ status: 201, body: { charged: '90', discount: '10' } });
    const sessionId = /\/c\/pay\/(cs_test_\w+)$/.exec(created.body.checkoutUrl)?.[1] ?? '';
    // The customer is charged the discounted amount at the payment provider.
    expect(payments.stripe.session(sessionId)).toMatchObject({
      amount_total: 9000,
      currency: 'usd',
    });
    const paid = payments.stripe.completeCheckoutSession(sessionId);
    expect((await payments.stripe.deliver(paid.completed)).status).toBe(200);

    // Three events: the $90 top-up, the $10 discount, the $20 bonus (on the full $100).
    expect(await balanceAt(accountId, 3)).toMatchObject({
      total: '120',
      topUp: '100',
      bonusAndCompensation: '20',
      available: '120',
      version: 3,
    });
    const breakdown = await ledger.http<CreditsBreakdownView>(
      'GET',
      `/v1/accounts/${accountId}/credits-breakdown`,
    );
    expect(breakdown.body).toMatchObject({
      topUps: '100',
      bonuses: '20',
      usage: '0',
      totalBalance: '120',
    });
    const history = await ledger.http<{
      data: { type: string; amount: string; description: string; invoiceId?: string }[];
    }>('GET', `/v1/accounts/${accountId}/transactions?limit=50`);
    // The three share an instant, so the set of rows is asserted.
    expect(history.body.data.map((r) => `${r.type} ${r.amount} ${r.description}`).sort()).toEqual([
      `bonus 20 Bonus for top-up ${created.body.topUpId}`,
      `discount 10 Discount ${code} on top-up ${created.body.topUpId}`,
      'top_up 90 Top-up via card',
    ]);

    // The invoice: the top-up asked for, the discount line, the $90 charged.
    const invoiceId = history.body.data.find((r) => r.type === 'top_up')?.invoiceId;
    expect(invoiceId).toMatch(/^inv_/);
    const pdf = await fetch(
      `${payments.baseUrl}/v1/accounts/${accountId}/invoices/${invoiceId}/pdf`,
      { headers: { authorization: `Bearer ${await payments.tokenFor(accountId)}` } },
    );
    expect(pdf.status).toBe(200);
    const lines = pdfTextLines(Buffer.from(await pdf.arrayBuffer()));
    expect(lines).toEqual(
      expect.arrayContaining([
        'Account top-up (manual top-up)',
        '100.00',
        `Discount (promotion code ${code})`,
        '-10.00',
        'USD 90.00',
        '120.00',
      ]),
    );

    // The same account cannot use the code twice (per-account limit 1), even for another amount.
    const second = await payments.http('POST', `/v1/accounts/${accountId}/top-ups/quote`, {
      token: await payments.tokenFor(accountId),
      body: { amount: '50', promotionCode: code },
    });
    expect(second).toMatchObject({
      status: 409,
      body: { error: { code: 'PAYMENTS.PROMOTION_CODE_EXHAUSTED' } },
    });
  }, 60_000);

  it('a full refund of the $90 charge claws back the discount and the bonus with it: the account ends at 0', async () => {
    const accountId = `acct_discount_refund_${Date.now().toString(36)}`;
    const code = `REFUND${Date.now().toString(36).toUpperCase()}`;
    await payments.http('POST', '/v1/admin/promotion-codes', { body: { code, percentOff: '10' } });
    const created = await payments.http<CreatedTopUp>('POST', `/v1/accounts/${accountId}/top-ups`, {
      token: await payments.tokenFor(accountId),
      body: { amount: '100', promotionCode: code },
    });
    const sessionId = /\/c\/pay\/(cs_test_\w+)$/.exec(created.body.checkoutUrl)?.[1] ?? '';
    const paid = payments.stripe.completeCheckoutSession(sessionId);
    expect((await payments.stripe.deliver(paid.completed)).status).toBe(200);
    await balanceAt(accountId, 3);

    const refunded = payments.stripe.refund(paid.paymentIntentId, 9000);
    expect((await payments.stripe.deliver(refunded.chargeRefunded)).status).toBe(200);

    expect(await balanceAt(accountId, 4)).toMatchObject({
      total: '0',
      topUp: '0',
      bonusAndCompensation: '0',
    });
    const breakdown = await ledger.http<CreditsBreakdownView>(
      'GET',
      `/v1/accounts/${accountId}/credits-breakdown`,
    );
    expect(breakdown.body).toMatchObject({ topUps: '0', bonuses: '0', totalBalance: '0' });
  }, 60_000);
});
