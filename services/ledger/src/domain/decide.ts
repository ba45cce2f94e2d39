import { minUsd, proportion } from '@billing/money';
import { balanceOf } from './balance.js';
import type {
  ApplyTopUpRefund,
  ChargeUsage,
  ExtendHold,
  LedgerCommand,
  PlaceHold,
  PostAdjustment,
  ReleaseHold,
  RevokeReferral,
} from './commands.js';
import { creditLotIdOf, creditRuleOf, isCreditCommand, type CreditCommand } from './credits.js';
import { accepted, alreadyApplied, refused, type Decision } from './decision.js';
import { invariant } from './errors.js';
import type {
  BonusTakeback,
  CreditEvent,
  CreditsExpired,
  HoldExpired,
  LedgerEvent,
  TopUpRefundApplied,
} from './events.js';
import { referralRevocationKeyOf } from './idempotency.js';
import { keySpendLimitBreach } from './key-spend.js';
import { lotIdOf, planDraws, type Draw } from './lots.js';
import { recentGet, recentHas } from './recent-window.js';
import { foldLedger, type LedgerState } from './state.js';

const MS_PER_SECOND = 1000;

/**
 * Decides what a command changes in an account: the events to append, nothing (an input already
 * applied), or a typed failure. Pure: the clock and every id come with the command.
 *
 * Commands that take money out of lots or depend on Available first settle what is due at their
 * `nowMs` (README.md, "Settling what is due"): a lot past its expiry is expired before a charge
 * could draw from it, and a hold past its TTL stops counting before a new hold is admitted.
 */
export function decide(command: LedgerCommand, state: LedgerState): Decision {
  const { nowMs } = command.data;
  requireInstant(nowMs, 'nowMs');
  if (isCreditCommand(command)) return decideCredit(command, state);
  switch (command.type) {
    case 'PostAdjustment':
      return decideAdjustment(command, state);
    case 'ApplyTopUpRefund':
      return decideRefund(command, state);
    case 'RevokeReferral':
      return decideRevokeReferral(command, state);
    case 'ChargeUsage':
      return decideCharge(command, state);
    case 'PlaceHold':
      return decidePlaceHold(command, state);
    case 'ReleaseHold':
      return decideReleaseHold(command, state);
    case 'ExtendHold':
      return decideExtendHold(command, state);
    case 'ExpireHolds':
      return accepted(dueHoldExpiries(state, nowMs));
    case 'ExpireLots':
      return accepted(dueLotExpiries(state, nowMs));
  }
}

/** A credit opens a lot, after repaying whatever the account owes. */
function decideCredit(command: CreditCommand, state: LedgerState): Decision {
  const { nowMs, ...data } = command.data;
  const { event, kind, sourceId } = creditRuleOf(command);
  requireId((data as Readonly<Record<string, unknown>>)[sourceId] as string, `${kind} id`);
  requirePositive(data.amountNanos, `${kind} amount`);
  const lotId = creditLotIdOf(command);
  if (state.appliedCredits.has(lotId)) return alreadyApplied;
  const debtRepaidNanos = minUsd(data.amountNanos, state.debtNanos);
  // The command carries its event's data but for these four (commands.ts, `CreditCommand`).
  const credited = { type: event, data: { ...data, lotId, debtRepaidNanos, recordedAtMs: nowMs } };
  return accepted([credited as CreditEvent]);
}

function decideAdjustment(command: PostAdjustment, state: LedgerState): Decision {
  const { adjustmentId, amountNanos, reason, nowMs } = command.data;
  requireId(adjustmentId, 'adjustment id');
  invariant(amountNanos !== 0n, () => `adjustment ${adjustmentId} amount must not be 0`);
  const lotId = lotIdOf('adjustment', adjustmentId);
  if (state.appliedCredits.has(lotId)) return alreadyApplied;
  if (amountNanos > 0n) {
    return accepted([
      {
        type: 'AdjustmentPosted',
        data: {
          adjustmentId,
          amountNanos,
          reason,
          lotId,
          debtRepaidNanos: minUsd(amountNanos, state.debtNanos),
          draws: [],
          debtIncurredNanos: 0n,
          recordedAtMs: nowMs,
        },
      },
    ]);
  }
  // A negative adjustment debits exactly like usage: same order of consumption, same debt rule.
  return decideDebit(state, nowMs, -amountNanos, (debit) => ({
    type: 'AdjustmentPosted',
    data: { adjustmentId, amountNanos, reason, debtRepaidNanos: 0n, ...debit },
  }));
}

/**
 * A debit (usage, a negative adjustment): the lots due by `nowMs` expire first, then the amount
 * is drawn in consumption order, and what the lots cannot cover becomes debt.
 */
function decideDebit(
  state: LedgerState,
  nowMs: number,
  amountNanos: bigint,
  build: (
    debit: {
      readonly draws: readonly Draw[];
      readonly debtIncurredNanos: bigint;
      readonly recordedAtMs: number;
    },
    settled: LedgerState,
  ) => LedgerEvent,
): Decision {
  const expiries = dueLotExpiries(state, nowMs);
  const settled = foldLedger(expiries, state);
  const { draws, shortfallNanos } = planDraws(settled.lots, amountNanos);
  const debit = { draws, debtIncurredNanos: shortfallNanos, recordedAtMs: nowMs };
  return accepted([...expiries, build(debit, settled)]);
}

function decideRefund(command: ApplyTopUpRefund, state: LedgerState): Decision {
  const { topUpId, amountNanos, refundReference, nowMs } = command.data;
  requireId(refundReference, 'refund reference');
  requirePositive(amountNanos, 'refund amount');
  if (state.appliedRefunds.has(refundReference)) return alreadyApplied;
  const topUp = state.topUps.get(topUpId);
  if (topUp === undefined) {
    return refused(
      'LEDGER.TOP_UP_NOT_FOUND',
      `top-up ${topUpId} was never credited to this account`,
    );
  }
  const refundedNanos = topUp.refundedNanos + amountNanos;
  if (refundedNanos > topUp.amountNanos) {
    return refused(
      'LEDGER.REFUND_EXCEEDS_TOP_UP',
      `refunds of top-up ${topUpId} would total ${refundedNanos} nano-USD, more than its ${topUp.amountNanos}`,
    );
  }

  const expiries = dueLotExpiries(state, nowMs);
  const settled = foldLedger(expiries, state);
  const remainingOf = (lotId: string): bigint =>
    settled.lots.find((lot) => lot.lotId === lotId)?.remainingNanos ?? 0n;

  // The top-up part: what the lot still holds; the part already spent becomes debt.
  const topUpTakenNanos = minUsd(amountNanos, remainingOf(topUp.lotId));

  // The bonus part is cumulative, so that partial refunds add up to exactly the proportion of the
  // total refunded (rounding once on the total, not once per refund), and capped at what the
  // bonus lot still holds: bonus already spent or expired is not clawed back.
  const bonusTakebacks: BonusTakeback[] = [];
  for (const link of settled.bonusLinks.get(topUpId) ?? []) {
    const dueNanos =
      proportion(link.amountNanos, refundedNanos, topUp.amountNanos) - link.clawedBackNanos;
    const takeNanos = minUsd(dueNanos, remainingOf(link.lotId));
    if (takeNanos > 0n) bonusTakebacks.push({ lotId: link.lotId, amountNanos: takeNanos });
  }

  const refund: TopUpRefundApplied = {
    type: 'TopUpRefundApplied',
    data: {
      topUpId,
      refundReference,
      amountNanos,
      topUpLotId: topUp.lotId,
      topUpTakenNanos,
      debtIncurredNanos: amountNanos - topUpTakenNanos,
      bonusTakebacks,
      recordedAtMs: nowMs,
    },
  };
  return accepted([...expiries, refund]);
}

/**
 * Takes a referral reward back: what its lot still holds of it, after the lots due by now expired.
 * The part already spent (or expired) stays with the referrer; the revocation never incurs debt.
 * A revocation is applied once, even when it took nothing.
 */
function decideRevokeReferral(command: RevokeReferral, state: LedgerState): Decision {
  const { referralId, amountNanos, reason, nowMs } = command.data;
  requireId(referralId, 'referral id');
  requirePositive(amountNanos, 'revoked referral amount');
  if (state.appliedCredits.has(referralRevocationKeyOf(referralId))) return alreadyApplied;
  const lotId = lotIdOf('referral', referralId);
  if (!state.appliedCredits.has(lotId)) {
    return refused(
      'LEDGER.REFERRAL_NOT_FOUND',
      `referral reward ${referralId} was never credited to this account`,
    );
  }
  const expiries = dueLotExpiries(state, nowMs);
  const settled = foldLedger(expiries, state);
  const remainingNanos = settled.lots.find((lot) => lot.lotId === lotId)?.remainingNanos ?? 0n;
  return accepted([
    ...expiries,
    {
      type: 'ReferralRevoked',
      data: {
        referralId,
        lotId,
        amountNanos,
        takenNanos: minUsd(amountNanos, remainingNanos),
        reason,
        recordedAtMs: nowMs,
      },
    },
  ]);
}

function decideCharge(command: ChargeUsage, state: LedgerState): Decision {
  const { nowMs, ...usage } = command.data;
  requireId(usage.requestId, 'request id');
  invariant(usage.costNanos >= 0n, () => `cost of ${usage.requestId} must be >= 0`);
  requireInstant(usage.occurredAtMs, 'occurredAtMs');
  if (recentHas(state.recentRequests, usage.requestId)) return alreadyApplied;

  return decideDebit(state, nowMs, usage.costNanos, (debit, settled) => {
    // The charge captures its hold whatever the cost: the hold only admitted the request. A hold
    // already released or expired is simply gone; the usage is charged all the same.
    const hold = usage.holdId === undefined ? undefined : settled.holds.get(usage.holdId);
    return {
      type: 'UsageCharged',
      data: {
        ...usage,
        ...(hold !== undefined && { capturedHoldNanos: hold.amountNanos }),
        ...debit,
      },
    };
  });
}

function decidePlaceHold(command: PlaceHold, state: LedgerState): Decision {
  const { holdId, amountNanos, ttlSeconds, nowMs, apiKeyId, keySpendLimits } = command.data;
  requireId(holdId, 'hold id');
  if (apiKeyId !== undefined) requireId(apiKeyId, 'API key id');
  invariant(
    keySpendLimits === undefined || apiKeyId !== undefined,
    () => `hold ${holdId} carries spend limits without the key they limit`,
  );
  requirePositive(amountNanos, 'hold amount');
  requireTtl(ttlSeconds);

  // The same hold id again: the same answer as the first time if it is the same hold.
  const knownNanos =
    state.holds.get(holdId)?.amountNanos ?? recentGet(state.recentClosedHolds, holdId);
  if (knownNanos !== undefined) {
    if (knownNanos === amountNanos) return alreadyApplied;
    return refused(
      'LEDGER.HOLD_CONFLICT',
      `hold ${holdId} already exists for ${knownNanos} nano-USD, not ${amountNanos}`,
    );
  }

  const settlement = [...dueLotExpiries(state, nowMs), ...dueHoldExpiries(state, nowMs)];
  const settled = foldLedger(settlement, state);
  // The cap comes before the funds: an account at the cap is refused whatever its balance, so the
  // answer does not depend on which of the two limits a burst happens to reach first.
  if (settled.holds.size >= settled.maxActiveHolds) {
    return refused(
      'LEDGER.HOLD_LIMIT_REACHED',
      `the account already has ${settled.holds.size} open holds, the most allowed is ${settled.maxActiveHolds}; release or capture some first`,
    );
  }
  // The key's limit before the balance: when both refuse, a top-up would not help.
  if (apiKeyId !== undefined && keySpendLimits !== undefined) {
    const breach = keySpendLimitBreach(
      settled.keySpend,
      apiKeyId,
      keySpendLimits,
      amountNanos,
      nowMs,
    );
    if (breach !== undefined) {
      return refused(
        breach.period === 'daily'
          ? 'LEDGER.KEY_DAILY_SPEND_LIMIT_REACHED'
          : 'LEDGER.KEY_MONTHLY_SPEND_LIMIT_REACHED',
        `a hold of ${amountNanos} nano-USD would take key ${apiKeyId} past its ${breach.period} ` +
          `spend limit of ${breach.limitNanos} (${breach.spentNanos} spent or held this period); ` +
          `it resets at ${new Date(breach.resetsAtMs).toISOString()}`,
      );
    }
  }
  const { availableNanos } = balanceOf(settled);
  if (availableNanos - amountNanos < 0n) {
    return refused(
      'LEDGER.INSUFFICIENT_FUNDS',
      `a hold of ${amountNanos} nano-USD exceeds the available ${availableNanos}`,
    );
  }
  return accepted([
    ...settlement,
    {
      type: 'HoldPlaced',
      data: {
        holdId,
        amountNanos,
        expiresAtMs: nowMs + ttlSeconds * MS_PER_SECOND,
        recordedAtMs: nowMs,
        ...(apiKeyId !== undefined && { apiKeyId }),
      },
    },
  ]);
}

function decideReleaseHold(command: ReleaseHold, state: LedgerState): Decision {
  const { holdId, nowMs } = command.data;
  const hold = state.holds.get(holdId);
  if (hold !== undefined) {
    return accepted([
      {
        type: 'HoldReleased',
        data: { holdId, amountNanos: hold.amountNanos, recordedAtMs: nowMs },
      },
    ]);
  }
  // Released, captured or expired already: releasing it again changes nothing.
  if (recentHas(state.recentClosedHolds, holdId)) return alreadyApplied;
  return refused('LEDGER.HOLD_NOT_FOUND', `hold ${holdId} is not known to this account`);
}

/**
 * A later expiry for an active hold. A hold already past its expiry is not revived, even if the
 * scheduler has not expired it yet: its amount may already have been counted as available again
 * by a hold placed since (which settles due holds first), so the request it admitted must stop.
 */
function decideExtendHold(command: ExtendHold, state: LedgerState): Decision {
  const { holdId, ttlSeconds, nowMs } = command.data;
  requireId(holdId, 'hold id');
  requireTtl(ttlSeconds);
  const hold = state.holds.get(holdId);
  if (hold === undefined) {
    if (recentHas(state.recentClosedHolds, holdId)) {
      return refused(
        'LEDGER.HOLD_CLOSED',
        `hold ${holdId} was already captured, released or expired`,
      );
    }
    return refused('LEDGER.HOLD_NOT_FOUND', `hold ${holdId} is not known to this account`);
  }
  if (hold.expiresAtMs <= nowMs) {
    return refused('LEDGER.HOLD_CLOSED', `hold ${holdId} expired before it was extended`);
  }
  const expiresAtMs = Math.max(hold.expiresAtMs, nowMs + ttlSeconds * MS_PER_SECOND);
  return accepted([
    {
      type: 'HoldExtended',
      data: { holdId, amountNanos: hold.amountNanos, expiresAtMs, recordedAtMs: nowMs },
    },
  ]);
}

/** Lots whose expiry has come (expiresAt <= now), for their whole remainder. */
export function dueLotExpiries(state: LedgerState, nowMs: number): CreditsExpired[] {
  return state.lots
    .filter((lot) => lot.expiresAtMs !== undefined && lot.expiresAtMs <= nowMs)
    .map((lot) => ({
      type: 'CreditsExpired',
      data: {
        lotId: lot.lotId,
        kind: lot.kind,
        amountNanos: lot.remainingNanos,
        expiresAtMs: lot.expiresAtMs ?? nowMs,
        recordedAtMs: nowMs,
      },
    }));
}

/** Holds whose TTL has run out (expiresAt <= now). */
export function dueHoldExpiries(state: LedgerState, nowMs: number): HoldExpired[] {
  return state.holds.dueBy(nowMs).map((hold) => ({
    type: 'HoldExpired',
    data: {
      holdId: hold.holdId,
      amountNanos: hold.amountNanos,
      expiresAtMs: hold.expiresAtMs,
      recordedAtMs: nowMs,
    },
  }));
}

function requirePositive(amountNanos: bigint, what: string): void {
  invariant(
    typeof amountNanos === 'bigint' && amountNanos > 0n,
    () => `${what} must be a positive bigint of nano-USD, got ${String(amountNanos)}`,
  );
}

function requireTtl(ttlSeconds: number): void {
  invariant(
    Number.isSafeInteger(ttlSeconds) && ttlSeconds > 0,
    () => `ttlSeconds must be a positive integer, got ${ttlSeconds}`,
  );
}

function requireId(id: string, what: string): void {
  invariant(typeof id === 'string' && id.length > 0, () => `${what} must be a non-empty string`);
}

function requireInstant(ms: number, what: string): void {
  invariant(Number.isSafeInteger(ms), () => `${what} must be an integer of epoch ms, got ${ms}`);
}
