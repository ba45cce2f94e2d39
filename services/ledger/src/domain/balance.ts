import { CREDITS, isCreditEvent } from './credits.js';
import type { LedgerEvent } from './events.js';
import { isTopUpKind, kindOfLotId, type LotKind } from './lots.js';
import type { LedgerState } from './state.js';

/**
 * The balance types shown to the customer (DESIGN.md "Credit lots"), in nano-dollars:
 * - total: every lot's remaining amount, debt included (as a negative top-up amount);
 * - topUp: the remaining of the top-up class (top-up and discount lots) minus the debt (negative
 *   while the account owes);
 * - bonusAndCompensation: the remaining of every other lot (bonus, gift, referral, compensation,
 *   adjustment);
 * - held: the active holds; available: total − held.
 */
export interface Balance {
  readonly totalNanos: bigint;
  readonly topUpNanos: bigint;
  readonly bonusAndCompensationNanos: bigint;
  readonly heldNanos: bigint;
  readonly availableNanos: bigint;
  /** The stream version the balance reflects (the number of events folded). */
  readonly version: number;
}

export function balanceOf(state: LedgerState): Balance {
  let topUpNanos = -state.debtNanos;
  let bonusAndCompensationNanos = 0n;
  for (const lot of state.lots) {
    if (isTopUpKind(lot.kind)) topUpNanos += lot.remainingNanos;
    else bonusAndCompensationNanos += lot.remainingNanos;
  }
  return makeBalance(topUpNanos, bonusAndCompensationNanos, state.heldNanos, state.version);
}

/** How one event moves each balance type. */
export interface BalanceDelta {
  readonly topUpNanos: bigint;
  readonly bonusAndCompensationNanos: bigint;
  readonly heldNanos: bigint;
}

/**
 * The balance change an event causes, from its payload alone. This is what lets the balance
 * projection, `?asOf=` and `projections:verify` work from the log without the domain state.
 * Debt lives in the top-up class: a credit that repays debt raises the top-up balance by the part
 * repaid, whatever its own kind.
 */
export function balanceDeltaOf(event: LedgerEvent): BalanceDelta {
  if (isCreditEvent(event)) {
    return creditDelta(isTopUpKind(CREDITS[event.type].kind), event.data);
  }
  switch (event.type) {
    case 'AdjustmentPosted': {
      const { data } = event;
      if (data.amountNanos > 0n) return creditDelta(false, data);
      return debitDelta(data.draws, data.debtIncurredNanos, 0n);
    }
    case 'UsageCharged': {
      const { data } = event;
      return debitDelta(data.draws, data.debtIncurredNanos, -(data.capturedHoldNanos ?? 0n));
    }
    case 'CreditsExpired':
      return debitDelta([event.data], 0n, 0n);
    case 'TopUpRefundApplied': {
      // The refund leaves the top-up class; each linked credit taken back leaves its own class
      // (a bonus: bonus and compensation; a discount: top-up).
      const { data } = event;
      const taken = debitDelta(
        data.bonusTakebacks.map((take) => ({ ...take, kind: kindOfLotId(take.lotId) })),
        0n,
        0n,
      );
      return { ...taken, topUpNanos: taken.topUpNanos - data.amountNanos };
    }
    case 'ReferralRevoked':
      return debitDelta([{ kind: 'referral', amountNanos: event.data.takenNanos }], 0n, 0n);
    case 'HoldPlaced':
      return { topUpNanos: 0n, bonusAndCompensationNanos: 0n, heldNanos: event.data.amountNanos };
    case 'HoldReleased':
    case 'HoldExpired':
      return { topUpNanos: 0n, bonusAndCompensationNanos: 0n, heldNanos: -event.data.amountNanos };
    case 'HoldExtended':
      // A later expiry holds the same amount: nothing moves.
      return { topUpNanos: 0n, bonusAndCompensationNanos: 0n, heldNanos: 0n };
  }
}

function creditDelta(
  isTopUp: boolean,
  data: { readonly amountNanos: bigint; readonly debtRepaidNanos: bigint },
): BalanceDelta {
  if (isTopUp)
    return { topUpNanos: data.amountNanos, bonusAndCompensationNanos: 0n, heldNanos: 0n };
  return {
    topUpNanos: data.debtRepaidNanos,
    bonusAndCompensationNanos: data.amountNanos - data.debtRepaidNanos,
    heldNanos: 0n,
  };
}

function debitDelta(
  draws: readonly { readonly kind: LotKind; readonly amountNanos: bigint }[],
  debtIncurredNanos: bigint,
  heldNanos: bigint,
): BalanceDelta {
  let topUpNanos = -debtIncurredNanos;
  let bonusAndCompensationNanos = 0n;
  for (const draw of draws) {
    if (isTopUpKind(draw.kind)) topUpNanos -= draw.amountNanos;
    else bonusAndCompensationNanos -= draw.amountNanos;
  }
  return { topUpNanos, bonusAndCompensationNanos, heldNanos };
}

export const EMPTY_BALANCE: Balance = makeBalance(0n, 0n, 0n, 0);

/** The incremental form: the balance after one more event. */
export function applyToBalance(balance: Balance, event: LedgerEvent): Balance {
  const delta = balanceDeltaOf(event);
  return makeBalance(
    balance.topUpNanos + delta.topUpNanos,
    balance.bonusAndCompensationNanos + delta.bonusAndCompensationNanos,
    balance.heldNanos + delta.heldNanos,
    balance.version + 1,
  );
}

/** The balance after a stream of events, from the payloads alone (equals balanceOf(fold)). */
export function balanceOfEvents(events: Iterable<LedgerEvent>): Balance {
  let balance = EMPTY_BALANCE;
  for (const event of events) balance = applyToBalance(balance, event);
  return balance;
}

function makeBalance(
  topUpNanos: bigint,
  bonusAndCompensationNanos: bigint,
  heldNanos: bigint,
  version: number,
): Balance {
  const totalNanos = topUpNanos + bonusAndCompensationNanos;
  return {
    totalNanos,
    topUpNanos,
    bonusAndCompensationNanos,
    heldNanos,
    availableNanos: totalNanos - heldNanos,
    version,
  };
}
