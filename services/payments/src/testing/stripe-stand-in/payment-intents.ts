import type { FormObject } from '../form-encoding.js';
import { cardOutcome } from './cards.js';
import { invalid, missing, notFound } from './errors.js';
import {
  array,
  bool,
  int,
  MAX_CENTS,
  metadata,
  MIN_CENTS,
  onlyKnown,
  PAYMENT_INTENT_PARAMS,
  paymentMethodTypes,
  requiredStr,
  str,
} from './params.js';
import type { StripeStore } from './store.js';
import type { StripeEvent, StripeObject } from './types.js';
import { nowSeconds, randomId } from './values.js';

// PaymentIntents: created and confirmed through the API (saved cards charged off-session), and
// finished or refunded later as the test says.

export function createPaymentIntent(
  store: StripeStore,
  params: FormObject,
): { status: number; response: unknown } {
  onlyKnown(params, PAYMENT_INTENT_PARAMS);
  const amount = int(params, 'amount');
  if (amount === undefined) throw missing('amount');
  if (amount < MIN_CENTS)
    throw invalid('Amount must be at least $0.50 usd', 'amount_too_small', 'amount');
  if (amount > MAX_CENTS)
    throw invalid('Amount must be no more than $999,999.99', 'amount_too_large', 'amount');
  const currency = requiredStr(params, 'currency');
  if (!/^[a-z]{3}$/.test(currency))
    throw invalid(`Invalid currency: ${currency}`, 'parameter_invalid', 'currency');
  const confirm = bool(params, 'confirm') ?? false;
  const offSession = bool(params, 'off_session');
  if (offSession !== undefined && !confirm) {
    throw invalid(
      'You can only pass in `off_session` when `confirm` is `true`.',
      'parameter_invalid',
      'off_session',
    );
  }
  const paymentMethod = str(params, 'payment_method');
  const customer = str(params, 'customer');
  if (confirm && !paymentMethod) throw missing('payment_method');
  if (paymentMethod !== undefined && !/^pm_\w+$/.test(paymentMethod))
    throw notFound('PaymentMethod', paymentMethod, 'payment_method');
  if (offSession && !customer) {
    throw invalid(
      'The provided PaymentMethod was previously used with a PaymentIntent without Customer attachment ... pass `customer` to charge a saved PaymentMethod off-session.',
      'parameter_missing',
      'customer',
    );
  }
  if (customer !== undefined && !store.customers.has(customer))
    throw notFound('customer', customer, 'customer');
  const savedPm = paymentMethod === undefined ? undefined : store.paymentMethods.get(paymentMethod);
  if (customer !== undefined && paymentMethod !== undefined) {
    // A saved card is charged only with the customer it is attached to.
    if (
      savedPm === undefined ||
      (savedPm.pm.customer !== null && savedPm.pm.customer !== customer)
    ) {
      throw invalid(
        `The customer does not have a payment method with the ID ${paymentMethod}. The payment method must be attached to the customer.`,
        undefined,
        'payment_method',
      );
    }
    if (savedPm.pm.customer === null) {
      throw invalid(
        'The provided PaymentMethod was previously used with a PaymentIntent without Customer attachment, shared with a connected account without Customer attachment, or was detached from a Customer. It may not be used again. To use a PaymentMethod multiple times, you must attach it to a Customer first.',
        undefined,
        'payment_method',
      );
    }
  }
  const pi: StripeObject = {
    id: randomId('pi_'),
    object: 'payment_intent',
    amount,
    amount_received: 0,
    currency,
    customer: customer ?? null,
    payment_method: paymentMethod ?? null,
    allowed_payment_method_types: paymentMethodTypes(params, 'allowed_payment_method_types') ?? [
      'card',
    ],
    payment_method_types: ['card'],
    metadata: metadata(params.metadata, 'metadata'),
    description: str(params, 'description') ?? null,
    status: confirm ? 'processing' : 'requires_confirmation',
    latest_charge: null,
    last_payment_error: null,
    capture_method: 'automatic',
    confirmation_method: 'automatic',
    created: nowSeconds(),
    livemode: false,
  };
  store.paymentIntents.set(pi.id as string, pi);
  const expand = array(params, 'expand') ?? [];
  if (!confirm || paymentMethod === undefined) {
    return { status: 200, response: store.expandPaymentIntent(pi, expand) };
  }
  const outcome = cardOutcome(savedPm?.testCard ?? paymentMethod);
  if (outcome.kind === 'declined') {
    const charge = store.newCharge(pi, 'card', 'failed');
    const error = {
      type: 'card_error',
      code: outcome.code,
      ...(outcome.declineCode ? { decline_code: outcome.declineCode } : {}),
      message: outcome.message,
      charge: charge.id,
      payment_method: { id: paymentMethod, object: 'payment_method', type: 'card' },
    };
    Object.assign(pi, {
      status: 'requires_payment_method',
      latest_charge: charge.id,
      last_payment_error: error,
    });
    return {
      status: 402,
      response: { error: { ...error, payment_intent: store.expandPaymentIntent(pi, []) } },
    };
  }
  pi.payment_method_types = [outcome.type];
  if (outcome.kind === 'processing') {
    pi.status = 'processing';
    return { status: 200, response: store.expandPaymentIntent(pi, expand) };
  }
  store.succeed(pi, outcome.type);
  return { status: 200, response: store.expandPaymentIntent(pi, expand) };
}

/** A `processing` PaymentIntent (bank debit) succeeded. */
export function succeedPaymentIntent(store: StripeStore, id: string): StripeEvent {
  const pi = store.paymentIntent(id);
  store.succeed(pi, (pi.payment_method_types as string[])[0] ?? 'card');
  return store.event('payment_intent.succeeded', pi);
}

/**
 * Refunds part of a payment, as the Dashboard would: `charge.refunded` carries the charge with its
 * cumulative `amount_refunded`.
 */
export function refund(
  store: StripeStore,
  paymentIntentId: string,
  amountCents: number,
): { refundId: string; chargeRefunded: StripeEvent } {
  const pi = store.paymentIntent(paymentIntentId);
  const charge = store.charges.get(String(pi.latest_charge));
  if (!charge || charge.status !== 'succeeded')
    throw new Error(`payment ${paymentIntentId} has no successful charge`);
  const already = charge.amount_refunded as number;
  if (amountCents <= 0 || already + amountCents > (charge.amount as number)) {
    throw new Error(
      `cannot refund ${amountCents} of ${String(charge.amount)} (already ${already})`,
    );
  }
  charge.amount_refunded = already + amountCents;
  charge.refunded = charge.amount_refunded === charge.amount;
  return { refundId: randomId('re_'), chargeRefunded: store.event('charge.refunded', charge) };
}
