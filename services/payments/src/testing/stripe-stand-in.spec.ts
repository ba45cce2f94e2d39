import Stripe from 'stripe';
import { createStripeClient } from '../infrastructure/stripe/stripe-client.js';
import { decodeForm, FormDecodeError } from './form-encoding.js';
import { StripeStandIn } from './stripe-stand-in/index.js';
import { signedWebhook } from './stripe-webhooks.js';

// The stand-in answers the real `stripe` library (on localhost, no other infrastructure): these
// tests hold it to behaving like Stripe where the payments service depends on it.

const KEY = 'sk_test_standin_spec';
let standIn: StripeStandIn;
let stripe: Stripe;

beforeAll(async () => {
  standIn = await StripeStandIn.start({ secretKey: KEY });
  stripe = createStripeClient({
    secretKey: KEY,
    apiBase: standIn.url,
    maxNetworkRetries: 0,
    timeoutMs: 5_000,
  });
});

afterAll(async () => {
  await standIn.close();
});

const session = (
  over: Partial<Stripe.Checkout.SessionCreateParams> = {},
): Stripe.Checkout.SessionCreateParams => ({
  mode: 'payment',
  line_items: [
    {
      quantity: 1,
      price_data: { currency: 'usd', unit_amount: 1_000, product_data: { name: 'Top-up' } },
    },
  ],
  success_url: 'https://example.com/ok',
  metadata: { accountId: 'acct_1', topUpId: 'tu_1' },
  ...over,
});

describe('the Stripe stand-in', () => {
  it('shows the amount of a checkout session in dollars and cents on its payment page', async () => {
    const created = await stripe.checkout.sessions.create(
      session({
        line_items: [
          {
            quantity: 1,
            price_data: {
              currency: 'usd',
              unit_amount: 12_345_678,
              product_data: { name: 'Top-up' },
            },
          },
        ],
      }),
      { idempotencyKey: 'k-page-1' },
    );
    const page = await fetch(created.url ?? '');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('pay $123456.78');
  });

  it("creates a checkout session shaped like Stripe's, and replays it for the same idempotency key", async () => {
    const first = await stripe.checkout.sessions.create(session(), {
      idempotencyKey: 'k-session-1',
    });
    expect(first).toMatchObject({
      id: expect.stringMatching(/^cs_test_/) as string,
      object: 'checkout.session',
      amount_total: 1_000,
      currency: 'usd',
      status: 'open',
      payment_status: 'unpaid',
      url: expect.stringContaining('/c/pay/cs_test_') as string,
      metadata: { accountId: 'acct_1', topUpId: 'tu_1' },
    });
    const again = await stripe.checkout.sessions.create(session(), {
      idempotencyKey: 'k-session-1',
    });
    expect(again.id).toBe(first.id);
    expect(standIn.requests.at(-1)?.replayed).toBe(true);
    await expect(
      stripe.checkout.sessions.create(session({ metadata: { accountId: 'acct_2' } }), {
        idempotencyKey: 'k-session-1',
      }),
    ).rejects.toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
  });

  it('refuses what Stripe refuses: a wrong key, a missing or unknown parameter, a fractional amount', async () => {
    const wrongKey = createStripeClient({
      secretKey: 'sk_test_wrong',
      apiBase: standIn.url,
      maxNetworkRetries: 0,
      timeoutMs: 5_000,
    });
    await expect(
      wrongKey.checkout.sessions.create(session(), { idempotencyKey: 'k1' }),
    ).rejects.toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    await expect(
      stripe.checkout.sessions.create(session({ success_url: undefined }), {
        idempotencyKey: 'k2',
      }),
    ).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      code: 'parameter_missing',
      param: 'success_url',
    });
    const legacy = {
      ...session(),
      payment_method_types: ['card'],
    } as Stripe.Checkout.SessionCreateParams;
    await expect(
      stripe.checkout.sessions.create(legacy, { idempotencyKey: 'k3' }),
    ).rejects.toMatchObject({
      code: 'parameter_unknown',
      param: 'payment_method_types',
    });
    const fractional = session({
      line_items: [
        {
          quantity: 1,
          price_data: { currency: 'usd', unit_amount: 10.5, product_data: { name: 'x' } },
        },
      ],
    });
    await expect(
      stripe.checkout.sessions.create(fractional, { idempotencyKey: 'k4' }),
    ).rejects.toMatchObject({
      code: 'parameter_invalid_integer',
    });
    const tooSmall = session({
      line_items: [
        {
          quantity: 1,
          price_data: { currency: 'usd', unit_amount: 49, product_data: { name: 'x' } },
        },
      ],
    });
    await expect(
      stripe.checkout.sessions.create(tooSmall, { idempotencyKey: 'k5' }),
    ).rejects.toMatchObject({ code: 'amount_too_small' });
  });

  it('requires an idempotency key and a form-encoded body', async () => {
    const post = (headers: Record<string, string>, body: string) =>
      fetch(`${standIn.url}/v1/checkout/sessions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, ...headers },
        body,
      });
    const noKey = await post(
      { 'content-type': 'application/x-www-form-urlencoded' },
      'mode=payment',
    );
    expect(noKey.status).toBe(400);
    const asJson = await post(
      { 'content-type': 'application/json', 'idempotency-key': 'k' },
      '{"mode":"payment"}',
    );
    expect(asJson.status).toBe(400);
  });

  it('charges a saved card off-session, and declines the test card that declines', async () => {
    const customer = await stripe.customers.create({}, { idempotencyKey: 'cus-charge' });
    const visa = standIn.savePaymentMethod(customer.id, 'pm_card_visa').id as string;
    const declining = standIn.savePaymentMethod(customer.id, 'pm_card_chargeDeclined').id as string;
    const ok = await stripe.paymentIntents.create(
      {
        amount: 5_000,
        currency: 'usd',
        customer: customer.id,
        payment_method: visa,
        confirm: true,
        off_session: true,
        expand: ['payment_method'],
      },
      { idempotencyKey: 'pi-1' },
    );
    expect(ok).toMatchObject({
      status: 'succeeded',
      amount_received: 5_000,
      payment_method: { type: 'card' },
    });
    const error: unknown = await stripe.paymentIntents
      .create(
        {
          amount: 5_000,
          currency: 'usd',
          customer: customer.id,
          payment_method: declining,
          confirm: true,
          off_session: true,
        },
        { idempotencyKey: 'pi-2' },
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(error).toMatchObject({
      code: 'card_declined',
      decline_code: 'generic_decline',
      payment_intent: { status: 'requires_payment_method' },
    });
    await expect(
      stripe.paymentIntents.create(
        { amount: 5_000, currency: 'usd', payment_method: 'pm_card_visa', off_session: true },
        { idempotencyKey: 'pi-3' },
      ),
    ).rejects.toMatchObject({ param: 'off_session' });
    const read = await stripe.paymentIntents.retrieve(ok.id, { expand: ['latest_charge'] });
    expect(read.latest_charge).toMatchObject({
      object: 'charge',
      payment_method_details: { type: 'card' },
    });
  });

  it('creates customers with metadata, and refuses a charge with an unknown customer', async () => {
    const created = await stripe.customers.create(
      { metadata: { accountId: 'acct_1' }, description: 'Account acct_1' },
      { idempotencyKey: 'cus-1' },
    );
    expect(created).toMatchObject({
      id: expect.stringMatching(/^cus_/) as string,
      object: 'customer',
      metadata: { accountId: 'acct_1' },
    });
    // The same key with other parameters is refused, as at Stripe.
    expect(
      await stripe.customers
        .create({ metadata: { accountId: 'acct_2' } }, { idempotencyKey: 'cus-1' })
        .catch((e: unknown) => e),
    ).toMatchObject({ type: 'StripeIdempotencyError' });
    expect((await stripe.customers.retrieve(created.id)).id).toBe(created.id);
    const again = await stripe.customers.create(
      { metadata: { accountId: 'acct_1' }, description: 'Account acct_1' },
      { idempotencyKey: 'cus-1' },
    );
    expect(again.id).toBe(created.id);
    await expect(
      stripe.paymentIntents.create(
        {
          amount: 5_000,
          currency: 'usd',
          customer: 'cus_nobody',
          payment_method: 'pm_card_visa',
          confirm: true,
          off_session: true,
        },
        { idempotencyKey: 'pi-nobody' },
      ),
    ).rejects.toMatchObject({ statusCode: 404, code: 'resource_missing', param: 'customer' });
  });

  it('opens a setup-mode checkout session as Stripe validates it, and saves a card to its customer', async () => {
    const customer = await stripe.customers.create({}, { idempotencyKey: 'cus-setup' });
    const setup = (over: Partial<Stripe.Checkout.SessionCreateParams> = {}) =>
      ({
        mode: 'setup',
        customer: customer.id,
        currency: 'usd',
        success_url: 'https://example.com/ok',
        metadata: { accountId: 'acct_1' },
        setup_intent_data: { metadata: { accountId: 'acct_1' } },
        ...over,
      }) as Stripe.Checkout.SessionCreateParams;
    const refused = async (params: Stripe.Checkout.SessionCreateParams, key: string) =>
      stripe.checkout.sessions.create(params, { idempotencyKey: key }).catch((e: unknown) => e);
    expect(await refused(setup({ currency: undefined }), 's-1')).toMatchObject({
      code: 'parameter_missing',
      param: 'currency',
    });
    expect(await refused(setup({ customer: 'cus_nobody' }), 's-2')).toMatchObject({
      code: 'resource_missing',
      param: 'customer',
    });
    expect(await refused(setup({ line_items: session().line_items ?? [] }), 's-3')).toMatchObject({
      param: 'line_items',
    });
    expect(
      await refused(setup({ payment_intent_data: { metadata: { a: 'b' } } }), 's-4'),
    ).toMatchObject({ param: 'payment_intent_data' });
    expect(
      await refused(session({ setup_intent_data: { metadata: { a: 'b' } } }), 's-5'),
    ).toMatchObject({ param: 'setup_intent_data' });

    const created = await stripe.checkout.sessions.create(setup(), { idempotencyKey: 's-ok' });
    expect(created).toMatchObject({ mode: 'setup', status: 'open', customer: customer.id });
    const saved = standIn.completeSetupSession(created.id, { paymentMethod: 'pm_card_mastercard' });
    expect(saved.completed.data.object).toMatchObject({
      mode: 'setup',
      status: 'complete',
      customer: customer.id,
      setup_intent: saved.setupIntentId,
    });
    expect(saved.setupIntentSucceeded.data.object).toMatchObject({
      object: 'setup_intent',
      status: 'succeeded',
      customer: customer.id,
      payment_method: saved.paymentMethodId,
      metadata: { accountId: 'acct_1' },
    });
    const intent = await stripe.setupIntents.retrieve(saved.setupIntentId);
    expect(intent.payment_method).toBe(saved.paymentMethodId);
    const pm = await stripe.paymentMethods.retrieve(saved.paymentMethodId);
    expect(pm).toMatchObject({
      customer: customer.id,
      type: 'card',
      card: { brand: 'mastercard', last4: '4444' },
    });
    const listed = await stripe.paymentMethods.list({ customer: customer.id });
    expect(listed.data.map((x) => x.id)).toEqual([saved.paymentMethodId]);
  });

  it('detaches a payment method for good: never detached twice, never charged again', async () => {
    const customer = await stripe.customers.create({}, { idempotencyKey: 'cus-detach' });
    const other = await stripe.customers.create({}, { idempotencyKey: 'cus-detach-other' });
    const pm = standIn.savePaymentMethod(customer.id).id as string;
    const charge = (customerId: string, key: string) =>
      stripe.paymentIntents.create(
        {
          amount: 5_000,
          currency: 'usd',
          customer: customerId,
          payment_method: pm,
          confirm: true,
          off_session: true,
        },
        { idempotencyKey: key },
      );
    // Another customer's card cannot be charged with this customer.
    await expect(charge(other.id, 'd-other')).rejects.toMatchObject({
      statusCode: 400,
      param: 'payment_method',
    });
    const detached = await stripe.paymentMethods.detach(pm, {}, { idempotencyKey: 'd-1' });
    expect(detached.customer).toBeNull();
    await expect(
      stripe.paymentMethods.detach(pm, {}, { idempotencyKey: 'd-2' }),
    ).rejects.toMatchObject({ statusCode: 400 });
    await expect(charge(customer.id, 'd-charge')).rejects.toMatchObject({
      statusCode: 400,
      message: expect.stringContaining('detached from a Customer') as string,
    });
    const event = standIn.savePaymentMethod(customer.id);
    const dashboard = standIn.detachPaymentMethod(event.id as string);
    expect(dashboard).toMatchObject({
      type: 'payment_method.detached',
      data: {
        object: { id: event.id, customer: null },
        previous_attributes: { customer: customer.id },
      },
    });
  });

  it('produces events the stripe library verifies', () => {
    const event = standIn.event('charge.refunded', { id: 'ch_1', object: 'charge' });
    const { body, headers } = signedWebhook(event, 'whsec_spec');
    const verified = Stripe.webhooks.constructEvent(
      body,
      headers['stripe-signature'] ?? '',
      'whsec_spec',
    );
    expect(verified).toMatchObject({ id: event.id, type: 'charge.refunded' });
  });
});

describe('decodeForm', () => {
  it('decodes bracketed keys into objects and arrays, in index order', () => {
    expect(
      decodeForm(
        'mode=payment&line_items[1][quantity]=2&line_items[0][quantity]=1&expand[]=a&expand[]=b&metadata[k]=v%20w+x',
      ),
    ).toEqual({
      mode: 'payment',
      line_items: [{ quantity: '1' }, { quantity: '2' }],
      expand: ['a', 'b'],
      metadata: { k: 'v w x' },
    });
  });

  it.each([
    'a[__proto__][x]=1',
    'constructor[prototype][x]=1',
    'a=1&a=2',
    'a=1&a[b]=2',
    'x[1]=1',
    '%E0%A4%A=1',
    '[x]=1',
  ])('refuses %s', (body) => {
    expect(() => decodeForm(body)).toThrow(FormDecodeError);
  });
});
