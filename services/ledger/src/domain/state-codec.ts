import { formatUsd, parseUsd } from '@billing/money';
import type { CreditsBreakdown } from './breakdown.js';
import { LedgerInvariantError, invariant } from './errors.js';
import { HoldBook, type ActiveHold } from './hold-book.js';
import { changeKeyHeld, type KeyPeriodSpend, type KeySpendBook } from './key-spend.js';
import { LOT_KINDS, type Lot, type LotKind } from './lots.js';
import type { RecentWindow } from './recent-window.js';
import {
  initialLedgerState,
  type BonusLink,
  type LedgerState,
  type LedgerStateOptions,
  type TopUpRecord,
} from './state.js';

/**
 * The stored form of a `LedgerState` (a snapshot's `state`), version 2: version 1 and, since
 * per-key spend limits (issue #17), each hold's `apiKeyId` and the keys' spend of the current
 * period (`keySpend`). A version 1 snapshot is refused, not read as "no key spent anything": its
 * state was folded by code that did not count key spend, so the stream is folded instead (and
 * migration `ledger_003_snapshots_v2` deletes them). Plain JSON that the event
 * store's canonical JSON can hash: money as decimal USD strings (`formatUsd`, exact to the
 * nano-dollar, never a float), times as epoch milliseconds, maps as `[key, value]` pairs in their
 * iteration order and the recent-id windows chunk by chunk, so that the decoded state decides
 * exactly what the folded one decides (which ids it still remembers included).
 *
 * `maxActiveHolds` is configuration, not history: it is not stored, and the loader applies the
 * running configuration.
 */
export interface LedgerStateV2 {
  readonly v: 2;
  readonly version: number;
  readonly lots: readonly {
    readonly lotId: string;
    readonly kind: LotKind;
    readonly amount: string;
    readonly remaining: string;
    readonly expiresAtMs?: number;
    readonly openedAtMs: number;
    readonly sequence: number;
    readonly topUpId?: string;
  }[];
  readonly nextLotSequence: number;
  readonly debt: string;
  /** In the order they were placed. */
  readonly holds: readonly {
    readonly holdId: string;
    readonly amount: string;
    readonly expiresAtMs: number;
    readonly apiKeyId?: string;
  }[];
  readonly held: string;
  readonly topUps: readonly (readonly [
    string,
    { readonly lotId: string; readonly amount: string; readonly refunded: string },
  ])[];
  readonly bonusLinks: readonly (readonly [
    string,
    readonly { readonly lotId: string; readonly amount: string; readonly clawedBack: string }[],
  ])[];
  readonly appliedCredits: readonly string[];
  readonly appliedRefunds: readonly string[];
  readonly recentRequests: { readonly maxChunks: number; readonly chunks: readonly string[][] };
  readonly recentClosedHolds: {
    readonly maxChunks: number;
    readonly chunks: readonly (readonly [string, string])[][];
  };
  /** The month of the latest key charge, and each key's charges of its latest day and month. */
  readonly keySpend: {
    readonly monthStartMs: number;
    readonly settled: readonly (readonly [
      string,
      {
        readonly dayStartMs: number;
        readonly day: string;
        readonly monthStartMs: number;
        readonly month: string;
      },
    ])[];
  };
}

/** The stored form of a credits breakdown (a snapshot's `breakdown`): decimal USD strings. */
export type CreditsBreakdownV1 = { readonly [K in keyof CreditsBreakdown]: string };

const usd = formatUsd;

export function encodeLedgerState(state: LedgerState): LedgerStateV2 {
  return {
    v: 2,
    version: state.version,
    lots: state.lots.map((lot) => ({
      lotId: lot.lotId,
      kind: lot.kind,
      amount: usd(lot.amountNanos),
      remaining: usd(lot.remainingNanos),
      ...(lot.expiresAtMs !== undefined && { expiresAtMs: lot.expiresAtMs }),
      openedAtMs: lot.openedAtMs,
      sequence: lot.sequence,
      ...(lot.topUpId !== undefined && { topUpId: lot.topUpId }),
    })),
    nextLotSequence: state.nextLotSequence,
    debt: usd(state.debtNanos),
    holds: state.holds.inPlacementOrder().map((hold) => ({
      holdId: hold.holdId,
      amount: usd(hold.amountNanos),
      expiresAtMs: hold.expiresAtMs,
      ...(hold.apiKeyId !== undefined && { apiKeyId: hold.apiKeyId }),
    })),
    held: usd(state.heldNanos),
    topUps: [...state.topUps].map(([id, t]) => [
      id,
      { lotId: t.lotId, amount: usd(t.amountNanos), refunded: usd(t.refundedNanos) },
    ]),
    bonusLinks: [...state.bonusLinks].map(([id, links]) => [
      id,
      links.map((l) => ({
        lotId: l.lotId,
        amount: usd(l.amountNanos),
        clawedBack: usd(l.clawedBackNanos),
      })),
    ]),
    appliedCredits: [...state.appliedCredits],
    appliedRefunds: [...state.appliedRefunds],
    recentRequests: {
      maxChunks: state.recentRequests.maxChunks,
      chunks: state.recentRequests.chunks.map((chunk) => [...chunk.keys()]),
    },
    recentClosedHolds: {
      maxChunks: state.recentClosedHolds.maxChunks,
      chunks: state.recentClosedHolds.chunks.map((chunk) =>
        [...chunk].map(([id, amount]) => [id, usd(amount)] as const),
      ),
    },
    keySpend: {
      monthStartMs: state.keySpend.monthStartMs,
      settled: [...state.keySpend.settled].map(([id, s]) => [
        id,
        {
          dayStartMs: s.dayStartMs,
          day: usd(s.dayNanos),
          monthStartMs: s.monthStartMs,
          month: usd(s.monthNanos),
        },
      ]),
    },
  };
}

/**
 * Reads a stored state back. Anything malformed, or a state that breaks the invariants the fold
 * keeps (held = the sum of the holds, lots with 0 < remaining <= amount), throws
 * `LedgerInvariantError`: the caller then ignores the snapshot and folds the stream instead.
 */
export function decodeLedgerState(
  value: unknown,
  options: Pick<LedgerStateOptions, 'maxActiveHolds'> = {},
): LedgerState {
  const s = value as LedgerStateV2;
  invariant(
    typeof value === 'object' && value !== null && s.v === 2,
    () => 'stored state is not a version 2 state',
  );
  try {
    const lots: Lot[] = s.lots.map((l) => {
      invariant(LOT_KINDS.includes(l.kind), () => `stored lot ${l.lotId} has kind ${l.kind}`);
      const lot: Lot = {
        lotId: text(l.lotId),
        kind: l.kind,
        amountNanos: parseUsd(l.amount),
        remainingNanos: parseUsd(l.remaining),
        ...(l.expiresAtMs !== undefined && { expiresAtMs: int(l.expiresAtMs) }),
        openedAtMs: int(l.openedAtMs),
        sequence: int(l.sequence),
        ...(l.topUpId !== undefined && { topUpId: text(l.topUpId) }),
      };
      invariant(
        lot.remainingNanos > 0n && lot.remainingNanos <= lot.amountNanos,
        () => `stored lot ${lot.lotId} remains ${lot.remainingNanos} of ${lot.amountNanos}`,
      );
      return lot;
    });
    const holds = HoldBook.of(
      s.holds.map((h): ActiveHold => ({
        holdId: text(h.holdId),
        amountNanos: parseUsd(h.amount),
        expiresAtMs: int(h.expiresAtMs),
        ...(h.apiKeyId !== undefined && { apiKeyId: text(h.apiKeyId) }),
      })),
    );
    const heldNanos = parseUsd(s.held);
    invariant(
      heldNanos === holds.totalNanos,
      () => `stored held ${heldNanos} is not the sum of its holds ${holds.totalNanos}`,
    );
    const initial = initialLedgerState(options);
    return {
      ...initial,
      version: int(s.version),
      lots,
      nextLotSequence: int(s.nextLotSequence),
      debtNanos: parseUsd(s.debt),
      holds,
      heldNanos,
      topUps: new Map(
        s.topUps.map(([id, t]): [string, TopUpRecord] => [
          text(id),
          {
            lotId: text(t.lotId),
            amountNanos: parseUsd(t.amount),
            refundedNanos: parseUsd(t.refunded),
          },
        ]),
      ),
      bonusLinks: new Map(
        s.bonusLinks.map(([id, links]): [string, readonly BonusLink[]] => [
          text(id),
          links.map((l) => ({
            lotId: text(l.lotId),
            amountNanos: parseUsd(l.amount),
            clawedBackNanos: parseUsd(l.clawedBack),
          })),
        ]),
      ),
      appliedCredits: new Set(s.appliedCredits.map(text)),
      appliedRefunds: new Set(s.appliedRefunds.map(text)),
      recentRequests: window(s.recentRequests.maxChunks, s.recentRequests.chunks, (id) => [
        text(id),
        true as const,
      ]),
      recentClosedHolds: window(s.recentClosedHolds.maxChunks, s.recentClosedHolds.chunks, (e) => [
        text(e[0]),
        parseUsd(e[1]),
      ]),
      keySpend: decodeKeySpend(s.keySpend, holds),
    };
  } catch (err) {
    if (err instanceof LedgerInvariantError) throw err;
    throw new LedgerInvariantError(
      `stored state is malformed: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

export function encodeBreakdown(b: CreditsBreakdown): CreditsBreakdownV1 {
  return {
    topUpsNanos: usd(b.topUpsNanos),
    bonusesNanos: usd(b.bonusesNanos),
    giftsNanos: usd(b.giftsNanos),
    referralsNanos: usd(b.referralsNanos),
    compensationsNanos: usd(b.compensationsNanos),
    adjustmentsNanos: usd(b.adjustmentsNanos),
    expiredNanos: usd(b.expiredNanos),
    usageNanos: usd(b.usageNanos),
    totalBalanceNanos: usd(b.totalBalanceNanos),
  };
}

export function decodeBreakdown(value: unknown): CreditsBreakdown {
  const b = value as CreditsBreakdownV1;
  invariant(typeof value === 'object' && value !== null, () => 'stored breakdown is no object');
  try {
    return {
      topUpsNanos: parseUsd(b.topUpsNanos),
      bonusesNanos: parseUsd(b.bonusesNanos),
      giftsNanos: parseUsd(b.giftsNanos),
      referralsNanos: parseUsd(b.referralsNanos),
      compensationsNanos: parseUsd(b.compensationsNanos),
      adjustmentsNanos: parseUsd(b.adjustmentsNanos),
      expiredNanos: parseUsd(b.expiredNanos),
      usageNanos: parseUsd(b.usageNanos),
      totalBalanceNanos: parseUsd(b.totalBalanceNanos),
    };
  } catch (err) {
    throw new LedgerInvariantError(
      `stored breakdown is malformed: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

/** The keys' spend; what each key holds is not stored but summed from the holds themselves. */
function decodeKeySpend(stored: LedgerStateV2['keySpend'], holds: HoldBook): KeySpendBook {
  let book: KeySpendBook = {
    monthStartMs: int(stored.monthStartMs),
    settled: new Map(
      stored.settled.map(([id, e]): [string, KeyPeriodSpend] => [
        text(id),
        {
          dayStartMs: int(e.dayStartMs),
          dayNanos: parseUsd(e.day),
          monthStartMs: int(e.monthStartMs),
          monthNanos: parseUsd(e.month),
        },
      ]),
    ),
    held: new Map(),
  };
  for (const hold of holds.inPlacementOrder()) {
    if (hold.apiKeyId !== undefined) book = changeKeyHeld(book, hold.apiKeyId, hold.amountNanos);
  }
  return book;
}

function window<E, V>(
  maxChunks: number,
  chunks: readonly (readonly E[])[],
  entry: (e: E) => [string, V],
): RecentWindow<V> {
  invariant(
    Number.isSafeInteger(maxChunks) && maxChunks > 0 && chunks.length <= maxChunks,
    () => `stored window has ${chunks.length} chunks of at most ${maxChunks}`,
  );
  return { maxChunks, chunks: chunks.map((chunk) => new Map(chunk.map(entry))) };
}

function text(value: unknown): string {
  invariant(typeof value === 'string', () => `stored ${String(value)} is not a string`);
  return value;
}

function int(value: unknown): number {
  invariant(
    typeof value === 'number' && Number.isSafeInteger(value),
    () => `stored ${String(value)} is not an integer`,
  );
  return value;
}
