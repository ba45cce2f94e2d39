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
 * - A paid period lapses: once `currentPeriodEnd + grace` has passed (at that instant, not a
 *   millisecond before) with no newer paid invoice, the subscription is inactive, told once
 *   (`period_lapsed`), and not ended: the provider never said it ended (a renewal webhook may be
 *   late or lost, or Stripe is still retrying the card). A paid invoice of a later period makes the
 *   same subscription active again; an invoice whose period is itself over (grace included) when
 *   it arrives is recorded and moves the period, but activates nothing.
 */
import type { BuilderSubscriptionReason } from '@billing/contracts';

/**
 * The grace after a paid period's end, in hours (BUILDER_GRACE_HOURS). Three days: Stripe finalises
 * a renewal invoice about an hour after the period starts and retries a declined card for days, and
 * a webhook endpoint that was down gets the events again for up to three days.
 */
export const DEFAULT_BUILDER_GRACE_HOURS = 72;
/** At least an hour (a renewal is paid about an hour into its period), at most a year. */
export const MIN_BUILDER_GRACE_HOURS = 1;
export const MAX_BUILDER_GRACE_HOURS = 8760;

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
      readonly reason: Exclude<BuilderSubscriptionReason, 'invoice_paid' | 'period_lapsed'>;
    }
  | {
      /** The lapse sweep asks about the subscription it found due (it may have changed since). */
      readonly kind: 'lapse_due';
      readonly subscriptionId: string;
    };

/** The decision's clock and the grace a paid period gets after its end. */
export interface BuilderSubscriptionClock {
  readonly nowMs: number;
  /** How long after `currentPeriodEnd` the subscription stays active without a renewal. */
  readonly graceMs: number;
}

/** The instant the subscription's paid period lapses; null before the first payment. */
export function lapsesAtMs(state: BuilderSubscriptionState, graceMs: number): number | null {
  return state.currentPeriodEndMs === null ? null : state.currentPeriodEndMs + graceMs;
}

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
  clock: BuilderSubscriptionClock,
): BuilderSubscriptionDecision {
  if (signal.kind === 'lapse_due') return decideLapse(state, signal.subscriptionId, clock);
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
    const paid: BuilderSubscriptionState = {
      subscriptionId: signal.subscriptionId,
      active: true,
      currentPeriodEndMs: signal.periodEndMs,
      endedAtMs: null,
    };
    if (clock.nowMs >= signal.periodEndMs + clock.graceMs) {
      // Paid, but for a period already over when we hear of it: the money is invoiced and the
      // period moves on, but access does not come back only to lapse again at the next sweep.
      return {
        kind: 'change',
        state: { ...paid, active: false },
        invoice: true,
        publish: state?.active === true ? 'period_lapsed' : null,
      };
    }
    return { kind: 'change', state: paid, invoice: true, publish: 'invoice_paid' };
  }
  if (state === undefined) return { kind: 'noop', reason: 'no subscription is known' };
  if (state.subscriptionId !== signal.subscriptionId) {
    return { kind: 'noop', reason: 'another subscription than the current one ended' };
  }
  if (state.endedAtMs !== null) return { kind: 'noop', reason: 'the subscription ended already' };
  // A lapsed subscription ends too: its end is recorded, so that a late invoice no longer
  // reactivates it (keys is told again; its keys were switched off at the lapse already).
  return {
    kind: 'change',
    state: { ...state, active: false, endedAtMs: clock.nowMs },
    invoice: false,
    publish: signal.reason,
  };
}

function decideLapse(
  state: BuilderSubscriptionState | undefined,
  subscriptionId: string,
  clock: BuilderSubscriptionClock,
): BuilderSubscriptionDecision {
  if (state === undefined) return { kind: 'noop', reason: 'no subscription is known' };
  if (state.subscriptionId !== subscriptionId) {
    return { kind: 'noop', reason: 'another subscription is current now' };
  }
  if (!state.active) return { kind: 'noop', reason: 'the subscription is not active' };
  const lapsesAt = lapsesAtMs(state, clock.graceMs);
  if (lapsesAt === null || clock.nowMs < lapsesAt) {
    return { kind: 'noop', reason: 'the paid period and its grace are not over' };
  }
  return {
    kind: 'change',
    state: { ...state, active: false },
    invoice: false,
    publish: 'period_lapsed',
  };
}
