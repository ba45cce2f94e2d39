interface Held {
  readonly owner: object;
  readonly released: Promise<void>;
  readonly release: () => void;
}

/**
 * Accounts held by one of this process's ledger transactions, from the moment it starts deciding
 * them until it commits or rolls back: so that two writers of the same process (the holds' write
 * queue and a consumer's chunk) never decide the same account at once.
 *
 * Why: when they did, the one that appended second found its expected version stale, and had to
 * lock the stream heads and fold the account again from its snapshot (LedgerWriter's `relock`).
 * With holds and charges on one busy account, that was two folds for most holds placed while a
 * chunk was open: in the distributed platform's bench (`npm run bench -- gateway-platform`) the
 * ledger spent 5.1 of the 33 s of CPU it used serving the load folding accounts again. Waiting
 * here instead costs nothing but the wait the database would have imposed anyway, at the append.
 *
 * It is only a shortcut. The stream's expected version still decides between writers, so another
 * replica, or a transaction whose end was never reported here (its accounts are taken over after
 * `waitMs`), is handled exactly as before. A writer takes all its accounts at once, after waiting
 * until none of them is held, so two writers never each hold part of what the other waits for.
 * Callers take them before their transaction's first statement, while it holds no lock in the
 * database that the holder could be waiting for.
 */
export class AccountLocks {
  private readonly held = new Map<string, Held>();
  private readonly taken = new WeakMap<object, string[]>();

  constructor(private readonly waitMs: number) {}

  async acquire(owner: object, accountIds: Iterable<string>): Promise<void> {
    const ids = [...accountIds];
    const deadline = performance.now() + this.waitMs;
    for (;;) {
      const busy = new Set<Promise<void>>();
      for (const id of ids) {
        const lock = this.held.get(id);
        if (lock !== undefined && lock.owner !== owner) busy.add(lock.released);
      }
      const left = deadline - performance.now();
      if (busy.size === 0 || left <= 0) break;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(busy),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, left))),
      ]);
      clearTimeout(timer);
    }
    const mine = this.taken.get(owner) ?? [];
    for (const id of ids) {
      const lock = this.held.get(id);
      if (lock?.owner === owner) continue;
      // Held past the wait: taken over, and whoever else waits for it wakes to wait for us.
      lock?.release();
      let release = (): void => {};
      const released = new Promise<void>((resolve) => (release = resolve));
      this.held.set(id, { owner, released, release });
      mine.push(id);
    }
    this.taken.set(owner, mine);
  }

  /** `owner`'s transaction ended: its accounts are free. */
  release(owner: object): void {
    for (const id of this.taken.get(owner) ?? []) {
      const lock = this.held.get(id);
      if (lock?.owner !== owner) continue;
      this.held.delete(id);
      lock.release();
    }
    this.taken.delete(owner);
  }

  /** How many accounts are held now (for tests). */
  get size(): number {
    return this.held.size;
  }
}
