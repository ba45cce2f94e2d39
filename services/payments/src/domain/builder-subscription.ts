/**
 * The Builder subscription's state rules (issue #17; docs/CONTRACTS.md, "Builder plan"): pure,
 * `decideBuilderSubscription(state, signal) -> decision`. The subscription is billed by the
 * payment provider (a Stripe subscription at a fixed monthly price), never by the balance; these
 * rules turn what the provider reports into the account's subscription state and its invoices.
 *
 * - A paid invoice of the account's subscription records one invoice (the fee, exactly as paid)
 *   and makes the subscription active until the end of the period it paid for, unless that period
 *   ends no later than one already known (an older invoice arriving late: recorded, no change).
 * - The same invoice twice records nothing.
 * - The subscription's end (deleted, unpaid, expired) ends it, once; an end that names another
 *   subscription than the current one (an old one ending after a new one began) changes nothing.
 * - A subscription that ended stays ended: a late invoice of it is still recorded (the money was
 *   paid) but does not bring it back. A new subscription (another id) starts afresh.
 */
import type { BuilderSubscriptionReason } from '@billing/contracts';

export interface BuilderSubscriptionState {
  readonly subscriptionId: string;
  readonly active: boolean;
  /** The end of the last paid period; null before the first payment. */
  readonly currentPeriodEndMs: number | null;
  /** Set once the provider ended this subscription: it never becomes active again. */
  readonly endedAtMs: number | null;
}

export type BuilderSubscriptionSignal =
  | {
      readonly kind: 'invoice_paid';
      readonly subscriptionId: string;
      /** The provider's invoice id (`in_...`): one of our invoices per provider invoice. */
      readonly providerInvoiceId: string;
      readonly amountNanos: bigint;
      readonly currency: string;
      readonly periodStartMs: number;
      readonly periodEndMs: number;
      /** Whether this invoice was recorded already (read in the decision's transaction). */
      readonly alreadyInvoiced: boolean;
    }
  | {
      readonly kind: 'ended';
      readonly subscriptionId: string;
      readonly reason: Exclude<BuilderSubscriptionReason, 'invoice_paid'>;
    };

export type BuilderSubscriptionDecision =
  | { readonly kind: 'noop'; readonly reason: string }
  | {
      readonly kind: 'change';
      /** The new state to store (null: none stored, e.g. an end of a subscription never known). */
      readonly state: BuilderSubscriptionState;
      /** Record an invoice for the paid period. */
      readonly invoice: boolean;
      /** Publish BuilderSubscriptionChanged with this reason (null: nothing to tell). */
      readonly publish: BuilderSubscriptionReason | null;
    };

export function decideBuilderSubscription(
  state: BuilderSubscriptionState | undefined,
  signal: BuilderSubscriptionSignal,
  nowMs: number,
): BuilderSubscriptionDecision {
  if (signal.kind === 'invoice_paid') {
    if (signal.alreadyInvoiced) return { kind: 'noop', reason: 'the invoice is recorded already' };
    if (signal.amountNanos <= 0n) return { kind: 'noop', reason: 'nothing was paid' };
    if (signal.periodEndMs <= signal.periodStartMs) {
      return { kind: 'noop', reason: 'the invoice has no period' };
    }
    const sameSubscription = state?.subscriptionId === signal.subscriptionId;
    if (state !== undefined && sameSubscription && state.endedAtMs !== null) {
      return { kind: 'change', state, invoice: true, publish: null };
    }
    if (
      state !== undefined &&
      sameSubscription &&
      state.currentPeriodEndMs !== null &&
      signal.periodEndMs <= state.currentPeriodEndMs
    ) {
      return { kind: 'change', state, invoice: true, publish: null };
    }
    if (state !== undefined && !sameSubscription && state.active && state.endedAtMs === null) {
      // Another subscription is active: its invoice is recorded, the state stays the active one
      // unless this one pays for a later period (the customer switched subscriptions).
      if (state.currentPeriodEndMs !== null && signal.periodEndMs <= state.currentPeriodEndMs) {
        return { kind: 'change', state, invoice: true, publish: null };
      }
    }
    return {
      kind: 'change',
      state: {
        subscriptionId: signal.subscriptionId,
        active: true,
        currentPeriodEndMs: signal.periodEndMs,
        endedAtMs: null,
      },
      invoice: true,
      publish: 'invoice_paid',
    };
  }
  if (state === undefined) return { kind: 'noop', reason: 'no subscription is known' };
  if (state.subscriptionId !== signal.subscriptionId) {
    return { kind: 'noop', reason: 'another subscription than the current one ended' };
  }
  if (state.endedAtMs !== null) return { kind: 'noop', reason: 'the subscription ended already' };
  return {
    kind: 'change',
    state: { ...state, active: false, endedAtMs: nowMs },
    invoice: false,
    publish: signal.reason,
  };
}
