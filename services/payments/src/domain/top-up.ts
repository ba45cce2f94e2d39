/**
 * A top-up's life: `pending` (checkout open, or auto charge in flight) then `settled` (credited,
 * invoiced), `failed` (expired, declined), and `refunded` once the whole amount has been refunded
 * (a partial refund leaves it `settled` with `refundedNanos` > 0).
 *
 * The payment provider tells us what happened through signals that may arrive twice, late, or in
 * any order (a Stripe webhook is retried for days; `payment_intent.succeeded` and
 * `checkout.session.completed` race). `decideTopUp` turns one signal and the current state into
 * one decision, and is written so that whatever the order, one payment is credited exactly once.
 */
export type TopUpStatus = 'pending' | 'settled' | 'failed' | 'refunded';
export type TopUpTrigger = 'manual' | 'auto';

export interface TopUpState {
  readonly topUpId: string;
  readonly accountId: string;
  readonly amountNanos: bigint;
  readonly trigger: TopUpTrigger;
  readonly status: TopUpStatus;
  /** The payment that settled it (a Stripe PaymentIntent id), once known. */
  readonly paymentReference: string | null;
  readonly refundedNanos: bigint;
}

/** Where a signal came from; a manual top-up ignores a card decline seen inside Checkout. */
export type SignalSource = 'checkout_session' | 'payment_intent' | 'charge' | 'api' | 'simulated';

export type PaymentSignal =
  | {
      readonly kind: 'succeeded';
      readonly source: SignalSource;
      readonly amountNanos: bigint;
      readonly currency: string;
      readonly paymentReference: string;
      /** "card", "alipay", ...: resolved by the adapter before deciding. */
      readonly method: string;
    }
  | {
      readonly kind: 'failed';
      readonly source: SignalSource;
      readonly code: string;
      readonly message: string;
    }
  | {
      readonly kind: 'refunded';
      readonly paymentReference: string | null;
      /** Cumulative, as Stripe reports `amount_refunded`: the decision computes the delta. */
      readonly totalRefundedNanos: bigint;
      readonly currency: string;
      /** Names the cumulative state reached, so the same refund is the same reference. */
      readonly refundReference: string;
    };

export type TopUpDecision =
  | { readonly kind: 'settle'; readonly paymentReference: string; readonly method: string }
  | { readonly kind: 'fail'; readonly code: string; readonly message: string }
  | {
      readonly kind: 'refund';
      readonly deltaNanos: bigint;
      readonly refundReference: string;
      readonly fully: boolean;
    }
  /** Nothing to do: already applied, or not final. */
  | { readonly kind: 'noop'; readonly reason: string }
  /** The signal contradicts what we know (amount, a second payment): record it, change nothing. */
  | { readonly kind: 'reject'; readonly reason: string }
  /** Not applicable yet (a refund before its settlement arrived): ask the sender to retry later. */
  | { readonly kind: 'defer'; readonly reason: string };

export function decideTopUp(state: TopUpState, signal: PaymentSignal): TopUpDecision {
  switch (signal.kind) {
    case 'succeeded': {
      if (signal.currency !== 'usd' || signal.amountNanos !== state.amountNanos) {
        return { kind: 'reject', reason: 'amount_mismatch' };
      }
      if (state.status === 'pending' || state.status === 'failed') {
        // A payment received after we marked the top-up failed is still money received: credit it.
        return { kind: 'settle', paymentReference: signal.paymentReference, method: signal.method };
      }
      if (state.paymentReference !== null && state.paymentReference !== signal.paymentReference) {
        // Two payments for one top-up: credit the first only; the second needs a human (refund).
        return { kind: 'reject', reason: 'second_payment_for_settled_top_up' };
      }
      return { kind: 'noop', reason: 'already_settled' };
    }
    case 'failed': {
      if (state.status !== 'pending') return { kind: 'noop', reason: `already_${state.status}` };
      if (state.trigger === 'manual' && signal.source === 'payment_intent') {
        // Inside Checkout a declined card is not final: the customer may try another one. Only the
        // session's own outcome (expired, async payment failed) fails a manual top-up.
        return { kind: 'noop', reason: 'checkout_attempt_failed_customer_may_retry' };
      }
      return { kind: 'fail', code: signal.code, message: signal.message };
    }
    case 'refunded': {
      if (state.status === 'pending' || state.status === 'failed') {
        return { kind: 'defer', reason: 'refund_before_settlement' };
      }
      if (signal.currency !== 'usd') return { kind: 'reject', reason: 'currency_mismatch' };
      if (
        signal.paymentReference !== null &&
        state.paymentReference !== null &&
        signal.paymentReference !== state.paymentReference
      ) {
        return { kind: 'reject', reason: 'refund_of_another_payment' };
      }
      if (signal.totalRefundedNanos > state.amountNanos) {
        return { kind: 'reject', reason: 'refund_exceeds_amount' };
      }
      const deltaNanos = signal.totalRefundedNanos - state.refundedNanos;
      if (deltaNanos <= 0n) return { kind: 'noop', reason: 'refund_already_applied' };
      return {
        kind: 'refund',
        deltaNanos,
        refundReference: signal.refundReference,
        fully: signal.totalRefundedNanos === state.amountNanos,
      };
    }
  }
}

/** The state after a decision was applied. */
export function evolveTopUp(state: TopUpState, decision: TopUpDecision): TopUpState {
  switch (decision.kind) {
    case 'settle':
      return { ...state, status: 'settled', paymentReference: decision.paymentReference };
    case 'fail':
      return { ...state, status: 'failed' };
    case 'refund':
      return {
        ...state,
        refundedNanos: state.refundedNanos + decision.deltaNanos,
        status: decision.fully ? 'refunded' : state.status,
      };
    case 'noop':
    case 'reject':
    case 'defer':
      return state;
  }
}
