import type { FormObject } from '../form-encoding.js';
import { TEST_CARDS } from './cards.js';
import { CUSTOMER_PARAMS, metadata, onlyKnown, str } from './params.js';
import type { StripeStore } from './store.js';
import type { StripeEvent, StripeObject } from './types.js';
import { clone, nowSeconds, randomId } from './values.js';

// Customers and their saved PaymentMethods.

export function createCustomer(store: StripeStore, params: FormObject): StripeObject {
  onlyKnown(params, CUSTOMER_PARAMS);
  const customer: StripeObject = {
    id: randomId('cus_'),
    object: 'customer',
    description: str(params, 'description') ?? null,
    email: str(params, 'email') ?? null,
    name: str(params, 'name') ?? null,
    metadata: metadata(params.metadata, 'metadata'),
    created: nowSeconds(),
    livemode: false,
  };
  store.customers.set(customer.id as string, customer);
  return clone(customer);
}

/**
 * A PaymentMethod made from a test token (`pm_card_visa`, `pm_card_chargeDeclined`,
 * `pm_usBankAccount`, ...) and attached to `customerId` (or to nobody): what the Dashboard or
 * another integration on the same Stripe account could create.
 */
export function savePaymentMethod(
  store: StripeStore,
  customerId: string | null,
  testCard = 'pm_card_visa',
): StripeObject {
  if (customerId !== null && !store.customers.has(customerId))
    throw new Error(`no customer ${customerId}`);
  const bank = testCard === 'pm_usBankAccount';
  const card = TEST_CARDS[testCard] ?? { brand: 'visa', last4: '4242' };
  const pm: StripeObject = {
    id: randomId('pm_'),
    object: 'payment_method',
    type: bank ? 'us_bank_account' : 'card',
    ...(bank
      ? { us_bank_account: { bank_name: 'STRIPE TEST BANK', last4: '6789' } }
      : {
          card: {
            brand: card.brand,
            last4: card.last4,
            exp_month: 12,
            exp_year: new Date().getUTCFullYear() + 3,
            funding: 'credit',
            country: 'US',
          },
        }),
    billing_details: { name: null, email: null },
    customer: customerId,
    metadata: {},
    created: nowSeconds(),
    livemode: false,
  };
  store.paymentMethods.set(pm.id as string, { pm, testCard });
  return pm;
}

/** The card is detached outside the service (the Dashboard): `payment_method.detached`. */
export function detachPaymentMethod(store: StripeStore, id: string): StripeEvent {
  const pm = store.storedPaymentMethod(id);
  if (pm.customer === null) throw new Error(`payment method ${id} is not attached`);
  const previous = pm.customer;
  pm.customer = null;
  const event = store.event('payment_method.detached', pm);
  return { ...event, data: { ...event.data, previous_attributes: { customer: previous } } };
}
