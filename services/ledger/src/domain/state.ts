import { invariant } from './errors.js';
import { CREDITS, isCreditEvent } from './credits.js';
import type { CreditEvent, LedgerEvent, TopUpRefundAppliedData } from './events.js';
import { HoldBook, type ActiveHold } from './hold-book.js';
import { referralRevocationKeyOf } from './idempotency.js';
import { changeKeyHeld, EMPTY_KEY_SPEND, recordKeyCharge, type KeySpendBook } from './key-spend.js';
import { insertLot, lotIdOf, takeFromLots, type Lot, type LotKind } from './lots.js';
import { emptyRecentWindow, recentAdd, type RecentWindow } from './recent-window.js';

/** What a top-up needs to be refunded later, kept after its lot is spent. */
export interface TopUpRecord {
  readonly lotId: string;
  readonly amountNanos: bigint;
  /** The sum of the refunds applied so far (never above `amountNanos`). */
  readonly refundedNanos: bigint;
}

/** A bonus earned by a top-up: what a refund of that top-up claws back, in proportion. */
export interface BonusLink {
  readonly lotId: string;
  readonly amountNanos: bigint;
  /** What refunds have actually taken back from the bonus lot so far. */
  readonly clawedBackNanos: bigint;
}

export type { ActiveHold } from './hold-book.js';

/**
 * The decision state of one account: only what `decide` needs, kept compact (README.md, "State").
 * Immutable: `evolve` returns a new state and copies only the parts an event changes.
 */
export interface LedgerState {
  /** The number of events folded: the stream version the state reflects. */
  readonly version: number;
  /** Open lots (remaining > 0), in consumption order. */
  readonly lots: readonly Lot[];
  readonly nextLotSequence: number;
  /** What the account owes (>= 0): shown as a negative top-up balance, repaid by the next credit. */
  readonly debtNanos: bigint;
  /** Open holds, by id and in expiry order: O(log n) to place or close one (hold-book.ts). */
  readonly holds: HoldBook;
  /** The sum of `holds`, kept so that a balance is O(lots). */
  readonly heldNanos: bigint;
  /**
   * The most holds an account may have open at once (a configuration carried by the state, not
   * history: a snapshot does not store it). See `DEFAULT_MAX_ACTIVE_HOLDS`.
   */
  readonly maxActiveHolds: number;
  readonly topUps: ReadonlyMap<string, TopUpRecord>;
  /** By top-up id; a bonus may arrive before or after its top-up. */
  readonly bonusLinks: ReadonlyMap<string, readonly BonusLink[]>;
  /**
   * Every credit and adjustment ever applied, as `<kind>:<source id>` (the lot id). Credits are
   * business events (a handful a month), so remembering all of them is cheap.
   */
  readonly appliedCredits: ReadonlySet<string>;
  /** Every refund reference ever applied. */
  readonly appliedRefunds: ReadonlySet<string>;
  /**
   * The most recent request ids charged: a bounded window, not every request ever (an account may
   * make millions). The event store's idempotency key `usage:<requestId>` is the guard beyond it.
   */
  readonly recentRequests: RecentWindow<true>;
  /** The most recent holds closed (captured, released, expired), with their amounts. */
  readonly recentClosedHolds: RecentWindow<bigint>;
  /**
   * Each API key's charges in the current UTC day and month and its open holds: what a key's
   * spend limits are checked against when a hold is placed (key-spend.ts).
   */
  readonly keySpend: KeySpendBook;
}

/** How many recent request ids and closed hold ids an account state remembers, at least. */
export const DEFAULT_RECENT_IDS_REMEMBERED = 256;

/**
 * The safety cap on open holds per account. Holds have no rate or concurrency limit otherwise
 * (pay-as-you-go keys have none), so without a cap one account could grow its state, its
 * snapshots and every decision on it without bound, e.g. with many tiny holds and long TTLs. A
 * hold is one request in flight; 10,000 at once is far beyond what a real client runs, and the
 * refusal (`LEDGER.HOLD_LIMIT_REACHED`) is an answer the gateway can pass on, not a failure.
 */
export const DEFAULT_MAX_ACTIVE_HOLDS = 10_000;

export interface LedgerStateOptions {
  readonly recentIdsRemembered?: number;
  readonly maxActiveHolds?: number;
}

export function initialLedgerState(options: LedgerStateOptions = {}): LedgerState {
  const remembered = options.recentIdsRemembered ?? DEFAULT_RECENT_IDS_REMEMBERED;
  const maxActiveHolds = options.maxActiveHolds ?? DEFAULT_MAX_ACTIVE_HOLDS;
  if (!Number.isSafeInteger(maxActiveHolds) || maxActiveHolds < 1) {
    throw new RangeError(`maxActiveHolds must be a positive integer, got ${maxActiveHolds}`);
  }
  return {
    version: 0,
    lots: [],
    nextLotSequence: 0,
    debtNanos: 0n,
    holds: HoldBook.empty(),
    heldNanos: 0n,
    maxActiveHolds,
    topUps: new Map(),
    bonusLinks: new Map(),
    appliedCredits: new Set(),
    appliedRefunds: new Set(),
    recentRequests: emptyRecentWindow(remembered),
    recentClosedHolds: emptyRecentWindow(remembered),
    keySpend: EMPTY_KEY_SPEND,
  };
}

/**
 * Applies one event. Events are facts already decided, so evolve only records them; an event that
 * contradicts the state (a draw from a lot that is not open, a debt repaid that was never owed)
 * means the history or the code is broken, and it throws.
 */
export function evolve(state: LedgerState, event: LedgerEvent): LedgerState {
  const next = apply(state, event);
  return { ...next, version: state.version + 1 };
}

/** Folds events into a state (from the initial state unless given one). */
export function foldLedger(
  events: Iterable<LedgerEvent>,
  state: LedgerState = initialLedgerState(),
): LedgerState {
  let current = state;
  for (const event of events) current = evolve(current, event);
  return current;
}

function apply(state: LedgerState, event: LedgerEvent): LedgerState {
  if (isCreditEvent(event)) return applyCredit(state, event);
  switch (event.type) {
    case 'AdjustmentPosted': {
      const { data } = event;
      if (data.amountNanos > 0n) {
        invariant(data.lotId !== undefined, () => `adjustment ${data.adjustmentId} has no lot`);
        invariant(
          data.draws.length === 0 && data.debtIncurredNanos === 0n,
          () => 'positive adjustment drew',
        );
        return openLot(state, 'adjustment', { ...data, lotId: data.lotId });
      }
      const key = lotIdOf('adjustment', data.adjustmentId);
      invariant(
        !state.appliedCredits.has(key),
        () => `adjustment ${data.adjustmentId} posted twice`,
      );
      invariant(data.debtRepaidNanos === 0n, () => 'negative adjustment repaid debt');
      assertDebitAddsUp(-data.amountNanos, data.draws, data.debtIncurredNanos);
      return {
        ...debit(state, data.draws, data.debtIncurredNanos),
        appliedCredits: new Set(state.appliedCredits).add(key),
      };
    }
    case 'UsageCharged': {
      const { data } = event;
      assertDebitAddsUp(data.costNanos, data.draws, data.debtIncurredNanos);
      const charged = {
        ...debit(state, data.draws, data.debtIncurredNanos),
        recentRequests: recentAdd(state.recentRequests, data.requestId, true as const),
        keySpend:
          data.apiKeyId === undefined
            ? state.keySpend
            : recordKeyCharge(state.keySpend, data.apiKeyId, data.costNanos, data.recordedAtMs),
      };
      if (data.capturedHoldNanos === undefined) return charged;
      invariant(data.holdId !== undefined, () => `request ${data.requestId} captured no hold id`);
      return closeHold(charged, data.holdId, data.capturedHoldNanos);
    }
    case 'CreditsExpired': {
      const { data } = event;
      const lot = state.lots.find((open) => open.lotId === data.lotId);
      invariant(
        lot?.remainingNanos === data.amountNanos,
        () => `lot ${data.lotId} expired for ${data.amountNanos}, holds ${lot?.remainingNanos}`,
      );
      return { ...state, lots: takeFromLots(state.lots, [data]) };
    }
    case 'TopUpRefundApplied':
      return applyRefund(state, event.data);
    case 'ReferralRevoked': {
      const { data } = event;
      const key = referralRevocationKeyOf(data.referralId);
      invariant(!state.appliedCredits.has(key), () => `referral ${data.referralId} revoked twice`);
      invariant(
        state.appliedCredits.has(data.lotId),
        () => `referral ${data.referralId} revoked but never credited`,
      );
      invariant(
        data.takenNanos >= 0n && data.takenNanos <= data.amountNanos,
        () =>
          `referral ${data.referralId} revocation took ${data.takenNanos} of ${data.amountNanos}`,
      );
      const takes =
        data.takenNanos > 0n ? [{ lotId: data.lotId, amountNanos: data.takenNanos }] : [];
      return {
        ...state,
        lots: takeFromLots(state.lots, takes),
        appliedCredits: new Set(state.appliedCredits).add(key),
      };
    }
    case 'HoldPlaced': {
      const { data } = event;
      invariant(!state.holds.has(data.holdId), () => `hold ${data.holdId} placed twice`);
      invariant(data.amountNanos > 0n, () => `hold ${data.holdId} amount must be > 0`);
      const hold: ActiveHold = {
        holdId: data.holdId,
        amountNanos: data.amountNanos,
        expiresAtMs: data.expiresAtMs,
        ...(data.apiKeyId !== undefined && { apiKeyId: data.apiKeyId }),
      };
      return {
        ...state,
        holds: state.holds.with(hold),
        heldNanos: state.heldNanos + data.amountNanos,
        keySpend:
          data.apiKeyId === undefined
            ? state.keySpend
            : changeKeyHeld(state.keySpend, data.apiKeyId, data.amountNanos),
      };
    }
    case 'HoldReleased':
    case 'HoldExpired':
      return closeHold(state, event.data.holdId, event.data.amountNanos);
    case 'HoldExtended': {
      const { data } = event;
      const hold = state.holds.get(data.holdId);
      invariant(
        hold?.amountNanos === data.amountNanos,
        () => `hold ${data.holdId} extended for ${data.amountNanos}, holds ${hold?.amountNanos}`,
      );
      invariant(
        data.expiresAtMs >= hold.expiresAtMs,
        () => `hold ${data.holdId} extension would shorten it`,
      );
      return {
        ...state,
        holds: state.holds.rescheduled(data.holdId, data.expiresAtMs),
      };
    }
  }
}

/** A credit opens a lot of its kind; a top-up is also kept for refunds, a bonus linked to its top-up. */
function applyCredit(state: LedgerState, event: CreditEvent): LedgerState {
  const { kind } = CREDITS[event.type];
  switch (event.type) {
    case 'TopUpCredited': {
      const { data } = event;
      invariant(!state.topUps.has(data.topUpId), () => `top-up ${data.topUpId} credited twice`);
      const opened = openLot(state, kind, data);
      return {
        ...opened,
        topUps: new Map(state.topUps).set(data.topUpId, {
          lotId: data.lotId,
          amountNanos: data.amountNanos,
          refundedNanos: 0n,
        }),
      };
    }
    case 'BonusCredited': {
      const { data } = event;
      const opened = openLot(state, kind, data, data.expiresAtMs, data.topUpId);
      return data.topUpId === undefined ? opened : linkToTopUp(opened, data.topUpId, data);
    }
    case 'DiscountCredited': {
      // Linked like a bonus: a refund of the top-up takes back the same share of its discount.
      const { data } = event;
      return linkToTopUp(openLot(state, kind, data, undefined, data.topUpId), data.topUpId, data);
    }
    default:
      return openLot(state, kind, event.data, event.data.expiresAtMs);
  }
}

function linkToTopUp(
  state: LedgerState,
  topUpId: string,
  credit: { readonly lotId: string; readonly amountNanos: bigint },
): LedgerState {
  const link: BonusLink = {
    lotId: credit.lotId,
    amountNanos: credit.amountNanos,
    clawedBackNanos: 0n,
  };
  const links = [...(state.bonusLinks.get(topUpId) ?? []), link];
  return { ...state, bonusLinks: new Map(state.bonusLinks).set(topUpId, links) };
}

function openLot(
  state: LedgerState,
  kind: LotKind,
  data: {
    readonly lotId: string;
    readonly amountNanos: bigint;
    readonly debtRepaidNanos: bigint;
    readonly recordedAtMs: number;
  },
  expiresAtMs?: number,
  topUpId?: string,
): LedgerState {
  invariant(!state.appliedCredits.has(data.lotId), () => `lot ${data.lotId} opened twice`);
  invariant(data.amountNanos > 0n, () => `lot ${data.lotId} amount must be > 0`);
  invariant(
    data.debtRepaidNanos >= 0n &&
      data.debtRepaidNanos <= data.amountNanos &&
      data.debtRepaidNanos <= state.debtNanos,
    () => `lot ${data.lotId} repaid ${data.debtRepaidNanos} of a debt of ${state.debtNanos}`,
  );
  const remainingNanos = data.amountNanos - data.debtRepaidNanos;
  const lot: Lot = {
    lotId: data.lotId,
    kind,
    amountNanos: data.amountNanos,
    remainingNanos,
    ...(expiresAtMs !== undefined && { expiresAtMs }),
    openedAtMs: data.recordedAtMs,
    sequence: state.nextLotSequence,
    ...(topUpId !== undefined && { topUpId }),
  };
  return {
    ...state,
    lots: remainingNanos > 0n ? insertLot(state.lots, lot) : state.lots,
    nextLotSequence: state.nextLotSequence + 1,
    debtNanos: state.debtNanos - data.debtRepaidNanos,
    appliedCredits: new Set(state.appliedCredits).add(data.lotId),
  };
}

function debit(
  state: LedgerState,
  draws: readonly { readonly lotId: string; readonly amountNanos: bigint }[],
  debtIncurredNanos: bigint,
): LedgerState {
  invariant(debtIncurredNanos >= 0n, () => `debt incurred must be >= 0, got ${debtIncurredNanos}`);
  return {
    ...state,
    lots: takeFromLots(state.lots, draws),
    debtNanos: state.debtNanos + debtIncurredNanos,
  };
}

function assertDebitAddsUp(
  amountNanos: bigint,
  draws: readonly { readonly amountNanos: bigint }[],
  debtIncurredNanos: bigint,
): void {
  const drawn = draws.reduce((sum, draw) => sum + draw.amountNanos, 0n);
  invariant(
    drawn + debtIncurredNanos === amountNanos,
    () => `draws ${drawn} + debt ${debtIncurredNanos} do not add up to ${amountNanos}`,
  );
}

function closeHold(state: LedgerState, holdId: string, amountNanos: bigint): LedgerState {
  const hold = state.holds.get(holdId);
  invariant(
    hold?.amountNanos === amountNanos,
    () => `hold ${holdId} closed for ${amountNanos}, active for ${hold?.amountNanos}`,
  );
  return {
    ...state,
    holds: state.holds.without(holdId),
    heldNanos: state.heldNanos - amountNanos,
    recentClosedHolds: recentAdd(state.recentClosedHolds, holdId, amountNanos),
    keySpend:
      hold.apiKeyId === undefined
        ? state.keySpend
        : changeKeyHeld(state.keySpend, hold.apiKeyId, -amountNanos),
  };
}

function applyRefund(state: LedgerState, data: TopUpRefundAppliedData): LedgerState {
  const topUp = state.topUps.get(data.topUpId);
  invariant(topUp !== undefined, () => `refund of unknown top-up ${data.topUpId}`);
  invariant(
    !state.appliedRefunds.has(data.refundReference),
    () => `refund ${data.refundReference} applied twice`,
  );
  invariant(
    data.topUpTakenNanos >= 0n &&
      data.debtIncurredNanos >= 0n &&
      data.topUpTakenNanos + data.debtIncurredNanos === data.amountNanos,
    () => `refund ${data.refundReference} does not add up`,
  );
  const refundedNanos = topUp.refundedNanos + data.amountNanos;
  invariant(
    refundedNanos <= topUp.amountNanos,
    () => `top-up ${data.topUpId} refunded beyond its amount`,
  );

  const takes = [...data.bonusTakebacks];
  if (data.topUpTakenNanos > 0n)
    takes.push({ lotId: data.topUpLotId, amountNanos: data.topUpTakenNanos });

  let bonusLinks = state.bonusLinks;
  if (data.bonusTakebacks.length > 0) {
    const links = state.bonusLinks.get(data.topUpId) ?? [];
    const updated = links.map((link) => {
      const taken = data.bonusTakebacks
        .filter((takeback) => takeback.lotId === link.lotId)
        .reduce((sum, takeback) => sum + takeback.amountNanos, 0n);
      return taken === 0n ? link : { ...link, clawedBackNanos: link.clawedBackNanos + taken };
    });
    invariant(
      data.bonusTakebacks.every((takeback) => links.some((link) => link.lotId === takeback.lotId)),
      () => `refund ${data.refundReference} claws back a bonus not earned by ${data.topUpId}`,
    );
    bonusLinks = new Map(state.bonusLinks).set(data.topUpId, updated);
  }

  return {
    ...debit(state, takes, data.debtIncurredNanos),
    topUps: new Map(state.topUps).set(data.topUpId, { ...topUp, refundedNanos }),
    bonusLinks,
    appliedRefunds: new Set(state.appliedRefunds).add(data.refundReference),
  };
}
