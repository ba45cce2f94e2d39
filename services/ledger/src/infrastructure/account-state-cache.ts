import type { LedgerState } from '../domain/index.js';

/** What the ledger remembers of an account between commands. */
export interface CachedAccount {
  readonly state: LedgerState;
  /** The ledger clock of the stream's last event: the next decision never goes back before it. */
  readonly lastRecordedAtMs: number;
  /**
   * The transaction that wrote this state, while it is not known to have committed. A consumer
   * chunk commits after its handlers return, so the state it left here may yet be rolled back: a
   * pending entry is only used once PostgreSQL confirms its transaction committed (or by that
   * same transaction). See LedgerWriter.
   */
  readonly pendingTxid?: string;
}

/**
 * A least-recently-used map of account states, so that a busy account is not re-read and
 * re-folded from its stream for every command. It is only a cache: every append carries the
 * expected stream version, so a stale entry (another replica wrote since) fails the append, is
 * dropped and re-read.
 */
export class AccountStateCache {
  private readonly entries = new Map<string, CachedAccount>();

  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(`cache capacity must be a positive integer, got ${capacity}`);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  get(accountId: string): CachedAccount | undefined {
    const entry = this.entries.get(accountId);
    if (entry !== undefined) {
      // A Map iterates in insertion order: re-inserting makes this the most recent entry.
      this.entries.delete(accountId);
      this.entries.set(accountId, entry);
    }
    return entry;
  }

  set(accountId: string, entry: CachedAccount): void {
    this.entries.delete(accountId);
    this.entries.set(accountId, entry);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
  }

  delete(accountId: string): void {
    this.entries.delete(accountId);
  }

  clear(): void {
    this.entries.clear();
  }
}
