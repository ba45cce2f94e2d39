import { invariant } from './errors.js';

/**
 * Every credit opens a lot of one kind. `adjustment` lots come from positive admin adjustments
 * only; a negative adjustment debits like usage.
 */
export const LOT_KINDS = [
  'top_up',
  'discount',
  'bonus',
  'gift',
  'referral',
  'compensation',
  'adjustment',
] as const;
export type LotKind = (typeof LOT_KINDS)[number];

/**
 * The lots shown as "Top-Up Credits"; every other kind is "Bonus & Compensation Credits". A
 * discount is the part of a top-up a promotion code paid for: the customer bought top-up credits
 * at a lower price, so they are top-up credits, spent last like the rest of the top-up.
 */
export const isTopUpKind = (kind: LotKind): boolean => kind === 'top_up' || kind === 'discount';

/**
 * A lot id is derived from the credit that opened it ("bonus:grant_7"), never generated, so that
 * replaying the same inputs always yields the same ids and the id alone tells the kind.
 */
export const lotIdOf = (kind: LotKind, sourceId: string): string => `${kind}:${sourceId}`;

/** The kind a lot id names (`lotIdOf` puts it first). */
export function kindOfLotId(lotId: string): LotKind {
  const kind = LOT_KINDS.find((k) => lotId.startsWith(`${k}:`));
  invariant(kind !== undefined, () => `lot id ${lotId} names no lot kind`);
  return kind;
}

export interface Lot {
  readonly lotId: string;
  readonly kind: LotKind;
  readonly amountNanos: bigint;
  /** Always > 0 in the state: a lot that reaches 0 is closed and leaves the state. */
  readonly remainingNanos: bigint;
  /** Absent: never expires. */
  readonly expiresAtMs?: number;
  readonly openedAtMs: number;
  /** The order the account opened its lots in: the tie-break between lots opened in the same ms. */
  readonly sequence: number;
  /** For a bonus: the top-up that earned it (the refund of that top-up claws it back). */
  readonly topUpId?: string;
}

/** One lot's part of a debit (a usage charge or a negative adjustment). */
export interface Draw {
  readonly lotId: string;
  /** Recorded so that projections can split a debit into balance types without the lots. */
  readonly kind: LotKind;
  readonly amountNanos: bigint;
}

/**
 * The order of consumption (DESIGN.md "Credit lots"): every non-top-up lot before any top-up lot
 * ("bonus credits are used first, then top-up credits"); within a class, the lot that expires
 * first (a lot that never expires comes last), then the oldest (opening time, then sequence).
 * The lots in the state are kept sorted by it, so a debit simply walks the array.
 */
export function consumptionOrder(a: Lot, b: Lot): number {
  const classA = isTopUpKind(a.kind) ? 1 : 0;
  const classB = isTopUpKind(b.kind) ? 1 : 0;
  if (classA !== classB) return classA - classB;
  const expiresA = a.expiresAtMs ?? Number.POSITIVE_INFINITY;
  const expiresB = b.expiresAtMs ?? Number.POSITIVE_INFINITY;
  if (expiresA !== expiresB) return expiresA < expiresB ? -1 : 1;
  if (a.openedAtMs !== b.openedAtMs) return a.openedAtMs - b.openedAtMs;
  return a.sequence - b.sequence;
}

/**
 * Splits a debit over the lots in consumption order. What the lots cannot cover is the shortfall,
 * which becomes debt (the top-up class goes negative).
 */
export function planDraws(
  lots: readonly Lot[],
  amountNanos: bigint,
): { readonly draws: readonly Draw[]; readonly shortfallNanos: bigint } {
  invariant(amountNanos >= 0n, () => `a debit cannot be negative, got ${amountNanos}`);
  const draws: Draw[] = [];
  let left = amountNanos;
  for (const lot of lots) {
    if (left === 0n) break;
    const take = lot.remainingNanos < left ? lot.remainingNanos : left;
    draws.push({ lotId: lot.lotId, kind: lot.kind, amountNanos: take });
    left -= take;
  }
  return { draws, shortfallNanos: left };
}

/** Inserts a lot at its place in consumption order (the input array is not changed). */
export function insertLot(lots: readonly Lot[], lot: Lot): readonly Lot[] {
  const index = lots.findIndex((other) => consumptionOrder(lot, other) < 0);
  return index === -1 ? [...lots, lot] : [...lots.slice(0, index), lot, ...lots.slice(index)];
}

/**
 * Takes amounts out of lots (draws, expiries, claw-backs); a lot that reaches 0 leaves the array.
 * Taking more than a lot holds, or from a lot that is not open, is a broken invariant.
 */
export function takeFromLots(
  lots: readonly Lot[],
  takes: readonly { readonly lotId: string; readonly amountNanos: bigint }[],
): readonly Lot[] {
  if (takes.length === 0) return lots;
  const byLot = new Map<string, bigint>();
  for (const take of takes) {
    invariant(take.amountNanos > 0n, () => `take from ${take.lotId} must be > 0`);
    byLot.set(take.lotId, (byLot.get(take.lotId) ?? 0n) + take.amountNanos);
  }
  const result: Lot[] = [];
  for (const lot of lots) {
    const take = byLot.get(lot.lotId);
    if (take === undefined) {
      result.push(lot);
      continue;
    }
    byLot.delete(lot.lotId);
    invariant(
      take <= lot.remainingNanos,
      () => `lot ${lot.lotId} holds ${lot.remainingNanos} nanos, cannot take ${take}`,
    );
    if (take < lot.remainingNanos)
      result.push({ ...lot, remainingNanos: lot.remainingNanos - take });
  }
  invariant(
    byLot.size === 0,
    () => `take from lots that are not open: ${[...byLot.keys()].join(', ')}`,
  );
  return result;
}
