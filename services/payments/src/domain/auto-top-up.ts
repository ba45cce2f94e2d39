/**
 * When to charge a saved card automatically. The rules, in the customer's words:
 *
 * - When my balance falls below the threshold, charge me once ("one charge per dip"). While that
 *   charge is in flight, or after it, more usage below the threshold charges nothing more.
 * - Re-arm only when the balance has been seen at or above the threshold again (the auto top-up
 *   settled and the ledger reported it, or any other credit arrived).
 * - A declined charge is recorded; the next attempt waits (exponential backoff); after
 *   `maxConsecutiveFailures` declines in a row auto top-up turns itself off and says why, until the
 *   customer saves the settings again.
 *
 * The state is one row per account; events are applied under its row lock, so two concurrent
 * BalanceChanged events of one account decide one after the other and cannot both charge. Times
 * are epoch milliseconds and come in with the input: this module has no clock.
 */
export interface AutoTopUpPolicy {
  readonly maxConsecutiveFailures: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
}

export interface AutoTopUpState {
  readonly enabled: boolean;
  readonly thresholdNanos: bigint;
  readonly amountNanos: bigint;
  /** True when a dip below the threshold may charge; false once it has (until re-armed). */
  readonly armed: boolean;
  readonly consecutiveFailures: number;
  readonly lastFailureAtMs: number | null;
  readonly lastFailureCode: string | null;
  /** No attempt before this time (backoff after a failure). */
  readonly nextAttemptAtMs: number | null;
  readonly disabledReason: string | null;
  /** The latest balance the ledger reported, with its stream version (older reports are ignored). */
  readonly lastTotalNanos: bigint | null;
  readonly lastVersion: number | null;
}

export interface AutoTopUpSettingsInput {
  readonly enabled: boolean;
  readonly thresholdNanos: bigint;
  readonly amountNanos: bigint;
}

export interface AutoTopUpOutcome {
  readonly state: AutoTopUpState;
  /** Start one charge of `state.amountNanos` now. */
  readonly charge: boolean;
}

/**
 * Saving the settings (PUT): a fresh start. Failures and the disabled reason are cleared and the
 * trigger is armed, so a balance already below the threshold charges at the next report.
 */
export function configureAutoTopUp(
  previous: AutoTopUpState | null,
  input: AutoTopUpSettingsInput,
): AutoTopUpState {
  return {
    enabled: input.enabled,
    thresholdNanos: input.thresholdNanos,
    amountNanos: input.amountNanos,
    armed: true,
    consecutiveFailures: 0,
    lastFailureAtMs: previous?.lastFailureAtMs ?? null,
    lastFailureCode: previous?.lastFailureCode ?? null,
    nextAttemptAtMs: null,
    disabledReason: null,
    lastTotalNanos: previous?.lastTotalNanos ?? null,
    lastVersion: previous?.lastVersion ?? null,
  };
}

function mayCharge(state: AutoTopUpState, inFlight: boolean, nowMs: number): boolean {
  return (
    state.enabled &&
    state.armed &&
    !inFlight &&
    state.lastTotalNanos !== null &&
    state.lastTotalNanos < state.thresholdNanos &&
    (state.nextAttemptAtMs === null || nowMs >= state.nextAttemptAtMs)
  );
}

function chargeIfDue(state: AutoTopUpState, inFlight: boolean, nowMs: number): AutoTopUpOutcome {
  if (!mayCharge(state, inFlight, nowMs)) return { state, charge: false };
  return { state: { ...state, armed: false }, charge: true };
}

/** The ledger reported a balance (BalanceChanged). */
export function onBalanceReported(
  state: AutoTopUpState,
  report: { readonly totalNanos: bigint; readonly version: number },
  inFlight: boolean,
  nowMs: number,
): AutoTopUpOutcome {
  if (state.lastVersion !== null && report.version <= state.lastVersion) {
    // A replay or an older report: the balance it describes is no longer current.
    return { state, charge: false };
  }
  const seen: AutoTopUpState = {
    ...state,
    lastTotalNanos: report.totalNanos,
    lastVersion: report.version,
    armed: state.armed || report.totalNanos >= state.thresholdNanos,
  };
  return chargeIfDue(seen, inFlight, nowMs);
}

/**
 * A timer tick (the sweeper): serves a dip that could not charge when it was reported (a charge
 * was in flight, or the backoff had not elapsed), without waiting for the next report: an account
 * whose balance ran dry sees no more usage, hence no more reports.
 */
export function onTick(state: AutoTopUpState, inFlight: boolean, nowMs: number): AutoTopUpOutcome {
  return chargeIfDue(state, inFlight, nowMs);
}

/** The exponential backoff after the n-th consecutive failure (n >= 1). */
export function backoffMs(failures: number, policy: AutoTopUpPolicy): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 30);
  return Math.min(policy.backoffBaseMs * 2 ** exponent, policy.backoffMaxMs);
}

/** A charge was declined or refused: count it, back off, and turn off after too many. */
export function onChargeFailed(
  state: AutoTopUpState,
  failure: { readonly code: string; readonly atMs: number },
  policy: AutoTopUpPolicy,
): AutoTopUpState {
  const consecutiveFailures = state.consecutiveFailures + 1;
  const disable = consecutiveFailures >= policy.maxConsecutiveFailures;
  return {
    ...state,
    // No money was taken, so the dip is still unserved: the next attempt may charge (after the
    // backoff), unless auto top-up is now off.
    armed: true,
    consecutiveFailures,
    lastFailureAtMs: failure.atMs,
    lastFailureCode: failure.code,
    nextAttemptAtMs: failure.atMs + backoffMs(consecutiveFailures, policy),
    enabled: disable ? false : state.enabled,
    disabledReason: disable
      ? `${consecutiveFailures} consecutive failed charges (last: ${failure.code})`
      : state.disabledReason,
  };
}

/** An auto top-up settled: the failure streak ends. Re-arming waits for the balance report. */
export function onChargeSettled(state: AutoTopUpState): AutoTopUpState {
  return { ...state, consecutiveFailures: 0, nextAttemptAtMs: null };
}

/**
 * The saved card can no longer be charged (the customer removed it, or it was detached at the
 * provider): auto top-up turns off at once and says why, until saved again with another card.
 * Retrying a card that is gone could never succeed, so no failure streak is waited for.
 */
export function onPaymentMethodRemoved(state: AutoTopUpState, reason: string): AutoTopUpState {
  if (!state.enabled) return state;
  return { ...state, enabled: false, disabledReason: reason };
}
