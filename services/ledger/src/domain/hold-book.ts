import sortedBtree from 'sorted-btree';

/** An open hold: money reserved for a request in flight, released, captured or expired later. */
export interface ActiveHold {
  readonly holdId: string;
  readonly amountNanos: bigint;
  readonly expiresAtMs: number;
  /** The API key whose request it admits: its amount counts against that key's spend. */
  readonly apiKeyId?: string;
}

// sorted-btree is a CommonJS module whose class is its `default` export; under Node's ESM loader
// a default import is the whole `module.exports`, so the class is one level down.
const BTree = sortedBtree.default;
type BTree<K, V> = sortedBtree.default<K, V>;

/** Where a hold sits in expiry order: its expiry, then the order holds were placed in. */
type ExpiryKey = readonly [expiresAtMs: number, placed: number];

interface Entry {
  readonly hold: ActiveHold;
  readonly placed: number;
}

/**
 * How many key comparisons the hold books have made: what the complexity test and the benchmark
 * count, since a count of operations, unlike a wall time, does not depend on the machine's load.
 */
export const holdBookComparisons = { count: 0 };

const byExpiry = (a: ExpiryKey, b: ExpiryKey): number => {
  holdBookComparisons.count++;
  return a[0] - b[0] || a[1] - b[1];
};
const byId = (a: string, b: string): number => {
  holdBookComparisons.count++;
  return a < b ? -1 : a > b ? 1 : 0;
};

/**
 * The open holds of an account, as a persistent (immutable) structure: two B+ trees sharing
 * unchanged nodes between versions, one by hold id and one in expiry order. Placing or releasing
 * a hold is O(log n) in time and in what it copies, where the `Map` it replaces copied every hold
 * on every change (O(n), so a burst of n holds cost O(n²)). The expiry index makes "which holds
 * are due" O(k log n) for k due holds instead of a scan of all of them.
 *
 * Order is part of behaviour: holds due at the same instant come out in the order they were
 * placed, as they did from the insertion-ordered `Map`.
 */
export class HoldBook {
  private constructor(
    private readonly ids: BTree<string, Entry>,
    private readonly expiries: BTree<ExpiryKey, ActiveHold>,
    /** The placement counter: the tie-break between holds that expire at the same instant. */
    private readonly placed: number,
    /** The sum of the holds' amounts, kept so that it never needs a walk over them. */
    readonly totalNanos: bigint,
  ) {}

  private static readonly EMPTY = new HoldBook(
    new BTree<string, Entry>(undefined, byId),
    new BTree<ExpiryKey, ActiveHold>(undefined, byExpiry),
    0,
    0n,
  );

  static empty(): HoldBook {
    return HoldBook.EMPTY;
  }

  /** A book of these holds, placed in this order. */
  static of(holds: Iterable<ActiveHold>): HoldBook {
    let book = HoldBook.EMPTY;
    for (const hold of holds) book = book.with(hold);
    return book;
  }

  get size(): number {
    return this.ids.size;
  }

  get(holdId: string): ActiveHold | undefined {
    return this.ids.get(holdId)?.hold;
  }

  has(holdId: string): boolean {
    return this.ids.has(holdId);
  }

  /** Every hold, in the order they were placed (what a snapshot stores). */
  inPlacementOrder(): ActiveHold[] {
    return [...this.ids.values()].sort((a, b) => a.placed - b.placed).map((e) => e.hold);
  }

  /** Every hold, earliest expiry first. */
  values(): IterableIterator<ActiveHold> {
    return this.expiries.values();
  }

  /** The holds whose TTL has run out by `nowMs` (expiresAt <= now), earliest first. */
  dueBy(nowMs: number): ActiveHold[] {
    const due: ActiveHold[] = [];
    for (const hold of this.expiries.values()) {
      if (hold.expiresAtMs > nowMs) break;
      due.push(hold);
    }
    return due;
  }

  /** When the first hold expires, or `undefined` without holds. */
  earliestExpiryMs(): number | undefined {
    return this.expiries.minKey()?.[0];
  }

  /** A book with one more hold (this one is not changed). The id must not be open already. */
  with(hold: ActiveHold): HoldBook {
    if (this.ids.has(hold.holdId)) throw new RangeError(`hold ${hold.holdId} is already open`);
    const placed = this.placed;
    return new HoldBook(
      this.ids.with(hold.holdId, { hold, placed }),
      this.expiries.with([hold.expiresAtMs, placed], hold),
      placed + 1,
      this.totalNanos + hold.amountNanos,
    );
  }

  /** A book without that hold (this one is not changed). The hold must be open. */
  without(holdId: string): HoldBook {
    const entry = this.ids.get(holdId);
    if (entry === undefined) throw new RangeError(`hold ${holdId} is not open`);
    return new HoldBook(
      this.ids.without(holdId),
      this.expiries.without([entry.hold.expiresAtMs, entry.placed]),
      this.placed,
      this.totalNanos - entry.hold.amountNanos,
    );
  }

  /**
   * A book in which that hold expires at `expiresAtMs` instead (an extension), keeping its place
   * among holds that expire at the same instant: O(log n), like placing or releasing one.
   */
  rescheduled(holdId: string, expiresAtMs: number): HoldBook {
    const entry = this.ids.get(holdId);
    if (entry === undefined) throw new RangeError(`hold ${holdId} is not open`);
    const hold = { ...entry.hold, expiresAtMs };
    return new HoldBook(
      this.ids.with(holdId, { hold, placed: entry.placed }, true),
      this.expiries
        .without([entry.hold.expiresAtMs, entry.placed])
        .with([expiresAtMs, entry.placed], hold),
      this.placed,
      this.totalNanos,
    );
  }
}
