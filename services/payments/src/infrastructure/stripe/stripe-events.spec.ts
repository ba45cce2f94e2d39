import { readStripeEvent } from './stripe-events.js';

const event = (type: string, object: Record<string, unknown>) => ({
  id: 'evt_1',
  object: 'event',
  type,
  data: { object },
});
const ours = { accountId: 'acct_1', topUpId: 'tu_1' };
const session = (over: Record<string, unknown> = {}) => ({
  object: 'checkout.session',
  mode: 'payment',
  payment_status: 'paid',
  amount_total: 10_000,
  currency: 'usd',
  payment_intent: 'pi_1',
  metadata: ours,
  customer_details: { name: 'Ada', email: 'ada@example.com' },
  ...over,
});

describe('readStripeEvent', () => {
  it('reads a paid checkout session as a payment of our top-up', () => {
    expect(readStripeEvent(event('checkout.session.completed', session()))).toEqual({
      kind: 'observed',
      eventId: 'evt_1',
      type: 'checkout.session.completed',
      locator: { topUpId: 'tu_1', accountId: 'acct_1', paymentReference: 'pi_1' },
      observation: {
        kind: 'succeeded',
        source: 'checkout_session',
        amountCents: 10_000,
        currency: 'usd',
        paymentReference: 'pi_1',
        method: null,
        customer: { name: 'Ada', email: 'ada@example.com' },
      },
    });
  });

  it('waits for a session completed unpaid, and ignores what is not ours', () => {
    expect(
      readStripeEvent(event('checkout.session.completed', session({ payment_status: 'unpaid' }))),
    ).toMatchObject({ kind: 'ignored' });
    expect(
      readStripeEvent(event('checkout.session.completed', session({ metadata: {} }))),
    ).toMatchObject({ kind: 'ignored' });
    expect(readStripeEvent(event('customer.created', { object: 'customer' }))).toMatchObject({
      kind: 'ignored',
    });
  });

  it('reads failures, payment intents and cumulative refunds', () => {
    expect(readStripeEvent(event('checkout.session.expired', session()))).toMatchObject({
      observation: { kind: 'failed', source: 'checkout_session', code: 'checkout_expired' },
    });
    expect(
      readStripeEvent(
        event('payment_intent.succeeded', {
          object: 'payment_intent',
          id: 'pi_2',
          amount: 500,
          amount_received: 500,
          currency: 'usd',
          payment_method_types: ['card'],
          metadata: { ...ours, trigger: 'auto' },
        }),
      ),
    ).toMatchObject({
      locator: { topUpId: 'tu_1', paymentReference: 'pi_2' },
      observation: { kind: 'succeeded', method: 'card', amountCents: 500 },
    });
    expect(
      readStripeEvent(
        event('payment_intent.payment_failed', {
          object: 'payment_intent',
          id: 'pi_2',
          metadata: ours,
          last_payment_error: {
            code: 'card_declined',
            decline_code: 'insufficient_funds',
            message: 'no',
          },
        }),
      ),
    ).toMatchObject({
      observation: { kind: 'failed', source: 'payment_intent', code: 'insufficient_funds' },
    });
    expect(
      readStripeEvent(
        event('charge.refunded', {
          object: 'charge',
          id: 'ch_1',
          amount_refunded: 3_000,
          currency: 'usd',
          payment_intent: 'pi_1',
          metadata: {},
        }),
      ),
    ).toMatchObject({
      locator: { topUpId: null, paymentReference: 'pi_1' },
      observation: {
        kind: 'refunded',
        amountRefundedCents: 3_000,
        refundReference: 'ch_1/refunded/3000',
      },
    });
  });

  it.each([
    ['not an object', []],
    ['no id', { type: 'x', data: { object: {} } }],
    ['a foreign id', { id: 'x_1', type: 'x', data: { object: {} } }],
    ['no data', { id: 'evt_1', type: 'x' }],
    [
      'a paid session without amount',
      event('checkout.session.completed', session({ amount_total: '100' })),
    ],
    ['a wrong object', event('charge.refunded', session())],
    [
      'a negative refund',
      event('charge.refunded', {
        object: 'charge',
        id: 'ch_1',
        amount_refunded: -1,
        currency: 'usd',
      }),
    ],
  ])('refuses %s as malformed', (_label, value) => {
    expect(readStripeEvent(value)).toMatchObject({ kind: 'malformed' });
  });

  it('reads a completed setup session as a card saved to its customer, to be asked from Stripe', () => {
    const setup = {
      object: 'checkout.session',
      mode: 'setup',
      status: 'complete',
      customer: 'cus_1',
      setup_intent: 'seti_1',
      metadata: { accountId: 'acct_1', purpose: 'payment_method' },
    };
    expect(readStripeEvent(event('checkout.session.completed', setup))).toEqual({
      kind: 'payment_method',
      eventId: 'evt_1',
      type: 'checkout.session.completed',
      change: {
        kind: 'saved',
        customerId: 'cus_1',
        paymentMethodId: null,
        setupIntentId: 'seti_1',
        accountId: 'acct_1',
      },
    });
    expect(
      readStripeEvent(event('checkout.session.completed', { ...setup, customer: null })),
    ).toMatchObject({ kind: 'ignored' });
    expect(
      readStripeEvent(event('checkout.session.completed', { ...setup, setup_intent: null })),
    ).toMatchObject({ kind: 'malformed' });
  });

  it('reads setup_intent.succeeded and payment_method.detached', () => {
    const intent = {
      id: 'seti_1',
      object: 'setup_intent',
      customer: 'cus_1',
      payment_method: 'pm_1',
      status: 'succeeded',
      metadata: {},
    };
    expect(readStripeEvent(event('setup_intent.succeeded', intent))).toMatchObject({
      kind: 'payment_method',
      change: {
        kind: 'saved',
        customerId: 'cus_1',
        paymentMethodId: 'pm_1',
        setupIntentId: 'seti_1',
        accountId: null,
      },
    });
    expect(
      readStripeEvent(event('setup_intent.succeeded', { ...intent, customer: null })),
    ).toMatchObject({ kind: 'ignored' });
    expect(
      readStripeEvent(event('setup_intent.succeeded', { ...intent, payment_method: null })),
    ).toMatchObject({ kind: 'malformed' });
    expect(
      readStripeEvent(event('setup_intent.succeeded', { ...intent, object: 'payment_intent' })),
    ).toMatchObject({ kind: 'malformed' });
    expect(
      readStripeEvent(
        event('payment_method.detached', { id: 'pm_1', object: 'payment_method', customer: null }),
      ),
    ).toMatchObject({
      kind: 'payment_method',
      change: { kind: 'detached', paymentMethodId: 'pm_1' },
    });
    expect(
      readStripeEvent(event('payment_method.detached', { id: 'pm 1', object: 'payment_method' })),
    ).toMatchObject({ kind: 'malformed' });
  });
});

describe('readStripeEvent: Builder subscriptions', () => {
  const builder = { accountId: 'acct_1', plan: 'builder' };
  const invoice = (over: Record<string, unknown> = {}) => ({
    object: 'invoice',
    id: 'in_1',
    amount_paid: 2000,
    currency: 'usd',
    parent: { subscription_details: { subscription: 'sub_1', metadata: builder } },
    lines: { data: [{ period: { start: 1_798_761_600, end: 1_801_440_000 } }] },
    ...over,
  });
  const subscription = (over: Record<string, unknown> = {}) => ({
    object: 'subscription',
    id: 'sub_1',
    status: 'active',
    metadata: builder,
    ...over,
  });

  it('reads a paid invoice of a Builder subscription as its paid period, the fee in nano-dollars', () => {
    expect(readStripeEvent(event('invoice.paid', invoice()))).toEqual({
      kind: 'builder_subscription',
      eventId: 'evt_1',
      type: 'invoice.paid',
      accountId: 'acct_1',
      observation: {
        kind: 'invoice_paid',
        subscriptionId: 'sub_1',
        providerInvoiceId: 'in_1',
        amountNanos: 20_000_000_000n,
        currency: 'usd',
        periodStartMs: 1_798_761_600_000,
        periodEndMs: 1_801_440_000_000,
        customer: null,
      },
    });
  });

  it('reads the payer the invoice names (printed on our invoice), and ignores a name that is not text', () => {
    const named = invoice({ customer_name: 'Ada Lovelace', customer_email: 'ada@example.com' });
    expect(readStripeEvent(event('invoice.paid', named))).toMatchObject({
      observation: { customer: { name: 'Ada Lovelace', email: 'ada@example.com' } },
    });
    const odd = invoice({ customer_name: { first: 'Ada' }, customer_email: 'ada@example.com' });
    expect(readStripeEvent(event('invoice.paid', odd))).toMatchObject({
      observation: { customer: { name: null, email: 'ada@example.com' } },
    });
  });

  it("ignores an invoice that is not a Builder subscription's, and refuses one without a period", () => {
    const other = invoice({ parent: { subscription_details: { subscription: 'sub_1' } } });
    expect(readStripeEvent(event('invoice.paid', other))).toMatchObject({ kind: 'ignored' });
    expect(readStripeEvent(event('invoice.paid', invoice({ lines: { data: [] } })))).toMatchObject({
      kind: 'malformed',
    });
    const forged = invoice({
      parent: {
        subscription_details: {
          subscription: 'sub_1',
          metadata: { plan: 'builder', accountId: 'a b' },
        },
      },
    });
    expect(readStripeEvent(event('invoice.paid', forged))).toMatchObject({ kind: 'ignored' });
  });

  it.each([
    ['customer.subscription.deleted', 'canceled', 'canceled'],
    ['customer.subscription.updated', 'unpaid', 'unpaid'],
    ['customer.subscription.updated', 'incomplete_expired', 'expired'],
  ] as const)(
    'reads %s (status %s) as the end of the subscription (%s)',
    (type, status, reason) => {
      expect(readStripeEvent(event(type, subscription({ status })))).toEqual({
        kind: 'builder_subscription',
        eventId: 'evt_1',
        type,
        accountId: 'acct_1',
        observation: { kind: 'ended', subscriptionId: 'sub_1', reason },
      });
    },
  );

  it('ignores an update that does not end it (past_due retries), and subscriptions not ours', () => {
    expect(
      readStripeEvent(event('customer.subscription.updated', subscription({ status: 'past_due' }))),
    ).toMatchObject({ kind: 'ignored' });
    expect(
      readStripeEvent(event('customer.subscription.deleted', subscription({ metadata: {} }))),
    ).toMatchObject({ kind: 'ignored' });
  });
});
