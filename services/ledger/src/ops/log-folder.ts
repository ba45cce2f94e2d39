import type { StoredEvent } from '@billing/event-store';
import {
  EMPTY_BALANCE,
  applyToBalance,
  evolve,
  initialLedgerState,
  nextExpiryAtMs,
  type Balance,
  type LedgerEvent,
  type LedgerState,
} from '../domain/index.js';
import { accountIdOfStream } from '../infrastructure/ids.js';
import { ProjectionChanges } from '../infrastructure/projection-changes.js';
import { fromStoredEvent } from '../infrastructure/stored-events.js';

interface AccountFold {
  /** Events folded: always the prefix 1..version of the stream. */
  version: number;
  balance: Balance;
  state: LedgerState | undefined;
  /** Events read ahead of a gap, by version, waiting for it to fill. */
  readonly ahead: Map<number, LedgerEvent>;
}

export interface LogFolderOptions {
  /** Fold the domain state too (needed for the expiry schedule; it also checks every invariant). */
  readonly withState: boolean;
  /** Fold an account only up to this version (verify compares with a snapshot at that version). */
  readonly upTo?: (accountId: string) => number | undefined;
}

/**
 * Folds the global log into the projections, account by account, in each stream's version order.
 *
 * The global log is ordered by (transaction id, position), which keeps every reader from skipping
 * an event committed late, but it is not each stream's version order: a transaction can take its
 * id (from an earlier write, an inbox row) before it waits for a stream's head and appends after
 * a transaction with a higher id. So an event that arrives ahead of a gap in its stream is kept
 * aside until the gap fills; what is folded is always a prefix of each stream, which is also what
 * lets a rebuild catch up an account exactly from `version + 1`.
 */
export class LogFolder {
  private readonly accounts = new Map<string, AccountFold>();
  private changes = new ProjectionChanges();
  private touched = new Set<string>();
  /** Events read that are not an account's (never written by the ledger, but not ours to judge). */
  foreign = 0;
  folded = 0;

  constructor(private readonly options: LogFolderOptions) {}

  get accountIds(): IterableIterator<string> {
    return this.accounts.keys();
  }

  versionOf(accountId: string): number {
    return this.accounts.get(accountId)?.version ?? 0;
  }

  stateOf(accountId: string): LedgerState | undefined {
    return this.accounts.get(accountId)?.state;
  }

  balanceOf(accountId: string): Balance {
    return this.accounts.get(accountId)?.balance ?? EMPTY_BALANCE;
  }

  /** Events waiting behind a gap, per account (after a complete read, a gap is a broken log). */
  gaps(): Map<string, number[]> {
    const gaps = new Map<string, number[]>();
    for (const [id, fold] of this.accounts) {
      if (fold.ahead.size > 0)
        gaps.set(
          id,
          [...fold.ahead.keys()].sort((a, b) => a - b),
        );
    }
    return gaps;
  }

  add(stored: StoredEvent): void {
    const accountId = accountIdOfStream(stored.streamId);
    if (accountId === undefined) {
      this.foreign += 1;
      return;
    }
    let fold = this.accounts.get(accountId);
    if (fold === undefined) {
      fold = {
        version: 0,
        balance: EMPTY_BALANCE,
        state: this.options.withState ? initialLedgerState() : undefined,
        ahead: new Map(),
      };
      this.accounts.set(accountId, fold);
    }
    if (stored.version <= fold.version) return;
    const limit = this.options.upTo?.(accountId);
    if (limit !== undefined && stored.version > limit) return;
    const event = fromStoredEvent(stored);
    if (stored.version > fold.version + 1) {
      fold.ahead.set(stored.version, event);
      return;
    }
    this.apply(accountId, fold, event);
    for (let next = fold.ahead.get(fold.version + 1); next !== undefined;) {
      fold.ahead.delete(fold.version + 1);
      this.apply(accountId, fold, next);
      next = fold.ahead.get(fold.version + 1);
    }
  }

  /**
   * The projection rows of what was folded since the last call (additive tables), plus the
   * balance and schedule of every account touched, and starts afresh. Rebuild writes the first
   * take into empty tables and each catch-up take on top of it.
   */
  takeChanges(): ProjectionChanges {
    const taken = this.changes;
    for (const accountId of this.touched) {
      const fold = this.accounts.get(accountId);
      if (fold === undefined) continue;
      taken.setBalance(accountId, fold.balance);
      if (fold.state !== undefined) taken.setSchedule(accountId, nextExpiryAtMs(fold.state));
    }
    this.changes = new ProjectionChanges();
    this.touched = new Set();
    return taken;
  }

  private apply(accountId: string, fold: AccountFold, event: LedgerEvent): void {
    fold.version += 1;
    fold.balance = applyToBalance(fold.balance, event);
    if (fold.state !== undefined) fold.state = evolve(fold.state, event);
    this.changes.addEvent(accountId, event, fold.version);
    this.touched.add(accountId);
    this.folded += 1;
  }
}
