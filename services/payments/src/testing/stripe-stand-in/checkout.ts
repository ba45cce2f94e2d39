import type { FormObject } from '../form-encoding.js';
import { createCustomer, savePaymentMethod } from './customers.js';
import { invalid, missing, notFound } from './errors.js';
import {
  array,
  CHECKOUT_PARAMS,
  int,
  isObject,
  MAX_CENTS,
  metadata,
  MIN_CENTS,
  onlyKnown,
  PAYMENT_INTENT_DATA_PARAMS,
  paymentMethodTypes,
  requiredStr,
  SETUP_INTENT_DATA_PARAMS,
  str,
  SUBSCRIPTION_DATA_PARAMS,
  url,
} from './params.js';
import type { StoredSession, StripeStore } from './store.js';
import type { StripeEvent, StripeObject } from './types.js';
import { clone, nowSeconds, randomId } from './values.js';

/** How the customer pays on the Checkout page (`async`: a delayed method, paid later). */
export interface CheckoutPayment {
  paymentMethodType?: string;
  customerName?: string;
  customerEmail?: string;
  async?: boolean;
}

// Checkout Sessions: created through the API (payment and setup modes), completed, paid later,
// or expired as the test says.

export function createCheckoutSession(
  store: StripeStore,
  baseUrl: string,
  params: FormObject,
): StripeObject {
  onlyKnown(params, CHECKOUT_PARAMS);
  const mode = requiredStr(params, 'mode');
  if (!['payment', 'setup', 'subscription'].includes(mode)) {
    throw invalid(
      `Invalid mode: must be one of payment, setup, or subscription`,
      'parameter_invalid',
      'mode',
    );
  }
  if (mode === 'setup') return createSetupSession(store, baseUrl, params);
  if (mode === 'subscription') return createSubscriptionSession(store, baseUrl, params);
  if (params.subscription_data !== undefined) {
    throw invalid(
      'You can only pass in `subscription_data` in `subscription` mode.',
      undefined,
      'subscription_data',
    );
  }
  if (params.setup_intent_data !== undefined) {
    throw invalid(
      'You can only pass in `setup_intent_data` in `setup` mode.',
      undefined,
      'setup_intent_data',
    );
  }
  const lineItems = array(params, 'line_items');
  if (!lineItems || lineItems.length === 0) throw missing('line_items');
  let currency: string | undefined;
  let total = 0;
  lineItems.forEach((item, i) => {
    const p = `line_items[${i}]`;
    if (!isObject(item)) throw invalid(`Invalid hash: ${p}`, 'parameter_invalid_hash', p);
    onlyKnown(item, new Set(['price_data', 'quantity', 'price']), p);
    if (item.price !== undefined)
      throw invalid(
        'The Stripe stand-in supports price_data only, not price ids.',
        undefined,
        `${p}[price]`,
      );
    const quantity = int(item, 'quantity', `${p}[quantity]`);
    if (quantity === undefined) throw missing(`${p}[quantity]`);
    if (quantity < 1) throw invalid('Quantity must be at least 1.', undefined, `${p}[quantity]`);
    const priceData = item.price_data;
    if (!isObject(priceData)) throw missing(`${p}[price_data]`);
    onlyKnown(
      priceData,
      new Set(['currency', 'unit_amount', 'unit_amount_decimal', 'product_data', 'product']),
      `${p}[price_data]`,
    );
    const itemCurrency = requiredStr(priceData, 'currency', `${p}[price_data][currency]`);
    if (!/^[a-z]{3}$/.test(itemCurrency))
      throw invalid(
        `Invalid currency: ${itemCurrency}`,
        'parameter_invalid',
        `${p}[price_data][currency]`,
      );
    if (currency !== undefined && currency !== itemCurrency)
      throw invalid('All line items must have the same currency.');
    currency = itemCurrency;
    const unitAmount = int(priceData, 'unit_amount', `${p}[price_data][unit_amount]`);
    if (unitAmount === undefined) throw missing(`${p}[price_data][unit_amount]`);
    if (unitAmount < 0)
      throw invalid('unit_amount must be non-negative', undefined, `${p}[price_data][unit_amount]`);
    const product = priceData.product_data;
    if (!isObject(product)) throw missing(`${p}[price_data][product_data]`);
    requiredStr(product, 'name', `${p}[price_data][product_data][name]`);
    total += unitAmount * quantity;
  });
  if (total < MIN_CENTS)
    throw invalid(
      "The Checkout Session's total amount due must add up to at least $0.50 usd",
      'amount_too_small',
    );
  if (total > MAX_CENTS)
    throw invalid(
      "The Checkout Session's total amount due must be no more than $999,999.99 usd",
      'amount_too_large',
    );
  const successUrl = url(params, 'success_url', true);
  const cancelUrl = url(params, 'cancel_url', false);
  const pid = params.payment_intent_data;
  let paymentIntentData: StoredSession['paymentIntentData'] = { metadata: {}, description: null };
  if (pid !== undefined) {
    if (!isObject(pid))
      throw invalid(
        'Invalid hash: payment_intent_data',
        'parameter_invalid_hash',
        'payment_intent_data',
      );
    onlyKnown(pid, PAYMENT_INTENT_DATA_PARAMS, 'payment_intent_data');
    paymentIntentData = {
      metadata: metadata(pid.metadata, 'payment_intent_data[metadata]'),
      description: str(pid, 'description', 'payment_intent_data[description]') ?? null,
    };
  }
  const clientReferenceId = str(params, 'client_reference_id') ?? null;
  if (clientReferenceId !== null && clientReferenceId.length > 200) {
    throw invalid(
      'client_reference_id must be at most 200 characters.',
      undefined,
      'client_reference_id',
    );
  }
  const id = randomId('cs_test_');
  const created = nowSeconds();
  const session: StripeObject = {
    id,
    object: 'checkout.session',
    mode,
    status: 'open',
    payment_status: 'unpaid',
    amount_subtotal: total,
    amount_total: total,
    currency,
    url: `${baseUrl}/c/pay/${id}`,
    success_url: successUrl,
    cancel_url: cancelUrl,
    client_reference_id: clientReferenceId,
    customer: str(params, 'customer') ?? null,
    customer_email: str(params, 'customer_email') ?? null,
    customer_details: null,
    metadata: metadata(params.metadata, 'metadata'),
    allowed_payment_method_types: paymentMethodTypes(params, 'allowed_payment_method_types'),
    payment_intent: null,
    created,
    expires_at: int(params, 'expires_at') ?? created + 24 * 3600,
    livemode: false,
  };
  store.sessions.set(id, { session, paymentIntentData });
  return clone(session);
}

/**
 * Checkout in subscription mode sells a recurring Price (by id: the stand-in knows any `price_...`
 * as a monthly USD price) to an existing `customer`; `subscription_data.metadata` is what the
 * subscription, and so its invoices' `parent.subscription_details.metadata`, will carry (kept on
 * the stored session for the test to read). Completing it and the subscription's lifecycle are
 * driven by the test with signed events, as Stripe would send them.
 */
export function createSubscriptionSession(
  store: StripeStore,
  baseUrl: string,
  params: FormObject,
): StripeObject {
  if (params.payment_intent_data !== undefined) {
    throw invalid(
      'You can only pass in `payment_intent_data` in `payment` mode.',
      undefined,
      'payment_intent_data',
    );
  }
  const lineItems = array(params, 'line_items');
  if (!lineItems || lineItems.length !== 1) throw missing('line_items');
  const item = lineItems[0];
  if (!isObject(item)) throw invalid('Invalid hash: line_items[0]', 'parameter_invalid_hash');
  onlyKnown(item, new Set(['price', 'quantity']), 'line_items[0]');
  const price = requiredStr(item, 'price', 'line_items[0][price]');
  if (!/^price_\w+$/.test(price)) throw notFound('price', price, 'line_items[0][price]');
  if (int(item, 'quantity', 'line_items[0][quantity]') !== 1) {
    throw invalid('The stand-in sells one unit of a subscription.', undefined, 'line_items[0]');
  }
  const customer = requiredStr(params, 'customer');
  if (!store.customers.has(customer)) throw notFound('customer', customer, 'customer');
  const sd = params.subscription_data;
  let subscriptionData: StoredSession['paymentIntentData'] = { metadata: {}, description: null };
  if (sd !== undefined) {
    if (!isObject(sd))
      throw invalid(
        'Invalid hash: subscription_data',
        'parameter_invalid_hash',
        'subscription_data',
      );
    onlyKnown(sd, SUBSCRIPTION_DATA_PARAMS, 'subscription_data');
    subscriptionData = {
      metadata: metadata(sd.metadata, 'subscription_data[metadata]'),
      description: str(sd, 'description', 'subscription_data[description]') ?? null,
    };
  }
  const id = randomId('cs_test_');
  const created = nowSeconds();
  const session: StripeObject = {
    id,
    object: 'checkout.session',
    mode: 'subscription',
    status: 'open',
    payment_status: 'unpaid',
    amount_subtotal: null,
    amount_total: null,
    currency: 'usd',
    url: `${baseUrl}/c/pay/${id}`,
    success_url: url(params, 'success_url', true),
    cancel_url: url(params, 'cancel_url', false),
    client_reference_id: str(params, 'client_reference_id') ?? null,
    customer,
    customer_email: null,
    customer_details: null,
    metadata: metadata(params.metadata, 'metadata'),
    allowed_payment_method_types: paymentMethodTypes(params, 'allowed_payment_method_types'),
    line_items: [{ price, quantity: 1 }],
    payment_intent: null,
    subscription: null,
    created,
    expires_at: int(params, 'expires_at') ?? created + 24 * 3600,
    livemode: false,
  };
  store.sessions.set(id, { session, paymentIntentData: subscriptionData });
  return clone(session);
}

/**
 * Checkout in setup mode saves a card without charging: no line items and no
 * `payment_intent_data`; `currency` is required (dynamic payment methods), `customer` must exist
 * (the card is attached to it on completion), `setup_intent_data.metadata` is copied to the
 * SetupIntent.
 */
export function createSetupSession(
  store: StripeStore,
  baseUrl: string,
  params: FormObject,
): StripeObject {
  if (params.line_items !== undefined) {
    throw invalid('You cannot pass `line_items` in `setup` mode.', undefined, 'line_items');
  }
  if (params.payment_intent_data !== undefined) {
    throw invalid(
      'You can only pass in `payment_intent_data` in `payment` mode.',
      undefined,
      'payment_intent_data',
    );
  }
  const currency = requiredStr(params, 'currency');
  if (!/^[a-z]{3}$/.test(currency))
    throw invalid(`Invalid currency: ${currency}`, 'parameter_invalid', 'currency');
  const customer = str(params, 'customer') ?? null;
  if (customer !== null && !store.customers.has(customer))
    throw notFound('customer', customer, 'customer');
  const successUrl = url(params, 'success_url', true);
  const cancelUrl = url(params, 'cancel_url', false);
  const sid = params.setup_intent_data;
  let setupIntentData: StoredSession['paymentIntentData'] = { metadata: {}, description: null };
  if (sid !== undefined) {
    if (!isObject(sid))
      throw invalid(
        'Invalid hash: setup_intent_data',
        'parameter_invalid_hash',
        'setup_intent_data',
      );
    onlyKnown(sid, SETUP_INTENT_DATA_PARAMS, 'setup_intent_data');
    setupIntentData = {
      metadata: metadata(sid.metadata, 'setup_intent_data[metadata]'),
      description: str(sid, 'description', 'setup_intent_data[description]') ?? null,
    };
  }
  const id = randomId('cs_test_');
  const created = nowSeconds();
  const session: StripeObject = {
    id,
    object: 'checkout.session',
    mode: 'setup',
    status: 'open',
    payment_status: 'no_payment_required',
    amount_subtotal: null,
    amount_total: null,
    currency,
    url: `${baseUrl}/c/pay/${id}`,
    success_url: successUrl,
    cancel_url: cancelUrl,
    client_reference_id: str(params, 'client_reference_id') ?? null,
    customer,
    customer_email: str(params, 'customer_email') ?? null,
    customer_details: null,
    metadata: metadata(params.metadata, 'metadata'),
    allowed_payment_method_types: paymentMethodTypes(params, 'allowed_payment_method_types'),
    payment_intent: null,
    setup_intent: null,
    created,
    expires_at: int(params, 'expires_at') ?? created + 24 * 3600,
    livemode: false,
  };
  store.sessions.set(id, { session, paymentIntentData: setupIntentData });
  return clone(session);
}

/**
 * The customer pays on the Checkout page: a PaymentIntent (carrying `payment_intent_data.metadata`)
 * and its charge are created and the session completes. With `async: true` (a delayed method) the
 * session completes `unpaid` and `asyncPaymentSucceeded` finishes it later.
 */
export function completeCheckoutSession(
  store: StripeStore,
  id: string,
  options: CheckoutPayment = {},
): {
  paymentIntentId: string;
  chargeId: string | null;
  completed: StripeEvent;
  paymentIntentSucceeded: StripeEvent | null;
  chargeSucceeded: StripeEvent | null;
} {
  const stored = store.sessions.get(id);
  if (!stored) throw new Error(`no checkout session ${id}`);
  const { session } = stored;
  if (session.status !== 'open') throw new Error(`session ${id} is ${String(session.status)}`);
  const type = options.paymentMethodType ?? 'card';
  const allowed = session.allowed_payment_method_types as string[] | null;
  if (allowed && !allowed.includes(type)) throw new Error(`session ${id} does not allow ${type}`);
  const pi: StripeObject = {
    id: randomId('pi_'),
    object: 'payment_intent',
    amount: session.amount_total,
    amount_received: 0,
    currency: session.currency,
    customer: null,
    payment_method: randomId(`pm_`),
    allowed_payment_method_types: allowed ?? ['card'],
    payment_method_types: [type],
    metadata: clone(stored.paymentIntentData.metadata),
    description: stored.paymentIntentData.description,
    status: 'processing',
    latest_charge: null,
    last_payment_error: null,
    capture_method: 'automatic',
    confirmation_method: 'automatic',
    created: nowSeconds(),
    livemode: false,
  };
  store.paymentIntents.set(pi.id as string, pi);
  Object.assign(session, {
    status: 'complete',
    payment_intent: pi.id,
    customer_details: {
      email: options.customerEmail ?? null,
      name: options.customerName ?? null,
    },
  });
  if (options.async) {
    session.payment_status = 'unpaid';
    return {
      paymentIntentId: pi.id as string,
      chargeId: null,
      completed: store.event('checkout.session.completed', session),
      paymentIntentSucceeded: null,
      chargeSucceeded: null,
    };
  }
  const charge = store.succeed(pi, type);
  session.payment_status = 'paid';
  return {
    paymentIntentId: pi.id as string,
    chargeId: charge.id as string,
    completed: store.event('checkout.session.completed', session),
    paymentIntentSucceeded: store.event('payment_intent.succeeded', pi),
    chargeSucceeded: store.event('charge.succeeded', charge),
  };
}

/**
 * The customer enters a card on a setup-mode Checkout page: a PaymentMethod behaving as
 * `paymentMethod` (a test token) is attached to the session's customer through a succeeded
 * SetupIntent carrying `setup_intent_data.metadata`.
 */
export function completeSetupSession(
  store: StripeStore,
  id: string,
  options: { paymentMethod?: string } = {},
): {
  paymentMethodId: string;
  setupIntentId: string;
  completed: StripeEvent;
  setupIntentSucceeded: StripeEvent;
  paymentMethodAttached: StripeEvent;
} {
  const stored = store.sessions.get(id);
  if (!stored) throw new Error(`no checkout session ${id}`);
  const { session } = stored;
  if (session.mode !== 'setup') throw new Error(`session ${id} is not in setup mode`);
  if (session.status !== 'open') throw new Error(`session ${id} is ${String(session.status)}`);
  if (typeof session.customer !== 'string') {
    // Stripe would create a customer; this service always passes its own.
    session.customer = createCustomer(store, {}).id;
  }
  const pm = savePaymentMethod(
    store,
    session.customer as string,
    options.paymentMethod ?? 'pm_card_visa',
  );
  const intent: StripeObject = {
    id: randomId('seti_'),
    object: 'setup_intent',
    customer: session.customer,
    payment_method: pm.id,
    payment_method_types: [pm.type],
    status: 'succeeded',
    usage: 'off_session',
    metadata: clone(stored.paymentIntentData.metadata),
    description: stored.paymentIntentData.description,
    created: nowSeconds(),
    livemode: false,
  };
  store.setupIntents.set(intent.id as string, intent);
  Object.assign(session, { status: 'complete', setup_intent: intent.id });
  return {
    paymentMethodId: pm.id as string,
    setupIntentId: intent.id as string,
    completed: store.event('checkout.session.completed', session),
    setupIntentSucceeded: store.event('setup_intent.succeeded', intent),
    paymentMethodAttached: store.event('payment_method.attached', pm),
  };
}

/** The delayed payment of a session completed `unpaid` went through. */
export function asyncPaymentSucceeded(
  store: StripeStore,
  id: string,
): {
  succeeded: StripeEvent;
  paymentIntentSucceeded: StripeEvent;
} {
  const { session } = store.sessions.get(id) ?? {};
  if (!session || typeof session.payment_intent !== 'string')
    throw new Error(`session ${id} is not awaiting a payment`);
  const pi = store.paymentIntent(session.payment_intent);
  store.succeed(pi, (pi.payment_method_types as string[])[0] ?? 'card');
  session.payment_status = 'paid';
  return {
    succeeded: store.event('checkout.session.async_payment_succeeded', session),
    paymentIntentSucceeded: store.event('payment_intent.succeeded', pi),
  };
}

export function asyncPaymentFailed(store: StripeStore, id: string): StripeEvent {
  const { session } = store.sessions.get(id) ?? {};
  if (!session) throw new Error(`no checkout session ${id}`);
  return store.event('checkout.session.async_payment_failed', session);
}

export function expireCheckoutSession(store: StripeStore, id: string): StripeEvent {
  const { session } = store.sessions.get(id) ?? {};
  if (!session) throw new Error(`no checkout session ${id}`);
  Object.assign(session, { status: 'expired', url: null });
  return store.event('checkout.session.expired', session);
}
