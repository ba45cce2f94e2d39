import type { FormValue } from '../form-encoding.js';
import { invalid } from './errors.js';
import { STAND_IN_API_VERSION, type StripeEvent, type StripeObject } from './types.js';
import { clone, nowSeconds, randomId } from './values.js';

/** A Checkout Session, with what its PaymentIntent (or SetupIntent) will carry. */
export interface StoredSession {
  session: StripeObject;
  paymentIntentData: { metadata: Record<string, string>; description: string | null };
}

/**
 * The objects of the stand-in's Stripe account, which the API reads and changes and the test
 * drives: stored as Stripe would return them, cloned on the way out.
 */
export class StripeStore {
  readonly sessions = new Map<string, StoredSession>();
  readonly paymentIntents = new Map<string, StripeObject>();
  readonly charges = new Map<string, StripeObject>();
  readonly customers = new Map<string, StripeObject>();
  readonly setupIntents = new Map<string, StripeObject>();
  /** Saved PaymentMethods, with the test token whose behaviour they have when charged. */
  readonly paymentMethods = new Map<string, { pm: StripeObject; testCard: string }>();

  /** A Stripe event wrapping a snapshot of `object`. */
  event(type: string, object: StripeObject): StripeEvent {
    return {
      id: randomId('evt_'),
      object: 'event',
      api_version: STAND_IN_API_VERSION,
      created: nowSeconds(),
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
      data: { object: clone(object) },
    };
  }

  session(id: string): StripeObject {
    const stored = this.sessions.get(id);
    if (!stored) throw new Error(`no checkout session ${id}`);
    return stored.session;
  }

  paymentIntent(id: string): StripeObject {
    const pi = this.paymentIntents.get(id);
    if (!pi) throw new Error(`no payment intent ${id}`);
    return pi;
  }

  customer(id: string): StripeObject {
    const customer = this.customers.get(id);
    if (!customer) throw new Error(`no customer ${id}`);
    return customer;
  }

  /** All customers, as the Dashboard lists them. */
  allCustomers(): StripeObject[] {
    return [...this.customers.values()].map((c) => clone(c));
  }

  storedPaymentMethod(id: string): StripeObject {
    const stored = this.paymentMethods.get(id);
    if (!stored) throw new Error(`no payment method ${id}`);
    return stored.pm;
  }

  succeed(pi: StripeObject, type: string): StripeObject {
    const charge = this.newCharge(pi, type, 'succeeded');
    Object.assign(pi, {
      status: 'succeeded',
      amount_received: pi.amount,
      latest_charge: charge.id,
    });
    return charge;
  }

  newCharge(pi: StripeObject, type: string, status: 'succeeded' | 'failed'): StripeObject {
    const charge: StripeObject = {
      id: randomId('ch_'),
      object: 'charge',
      amount: pi.amount,
      amount_captured: status === 'succeeded' ? pi.amount : 0,
      amount_refunded: 0,
      currency: pi.currency,
      customer: pi.customer,
      payment_intent: pi.id,
      payment_method: pi.payment_method,
      payment_method_details: { type },
      metadata: clone(pi.metadata),
      paid: status === 'succeeded',
      captured: status === 'succeeded',
      refunded: false,
      status,
      created: nowSeconds(),
      livemode: false,
    };
    this.charges.set(charge.id as string, charge);
    return charge;
  }

  expandPaymentIntent(pi: StripeObject, expand: FormValue[]): StripeObject {
    const out = clone(pi);
    for (const field of expand) {
      if (field === 'latest_charge' && typeof pi.latest_charge === 'string') {
        out.latest_charge = clone(this.charges.get(pi.latest_charge));
      } else if (field === 'payment_method' && typeof pi.payment_method === 'string') {
        const saved = this.paymentMethods.get(pi.payment_method);
        out.payment_method = saved
          ? clone(saved.pm)
          : {
              id: pi.payment_method,
              object: 'payment_method',
              type: (pi.payment_method_types as string[])[0] ?? 'card',
              customer: pi.customer,
            };
      } else if (field !== 'latest_charge' && field !== 'payment_method') {
        throw invalid(
          `This property cannot be expanded (${typeof field === 'string' ? field : 'a non-string'}).`,
          undefined,
          'expand',
        );
      }
    }
    return out;
  }
}
