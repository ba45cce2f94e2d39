import type { BuilderSubscriptionSignal } from '../../domain/builder-subscription.js';
import { nanosOfCents } from '../../domain/amounts.js';

/**
 * Reads a verified Stripe event into what it means for a top-up (CONTRACTS.md, "payments"):
 *
 * | Stripe event | meaning |
 * |---|---|
 * | `checkout.session.completed`, `payment_status: "paid"` | the manual top-up was paid |
 * | `checkout.session.completed`, `payment_status: "unpaid"` | a delayed method is on its way: nothing yet |
 * | `checkout.session.async_payment_succeeded` | the delayed payment arrived |
 * | `checkout.session.async_payment_failed`, `checkout.session.expired` | the manual top-up failed |
 * | `payment_intent.succeeded` | paid: settles an auto top-up, and a manual one if it comes first |
 * | `payment_intent.payment_failed` | an auto top-up's charge failed (inside Checkout: not final) |
 * | `charge.refunded` | (part of) the payment was refunded; `amount_refunded` is cumulative |
 * | `checkout.session.completed`, mode `setup` | a card was saved to `customer` (through `setup_intent`) |
 * | `setup_intent.succeeded` | a card (`payment_method`) was saved to `customer` |
 * | `payment_method.detached` | the card can no longer be charged |
 * | `invoice.paid` of a Builder subscription | a period of the subscription was paid (its fee) |
 * | `customer.subscription.deleted` of a Builder subscription | the subscription ended (canceled) |
 * | `customer.subscription.updated`, status `unpaid` / `incomplete_expired` / `canceled` | it ended |
 * | anything else | not ours: acknowledged and ignored |
 *
 * Each reading names the top-up by `metadata.topUpId` (set on the session, its PaymentIntent and
 * our off-session PaymentIntents) or by the PaymentIntent id we recorded. An event without either
 * is not ours. A card event names a customer or a payment method, which are ours only if this
 * service recorded them. This module only reads; it decides nothing and touches nothing.
 */
export interface TopUpLocator {
  readonly topUpId: string | null;
  readonly accountId: string | null;
  readonly paymentReference: string | null;
}

export type StripeObservation =
  | {
      readonly kind: 'succeeded';
      readonly source: 'checkout_session' | 'payment_intent';
      readonly amountCents: number;
      readonly currency: string;
      readonly paymentReference: string;
      /** Known when the event says it unambiguously; otherwise asked from Stripe. */
      readonly method: string | null;
      readonly customer: { readonly name: string | null; readonly email: string | null } | null;
    }
  | {
      readonly kind: 'failed';
      readonly source: 'checkout_session' | 'payment_intent';
      readonly code: string;
      readonly message: string;
    }
  | {
      readonly kind: 'refunded';
      readonly paymentReference: string | null;
      readonly amountRefundedCents: number;
      readonly currency: string;
      readonly refundReference: string;
    };

/** What a card event says; the handler asks the provider for the card itself. */
export type PaymentMethodChange =
  | {
      readonly kind: 'saved';
      readonly customerId: string;
      /** Named by `setup_intent.succeeded`; a setup session names its SetupIntent instead. */
      readonly paymentMethodId: string | null;
      readonly setupIntentId: string | null;
      /** `metadata.accountId` when the event carries it. */
      readonly accountId: string | null;
    }
  | { readonly kind: 'detached'; readonly paymentMethodId: string };

type SavedCard = Extract<PaymentMethodChange, { kind: 'saved' }>;

/**
 * What a Builder subscription's event says (domain/builder-subscription.ts), before the handler
 * knows whether the invoice was recorded already. A subscription is ours when its metadata (set
 * by our Checkout Session's `subscription_data.metadata`) says `plan: "builder"` and names the
 * account.
 */
export type BuilderSubscriptionObservation =
  | (Omit<Extract<BuilderSubscriptionSignal, { kind: 'invoice_paid' }>, 'alreadyInvoiced'> & {
      /** The invoice's `customer_name` and `customer_email`, printed on ours; null: none given. */
      readonly customer: { readonly name: string | null; readonly email: string | null } | null;
    })
  | Extract<BuilderSubscriptionSignal, { kind: 'ended' }>;

/** The metadata our Builder subscriptions carry. */
export const BUILDER_PLAN_METADATA = 'builder';

export type StripeEventReading =
  | { readonly kind: 'malformed'; readonly reason: string }
  | {
      readonly kind: 'ignored';
      readonly eventId: string;
      readonly type: string;
      readonly reason: string;
    }
  | {
      readonly kind: 'observed';
      readonly eventId: string;
      readonly type: string;
      readonly locator: TopUpLocator;
      readonly observation: StripeObservation;
    }
  | {
      readonly kind: 'payment_method';
      readonly eventId: string;
      readonly type: string;
      readonly change: PaymentMethodChange;
    }
  | {
      readonly kind: 'builder_subscription';
      readonly eventId: string;
      readonly type: string;
      readonly accountId: string;
      readonly observation: BuilderSubscriptionObservation;
    };

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown, max = 500): string | null =>
  typeof v === 'string' && v.length > 0 && v.length <= max ? v : null;
const cents = (v: unknown): number | null =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : null;
/** Stripe ids we accept as references: `pi_...`, `ch_...`; no whitespace, bounded. */
const stripeId = (v: unknown): string | null =>
  typeof v === 'string' && /^[A-Za-z0-9_]{3,200}$/.test(v) ? v : null;
const expandableId = (v: unknown): string | null => stripeId(isObject(v) ? v.id : v);

/** Our metadata: present on our sessions and PaymentIntents, absent on anyone else's. */
function locatorOf(metadata: unknown, paymentReference: string | null): TopUpLocator | null {
  const m = isObject(metadata) ? metadata : {};
  const topUpId = text(m.topUpId, 200);
  if (topUpId === null && paymentReference === null) return null;
  return { topUpId, accountId: text(m.accountId, 64), paymentReference };
}

export function readStripeEvent(event: unknown): StripeEventReading {
  if (!isObject(event)) return { kind: 'malformed', reason: 'the event is not a JSON object' };
  const eventId = text(event.id, 255);
  const type = text(event.type, 255);
  if (eventId === null || !/^evt_\w+$/.test(eventId)) {
    return { kind: 'malformed', reason: 'the event has no valid id' };
  }
  if (type === null) return { kind: 'malformed', reason: 'the event has no type' };
  const data = event.data;
  if (!isObject(data) || !isObject(data.object)) {
    return { kind: 'malformed', reason: 'the event has no data.object' };
  }
  const o = data.object;
  // Every reading of a well-formed event names it.
  const about = { eventId, type };
  const ignored = (reason: string): StripeEventReading => ({ kind: 'ignored', ...about, reason });
  const observed = (
    locator: TopUpLocator | null,
    observation: StripeObservation,
  ): StripeEventReading =>
    locator === null
      ? ignored('no top-up metadata: not ours')
      : { kind: 'observed', ...about, locator, observation };
  const malformed = (what: string): StripeEventReading => ({
    kind: 'malformed',
    reason: `${type}: ${what}`,
  });
  const cardEvent = (change: PaymentMethodChange): StripeEventReading => ({
    kind: 'payment_method',
    ...about,
    change,
  });
  /**
   * A card saved to the object's customer (which the handler checks is ours), through the id in
   * `o[field]`: a setup session names its SetupIntent, a SetupIntent its PaymentMethod.
   */
  const cardSaved = (
    object: { readonly withoutCustomer: string; readonly incomplete: string },
    field: 'setup_intent' | 'payment_method',
    ids: (id: string) => Pick<SavedCard, 'paymentMethodId' | 'setupIntentId'>,
  ): StripeEventReading => {
    const customerId = expandableId(o.customer);
    if (customerId === null)
      return ignored(`${object.withoutCustomer} without a customer: not ours`);
    const id = expandableId(o[field]);
    if (id === null) return malformed(`${object.incomplete} needs ${field}`);
    const m = isObject(o.metadata) ? o.metadata : {};
    return cardEvent({ kind: 'saved', customerId, ...ids(id), accountId: text(m.accountId, 64) });
  };

  switch (type) {
    case 'checkout.session.completed':
    case 'checkout.session.async_payment_succeeded': {
      if (o.object !== 'checkout.session')
        return malformed('data.object is not a checkout.session');
      if (o.mode === 'setup' && type === 'checkout.session.completed') {
        return cardSaved(
          { withoutCustomer: 'a setup session', incomplete: 'a completed setup session' },
          'setup_intent',
          (setupIntentId) => ({ paymentMethodId: null, setupIntentId }),
        );
      }
      if (o.mode !== 'payment') return ignored('not a payment session');
      const locator = locatorOf(o.metadata, null);
      if (locator === null) return ignored('no top-up metadata: not ours');
      if (o.payment_status !== 'paid') {
        return ignored(`payment_status ${String(o.payment_status)}: not paid yet`);
      }
      const amountCents = cents(o.amount_total);
      const currency = text(o.currency, 3);
      const paymentIntent = expandableId(o.payment_intent);
      if (amountCents === null || currency === null || paymentIntent === null) {
        return malformed('a paid session needs amount_total, currency and payment_intent');
      }
      const details = isObject(o.customer_details) ? o.customer_details : null;
      return observed(
        { ...locator, paymentReference: paymentIntent },
        {
          kind: 'succeeded',
          source: 'checkout_session',
          amountCents,
          currency,
          paymentReference: paymentIntent,
          method: null,
          customer: details && { name: text(details.name, 200), email: text(details.email, 200) },
        },
      );
    }
    case 'checkout.session.async_payment_failed':
    case 'checkout.session.expired': {
      if (o.object !== 'checkout.session')
        return malformed('data.object is not a checkout.session');
      const expired = type === 'checkout.session.expired';
      return observed(locatorOf(o.metadata, null), {
        kind: 'failed',
        source: 'checkout_session',
        code: expired ? 'checkout_expired' : 'async_payment_failed',
        message: expired
          ? 'the checkout session expired before it was paid'
          : 'the delayed payment failed',
      });
    }
    case 'payment_intent.succeeded': {
      if (o.object !== 'payment_intent') return malformed('data.object is not a payment_intent');
      const id = stripeId(o.id);
      const amountCents = cents(o.amount_received) ?? cents(o.amount);
      const currency = text(o.currency, 3);
      if (id === null || amountCents === null || currency === null) {
        return malformed('a payment_intent needs id, amount and currency');
      }
      const types = Array.isArray(o.payment_method_types) ? o.payment_method_types : [];
      const method = types.length === 1 ? text(types[0], 40) : null;
      return observed(locatorOf(o.metadata, id), {
        kind: 'succeeded',
        source: 'payment_intent',
        amountCents,
        currency,
        paymentReference: id,
        method,
        customer: null,
      });
    }
    case 'payment_intent.payment_failed': {
      if (o.object !== 'payment_intent') return malformed('data.object is not a payment_intent');
      const id = stripeId(o.id);
      if (id === null) return malformed('a payment_intent needs an id');
      const error = isObject(o.last_payment_error) ? o.last_payment_error : {};
      return observed(locatorOf(o.metadata, id), {
        kind: 'failed',
        source: 'payment_intent',
        code: text(error.decline_code, 100) ?? text(error.code, 100) ?? 'payment_failed',
        message: text(error.message, 500) ?? 'the payment failed',
      });
    }
    case 'charge.refunded': {
      if (o.object !== 'charge') return malformed('data.object is not a charge');
      const chargeId = stripeId(o.id);
      const refunded = cents(o.amount_refunded);
      const currency = text(o.currency, 3);
      if (chargeId === null || refunded === null || currency === null) {
        return malformed('a charge needs id, amount_refunded and currency');
      }
      const paymentIntent = expandableId(o.payment_intent);
      return observed(locatorOf(o.metadata, paymentIntent), {
        kind: 'refunded',
        paymentReference: paymentIntent,
        amountRefundedCents: refunded,
        currency,
        // The cumulative amount names the refund state reached: the same event delivered twice,
        // or two events describing the same state, carry the same reference.
        refundReference: `${chargeId}/refunded/${refunded}`,
      });
    }
    case 'setup_intent.succeeded': {
      if (o.object !== 'setup_intent') return malformed('data.object is not a setup_intent');
      return cardSaved(
        { withoutCustomer: 'a setup intent', incomplete: 'a succeeded setup_intent' },
        'payment_method',
        (paymentMethodId) => ({ paymentMethodId, setupIntentId: stripeId(o.id) }),
      );
    }
    case 'payment_method.detached': {
      if (o.object !== 'payment_method') return malformed('data.object is not a payment_method');
      const paymentMethodId = stripeId(o.id);
      if (paymentMethodId === null) return malformed('a payment_method needs an id');
      return cardEvent({ kind: 'detached', paymentMethodId });
    }
    case 'invoice.paid': {
      if (o.object !== 'invoice') return malformed('data.object is not an invoice');
      const parent = isObject(o.parent) ? o.parent : {};
      const details = isObject(parent.subscription_details) ? parent.subscription_details : {};
      const account = builderAccountOf(details.metadata);
      if (account === null) return ignored('not a Builder subscription invoice: not ours');
      const invoiceId = stripeId(o.id);
      const subscriptionId = expandableId(details.subscription);
      const amountCents = cents(o.amount_paid);
      const currency = text(o.currency, 3);
      const period = firstLinePeriod(o.lines);
      if (
        invoiceId === null ||
        subscriptionId === null ||
        amountCents === null ||
        currency === null ||
        period === null
      ) {
        return malformed(
          'a Builder invoice needs id, its subscription, amount_paid, currency and a line period',
        );
      }
      return {
        kind: 'builder_subscription',
        ...about,
        accountId: account,
        observation: {
          kind: 'invoice_paid',
          subscriptionId,
          providerInvoiceId: invoiceId,
          amountNanos: nanosOfCents(amountCents),
          currency,
          periodStartMs: period.startMs,
          periodEndMs: period.endMs,
          customer: customerOfInvoice(o),
        },
      };
    }
    case 'customer.subscription.deleted':
    case 'customer.subscription.updated': {
      if (o.object !== 'subscription') return malformed('data.object is not a subscription');
      const account = builderAccountOf(o.metadata);
      if (account === null) return ignored('not a Builder subscription: not ours');
      const subscriptionId = stripeId(o.id);
      if (subscriptionId === null) return malformed('a subscription needs an id');
      const reason =
        type === 'customer.subscription.deleted' ? 'canceled' : ENDING_STATUSES[String(o.status)];
      if (reason === undefined)
        return ignored(`subscription status ${String(o.status)}: not an end`);
      return {
        kind: 'builder_subscription',
        ...about,
        accountId: account,
        observation: { kind: 'ended', subscriptionId, reason },
      };
    }
    default:
      return ignored('an event type the payments service does not use');
  }
}

/** The payer an invoice names (`customer_name`, `customer_email`), or null when it names none. */
function customerOfInvoice(invoice: Json): { name: string | null; email: string | null } | null {
  const name = text(invoice.customer_name, 200);
  const email = text(invoice.customer_email, 254);
  return name === null && email === null ? null : { name, email };
}

/** The subscription statuses that end a Builder subscription, and the reason they give. */
const ENDING_STATUSES: Readonly<Record<string, 'canceled' | 'unpaid' | 'expired' | undefined>> = {
  canceled: 'canceled',
  unpaid: 'unpaid',
  incomplete_expired: 'expired',
};

/** The account of a Builder subscription's metadata, or null when it is not one of ours. */
function builderAccountOf(metadata: unknown): string | null {
  if (!isObject(metadata) || metadata.plan !== BUILDER_PLAN_METADATA) return null;
  const accountId = text(metadata.accountId, 64);
  return accountId !== null && /^[A-Za-z0-9_-]{1,64}$/.test(accountId) ? accountId : null;
}

/** The service period of an invoice's first line (Stripe's seconds), as epoch milliseconds. */
function firstLinePeriod(lines: unknown): { startMs: number; endMs: number } | null {
  if (!isObject(lines) || !Array.isArray(lines.data)) return null;
  const line: unknown = lines.data[0];
  if (!isObject(line) || !isObject(line.period)) return null;
  const start = cents(line.period.start);
  const end = cents(line.period.end);
  if (start === null || end === null) return null;
  return { startMs: start * 1000, endMs: end * 1000 };
}
