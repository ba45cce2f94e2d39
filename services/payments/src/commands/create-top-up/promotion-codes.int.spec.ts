import { uniqueName } from '@billing/testing';
import type { PromotionCodeView } from '../create-promotion-code/create-promotion-code.command.js';
import type { CreatedTopUp } from './create-top-up.command.js';
import {
  createPaymentsTestApp,
  PaymentsTopicReader,
  type PaymentsTestApp,
} from '../../testing/payments-test-app.js';

// Real PostgreSQL and Kafka; Stripe is the stand-in. Promotion codes on manual top-ups: the
// checkout charges the discounted amount, the settlement publishes DiscountApplied, and the
// redemption limits hold when checkouts race (the code's row lock). Each test uses codes and
// accounts of its own.

let t: PaymentsTestApp;
let reader: PaymentsTopicReader;
const prefix = uniqueName('promo').slice(0, 20);
let n = 0;
const account = (): string => `${prefix}_${++n}`;
const newCode = (): string =>
  `T${uniqueName('c')
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(-20)}`.toUpperCase();

beforeAll(async () => {
  t = await createPaymentsTestApp();
  if (!t.kafka) throw new Error('kafka expected');
  reader = await PaymentsTopicReader.start(t.kafka, prefix);
}, 60_000);

afterAll(async () => {
  await reader?.stop();
  await t?.close();
});

async function createCode(body: Record<string, unknown>): Promise<PromotionCodeView> {
  const res = await t.http<PromotionCodeView>('POST', '/v1/admin/promotion-codes', { body });
  expect(res.status).toBe(201);
  return res.body;
}

async function checkout(accountId: string, amount: string, promotionCode?: string) {
  return t.http<CreatedTopUp & { error?: { code: string; message: string } }>(
    'POST',
    `/v1/accounts/${accountId}/top-ups`,
    {
      token: await t.tokenFor(accountId),
      body: promotionCode === undefined ? { amount } : { amount, promotionCode },
    },
  );
}

const sessionOf = (created: CreatedTopUp): string => {
  const id = /\/c\/pay\/(cs_test_\w+)$/.exec(created.checkoutUrl)?.[1];
  if (!id) throw new Error(`unexpected checkout url ${created.checkoutUrl}`);
  return id;
};

describe('promotion codes: operators', () => {
  it('creates a code upper-cased, lists it with its counts, refuses it twice, and disables it', async () => {
    const code = newCode();
    const created = await createCode({
      code: code.toLowerCase(),
      percentOff: '10',
      validUntil: '2099-01-01T00:00:00Z',
      maxRedemptions: 5,
      maxRedemptionsPerAccount: 1,
    });
    expect(created).toMatchObject({
      code,
      percentOff: '10',
      amountOff: null,
      validFrom: null,
      validUntil: '2099-01-01T00:00:00.000Z',
      maxRedemptions: 5,
      maxRedemptionsPerAccount: 1,
      redemptions: 0,
      disabledAt: null,
    });
    const again = await t.http('POST', '/v1/admin/promotion-codes', {
      body: { code, amountOff: '5' },
    });
    expect(again).toMatchObject({
      status: 409,
      body: { error: { code: 'PAYMENTS.PROMOTION_CODE_EXISTS' } },
    });
    const list = await t.http<{ data: PromotionCodeView[] }>('GET', '/v1/admin/promotion-codes');
    expect(list.body.data.find((c) => c.code === code)).toEqual(created);

    const disabled = await t.http<PromotionCodeView>(
      'POST',
      `/v1/admin/promotion-codes/${code}/disable`,
    );
    expect(disabled.status).toBe(200);
    expect(disabled.body.disabledAt).not.toBeNull();
    const refused = await checkout(account(), '100', code);
    expect(refused).toMatchObject({
      status: 400,
      body: { error: { code: 'PAYMENTS.PROMOTION_CODE_INVALID' } },
    });
  });

  it("refuses a customer's token on the admin routes, and a bad body with 400", async () => {
    const accountId = account();
    const res = await t.http('POST', '/v1/admin/promotion-codes', {
      token: await t.tokenFor(accountId),
      body: { code: newCode(), percentOff: '10' },
    });
    expect(res.status).toBe(403);
    const bad = await t.http('POST', '/v1/admin/promotion-codes', {
      body: { code: newCode(), percentOff: '10', amountOff: '5' },
    });
    expect(bad).toMatchObject({
      status: 400,
      body: { error: { code: 'PAYMENTS.INVALID_REQUEST' } },
    });
    expect(await t.http('POST', '/v1/admin/promotion-codes/NOSUCHCODE1/disable')).toMatchObject({
      status: 404,
      body: { error: { code: 'PAYMENTS.NOT_FOUND' } },
    });
  });
});

describe('promotion codes: a top-up with a 10% code', () => {
  it('quotes $90 before paying, charges $90 at Stripe, and settles with TopUpSettled $90, DiscountApplied $10 and a $20 bonus', async () => {
    const code = newCode();
    await createCode({ code, percentOff: '10' });
    const accountId = account();

    const quote = await t.http('POST', `/v1/accounts/${accountId}/top-ups/quote`, {
      token: await t.tokenFor(accountId),
      body: { amount: '100', promotionCode: code.toLowerCase() },
    });
    expect(quote).toEqual({
      status: 200,
      body: {
        requested: '100',
        discount: '10',
        charged: '90',
        bonus: '20',
        credited: '120',
        promotionCode: code,
      },
    });
    // A quote reserves nothing.
    expect(await t.count('promotion_redemptions', 'code = $1', [code])).toBe(0);

    const created = await checkout(accountId, '100', code);
    expect(created).toMatchObject({
      status: 201,
      body: { status: 'pending', charged: '90', discount: '10', promotionCode: code },
    });
    // The Checkout Session charges the discounted amount: 9000 cents.
    const [request] = t.stripe
      .requestsTo('POST', '/v1/checkout/sessions')
      .filter((r) => r.idempotencyKey === created.body.topUpId);
    expect(request).toMatchObject({
      status: 200,
      params: { line_items: [{ price_data: { currency: 'usd', unit_amount: '9000' } }] },
    });

    const paid = t.stripe.completeCheckoutSession(sessionOf(created.body));
    expect((await t.stripe.deliver(paid.completed)).status).toBe(200);

    const events = await reader.waitFor(accountId, 3);
    const { topUpId } = created.body;
    expect(events.map((e) => [e.type, e.data])).toEqual([
      ['TopUpSettled', expect.objectContaining({ topUpId, amount: '90' })],
      [
        'DiscountApplied',
        { discountId: `disc_${topUpId}`, topUpId, promotionCode: code, amount: '10' },
      ],
      ['BonusGranted', expect.objectContaining({ topUpId, amount: '20' })],
    ]);
    expect(events.every((e) => e.correlationId === topUpId)).toBe(true);

    const invoices = await t.http<{ data: Record<string, unknown>[] }>(
      'GET',
      `/v1/accounts/${accountId}/invoices`,
    );
    expect(invoices.body.data).toEqual([
      expect.objectContaining({ amount: '90', discount: '10', bonus: '20', promotionCode: code }),
    ]);
    const topUps = await t.http<{ data: Record<string, unknown>[] }>(
      'GET',
      `/v1/accounts/${accountId}/top-ups`,
    );
    expect(topUps.body.data).toEqual([
      expect.objectContaining({ topUpId, amount: '90', discount: '10', promotionCode: code }),
    ]);
    expect(
      await t.count('promotion_redemptions', "code = $1 AND status = 'confirmed'", [code]),
    ).toBe(1);
  });

  it('refuses a fixed code larger than the amount and an unknown code, and opens no checkout', async () => {
    const code = newCode();
    await createCode({ code, amountOff: '25' });
    const accountId = account();
    expect(await checkout(accountId, '20', code)).toMatchObject({
      status: 400,
      body: { error: { code: 'PAYMENTS.DISCOUNT_EXCEEDS_AMOUNT' } },
    });
    expect(await checkout(accountId, '20', 'NOSUCHCODE1')).toMatchObject({
      status: 400,
      body: { error: { code: 'PAYMENTS.PROMOTION_CODE_INVALID' } },
    });
    expect(await t.count('top_ups', 'account_id = $1', [accountId])).toBe(0);
  });
});

describe('promotion codes: limits under concurrency', () => {
  it('given a code with a total limit of 1, when 8 accounts check out with it at once, then exactly one wins and 7 are refused', async () => {
    const code = newCode();
    await createCode({ code, percentOff: '10', maxRedemptions: 1 });
    const accounts = Array.from({ length: 8 }, account);

    const answers = await Promise.all(accounts.map((a) => checkout(a, '100', code)));

    const statuses = answers.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
    for (const refused of answers.filter((r) => r.status === 409)) {
      expect(refused.body.error?.code).toBe('PAYMENTS.PROMOTION_CODE_EXHAUSTED');
    }
    expect(
      await t.count('promotion_redemptions', "code = $1 AND status <> 'released'", [code]),
    ).toBe(1);
    // The losers opened no top-up and no checkout.
    expect(await t.count('top_ups', 'account_id = ANY($1::text[])', [accounts])).toBe(1);
  });

  it('given a per-account limit of 1, when one account checks out 5 times at once, then exactly one wins', async () => {
    const code = newCode();
    await createCode({ code, amountOff: '5', maxRedemptionsPerAccount: 1 });
    const accountId = account();

    const answers = await Promise.all(
      Array.from({ length: 5 }, () => checkout(accountId, '50', code)),
    );

    expect(answers.filter((r) => r.status === 201)).toHaveLength(1);
    expect(answers.filter((r) => r.status === 409)).toHaveLength(4);
    // Another account is not affected by this one's limit.
    expect(await checkout(account(), '50', code)).toMatchObject({
      status: 201,
      body: { charged: '45', discount: '5' },
    });
  });

  it('given the last redemption reserved by an open checkout, when that checkout expires, then the redemption is released and another account can take it', async () => {
    const code = newCode();
    await createCode({ code, percentOff: '10', maxRedemptions: 1 });
    const first = await checkout(account(), '100', code);
    expect(first.status).toBe(201);
    expect((await checkout(account(), '100', code)).status).toBe(409);

    const expired = t.stripe.expireCheckoutSession(sessionOf(first.body));
    expect((await t.stripe.deliver(expired)).status).toBe(200);
    expect(
      await t.count('promotion_redemptions', "code = $1 AND status = 'released'", [code]),
    ).toBe(1);

    expect(await checkout(account(), '100', code)).toMatchObject({
      status: 201,
      body: { charged: '90' },
    });
  });
});

describe('promotion codes: a checkout that cannot be opened', () => {
  it('given the last redemption, when Stripe cannot open the checkout (502), then the redemption is released, not lost', async () => {
    const code = newCode();
    await createCode({ code, percentOff: '10', maxRedemptions: 1 });
    t.stripe.failNextRequests(1, 503);
    expect(await checkout(account(), '100', code)).toMatchObject({
      status: 502,
      body: { error: { code: 'PAYMENTS.PROVIDER_UNAVAILABLE' } },
    });
    expect(
      await t.count('promotion_redemptions', "code = $1 AND status = 'released'", [code]),
    ).toBe(1);
    expect(await checkout(account(), '100', code)).toMatchObject({
      status: 201,
      body: { charged: '90' },
    });
  });
});

describe('promotion codes with the simulated provider (the standalone mode)', () => {
  let simulated: PaymentsTestApp;
  beforeAll(async () => {
    simulated = await createPaymentsTestApp({ paymentProvider: 'simulated' });
  }, 60_000);
  afterAll(async () => {
    await simulated?.close();
  });

  it('settles at once with the discount: TopUpSettled $45, DiscountApplied $5, a $10 bonus, the redemption confirmed', async () => {
    const code = newCode();
    const made = await simulated.http('POST', '/v1/admin/promotion-codes', {
      body: { code, amountOff: '5', maxRedemptions: 1 },
    });
    expect(made.status).toBe(201);
    const accountId = account();
    const res = await simulated.http<CreatedTopUp>('POST', `/v1/accounts/${accountId}/top-ups`, {
      body: { amount: '50', promotionCode: code },
    });
    expect(res).toMatchObject({
      status: 201,
      body: { status: 'settled', charged: '45', discount: '5', promotionCode: code },
    });
    const events = await reader.waitFor(accountId, 3);
    expect(events.map((e) => [e.type, (e.data as { amount: string }).amount])).toEqual([
      ['TopUpSettled', '45'],
      ['DiscountApplied', '5'],
      ['BonusGranted', '10'],
    ]);
    expect(
      await simulated.count('promotion_redemptions', "code = $1 AND status = 'confirmed'", [code]),
    ).toBe(1);
    // Its only redemption is used: the next account is refused.
    expect(
      await simulated.http('POST', `/v1/accounts/${account()}/top-ups`, {
        body: { amount: '50', promotionCode: code },
      }),
    ).toMatchObject({
      status: 409,
      body: { error: { code: 'PAYMENTS.PROMOTION_CODE_EXHAUSTED' } },
    });
  });
});
