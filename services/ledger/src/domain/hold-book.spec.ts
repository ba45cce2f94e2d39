import { HoldBook, holdBookComparisons, type ActiveHold } from './hold-book.js';
import { placeHold, releaseHold, topUp, T0 } from './testing/builders.js';
import { expectBalance, expectFailure, givenCommandsWith } from './testing/scenario.js';
import { balanceOf } from './balance.js';
import { decide } from './decide.js';
import { evolve, initialLedgerState, type LedgerState } from './state.js';

/** A small deterministic generator, so that a failure can be replayed. */
function random(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (x + 0x6d2b79f5) >>> 0;
    let t = x;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hold = (i: number, expiresAtMs: number): ActiveHold => ({
  holdId: `h${i}`,
  amountNanos: BigInt(1 + (i % 1000)),
  expiresAtMs,
});

/** Comparisons per operation for `ops` place+release pairs on a book that already holds `size`. */
function comparisonsPerOperation(size: number, ops: number): number {
  const next = random(size);
  let book = HoldBook.empty();
  for (let i = 0; i < size; i++) book = book.with(hold(i, T0 + Math.floor(next() * 3_600_000)));
  holdBookComparisons.count = 0;
  for (let i = size; i < size + ops; i++) {
    book = book.with(hold(i, T0 + Math.floor(next() * 3_600_000))).without(`h${i}`);
  }
  return holdBookComparisons.count / (2 * ops);
}

describe('HoldBook: the open holds of an account', () => {
  it('stops a quadratic hold burst: placing and releasing on a book of 100,000 holds costs O(log n) comparisons, not a copy of every hold', () => {
    const small = comparisonsPerOperation(1_000, 2_000);
    const large = comparisonsPerOperation(100_000, 2_000);
    // log2(100,000) / log2(1,000) = 1.67: a logarithmic structure stays within 2x of the small
    // book's cost; the copied Map it replaces did 100x the work (a copy of every hold).
    expect(large).toBeLessThan(small * 2);
    // Two B+ trees, a binary search per node level: a few dozen comparisons, never thousands.
    expect(large).toBeLessThan(4 * Math.log2(100_000) * 2);
  });

  it('agrees with a plain map and filter over 20,000 random operations, and every older book is left unchanged (persistence)', () => {
    const next = random(7);
    const reference = new Map<string, ActiveHold>();
    let book = HoldBook.empty();
    const snapshots: { book: HoldBook; ids: string[] }[] = [];
    for (let i = 0; i < 20_000; i++) {
      const open = [...reference.keys()];
      if (open.length > 0 && next() < 0.45) {
        const id = open[Math.floor(next() * open.length)] as string;
        book = book.without(id);
        reference.delete(id);
      } else {
        // Few distinct instants, so that many holds tie on their expiry.
        const h = hold(i, T0 + Math.floor(next() * 50) * 1000);
        book = book.with(h);
        reference.set(h.holdId, h);
      }
      if (i % 5_000 === 0) snapshots.push({ book, ids: [...reference.keys()] });
    }
    expect(book.size).toBe(reference.size);
    expect(book.totalNanos).toBe([...reference.values()].reduce((s, h) => s + h.amountNanos, 0n));
    for (const [id, h] of reference) expect(book.get(id)).toBe(h);
    expect(book.inPlacementOrder().map((h) => h.holdId)).toEqual([...reference.keys()]);
    // Due holds: earliest expiry first, and in placement order between equal expiries.
    const now = T0 + 25_000;
    const due = [...reference.values()]
      .filter((h) => h.expiresAtMs <= now)
      .sort((a, b) => a.expiresAtMs - b.expiresAtMs);
    expect(book.dueBy(now)).toEqual(due);
    expect(book.earliestExpiryMs()).toBe(
      Math.min(...[...reference.values()].map((h) => h.expiresAtMs)),
    );
    for (const { book: old, ids } of snapshots) {
      expect(old.inPlacementOrder().map((h) => h.holdId)).toEqual(ids);
    }
  });

  it('refuses to open an id twice or to close one that is not open (a broken history, not an answer)', () => {
    const book = HoldBook.empty().with(hold(1, T0));
    expect(() => book.with(hold(1, T0 + 1))).toThrow('hold h1 is already open');
    expect(() => book.without('h2')).toThrow('hold h2 is not open');
    expect(HoldBook.empty().earliestExpiryMs()).toBeUndefined();
  });
});

describe('the cap on open holds per account', () => {
  const capped = () =>
    givenCommandsWith(
      { maxActiveHolds: 3 },
      topUp('t1', '10'),
      placeHold('h1', '1'),
      placeHold('h2', '2'),
      placeHold('h3', '3'),
    );

  it('stops unbounded hold growth: at the cap a new hold is refused with LEDGER.HOLD_LIMIT_REACHED, nothing is appended, Available stays exactly $4', () => {
    const outcome = capped().when(placeHold('h4', '0.000000001'));

    expectFailure(outcome, 'LEDGER.HOLD_LIMIT_REACHED');
    expect(outcome.events).toHaveLength(4);
    expectBalance(outcome.state, {
      total: '10',
      topUp: '10',
      bonusAndCompensation: '0',
      held: '6',
      available: '4',
    });
  });

  it('at the cap, placing an open hold again is still answered as the same hold, and a release makes room for one more', () => {
    expect(capped().when(placeHold('h2', '2')).decision).toEqual({
      ok: true,
      events: [],
      duplicate: true,
    });
    const after = capped().when(releaseHold('h1')).then.when(placeHold('h4', '4'));
    expect(after.decision.ok).toBe(true);
    expectBalance(after.state, {
      total: '10',
      topUp: '10',
      bonusAndCompensation: '0',
      held: '9',
      available: '1',
    });
  });

  it('holds past their TTL do not count against the cap: they expire first', () => {
    const outcome = capped().when(placeHold('h4', '1', { at: T0 + 61_000 }));
    expect(outcome.decision.ok).toBe(true);
    expect(outcome.state.holds.size).toBe(1);
    expectBalance(outcome.state, {
      total: '10',
      topUp: '10',
      bonusAndCompensation: '0',
      held: '1',
    });
  });

  it('100,000 holds placed then released through decide and evolve leave the exact balance, held 0', () => {
    let state: LedgerState = initialLedgerState({ maxActiveHolds: 100_000 });
    const apply = (s: LedgerState, command: Parameters<typeof decide>[0]): LedgerState => {
      const decision = decide(command, s);
      if (!decision.ok) throw new Error(decision.error.code);
      return decision.events.reduce(evolve, s);
    };
    state = apply(state, topUp('t1', '1000'));
    for (let i = 0; i < 100_000; i++) {
      state = apply(state, placeHold(`h${i}`, '0.00001', { ttlSeconds: 600 }));
    }
    expect(balanceOf(state)).toMatchObject({
      heldNanos: 1_000_000_000n,
      availableNanos: 999_000_000_000n,
    });
    expect(decide(placeHold('one-more', '0.00001'), state)).toMatchObject({
      ok: false,
      error: { code: 'LEDGER.HOLD_LIMIT_REACHED' },
    });
    for (let i = 0; i < 100_000; i++) state = apply(state, releaseHold(`h${i}`));
    expect(balanceOf(state)).toMatchObject({ heldNanos: 0n, availableNanos: 1_000_000_000_000n });
    expect(state.holds.size).toBe(0);
  });
});
