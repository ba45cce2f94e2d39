import type { FormObject } from '../form-encoding.js';
import { createCheckoutSession } from './checkout.js';
import { createCustomer } from './customers.js';
import { invalid, notFound, StripeApiError } from './errors.js';
import { array, onlyKnown, requiredStr, str } from './params.js';
import { createPaymentIntent } from './payment-intents.js';
import type { StripeStore } from './store.js';
import { clone } from './values.js';

/** Routes one API request (authenticated, parameters decoded) to what it does. */
export function execute(
  store: StripeStore,
  baseUrl: string,
  method: string,
  path: string,
  params: FormObject,
): { status: number; response: unknown } {
  let m: RegExpExecArray | null;
  if (method === 'POST' && path === '/v1/checkout/sessions') {
    return { status: 200, response: createCheckoutSession(store, baseUrl, params) };
  }
  if (method === 'POST' && path === '/v1/payment_intents') {
    return createPaymentIntent(store, params);
  }
  if (method === 'POST' && path === '/v1/customers') {
    return { status: 200, response: createCustomer(store, params) };
  }
  if (method === 'GET' && (m = /^\/v1\/customers\/([^/]+)$/.exec(path))) {
    const customer = store.customers.get(m[1] ?? '');
    if (!customer) throw notFound('customer', m[1] ?? '');
    return { status: 200, response: clone(customer) };
  }
  if (method === 'GET' && (m = /^\/v1\/setup_intents\/([^/]+)$/.exec(path))) {
    const intent = store.setupIntents.get(m[1] ?? '');
    if (!intent) throw notFound('setup_intent', m[1] ?? '');
    return { status: 200, response: clone(intent) };
  }
  if (method === 'GET' && path === '/v1/payment_methods') {
    onlyKnown(params, new Set(['customer', 'type', 'limit']));
    const customer = requiredStr(params, 'customer');
    if (!store.customers.has(customer)) throw notFound('customer', customer, 'customer');
    const type = str(params, 'type');
    const data = [...store.paymentMethods.values()]
      .map((x) => x.pm)
      .filter((pm) => pm.customer === customer && (type === undefined || pm.type === type))
      .map((pm) => clone(pm));
    return {
      status: 200,
      response: { object: 'list', url: '/v1/payment_methods', has_more: false, data },
    };
  }
  if (method === 'GET' && (m = /^\/v1\/payment_methods\/([^/]+)$/.exec(path))) {
    const stored = store.paymentMethods.get(m[1] ?? '');
    if (!stored) throw notFound('PaymentMethod', m[1] ?? '');
    return { status: 200, response: clone(stored.pm) };
  }
  if (method === 'POST' && (m = /^\/v1\/payment_methods\/([^/]+)\/detach$/.exec(path))) {
    onlyKnown(params, new Set(['expand']));
    const stored = store.paymentMethods.get(m[1] ?? '');
    if (!stored) throw notFound('PaymentMethod', m[1] ?? '');
    if (stored.pm.customer === null) {
      throw invalid(
        'The payment method you provided is not attached to a customer so detachment is impossible.',
      );
    }
    stored.pm.customer = null;
    return { status: 200, response: clone(stored.pm) };
  }
  if (method === 'GET' && (m = /^\/v1\/checkout\/sessions\/([^/]+)$/.exec(path))) {
    const stored = store.sessions.get(m[1] ?? '');
    if (!stored) throw notFound('checkout.session', m[1] ?? '');
    return { status: 200, response: clone(stored.session) };
  }
  if (method === 'GET' && (m = /^\/v1\/payment_intents\/([^/]+)$/.exec(path))) {
    const pi = store.paymentIntents.get(m[1] ?? '');
    if (!pi) throw notFound('payment_intent', m[1] ?? '');
    return { status: 200, response: store.expandPaymentIntent(pi, array(params, 'expand') ?? []) };
  }
  throw new StripeApiError(404, {
    error: {
      type: 'invalid_request_error',
      message: `Unrecognized request URL (${method}: ${path}).`,
    },
  });
}
