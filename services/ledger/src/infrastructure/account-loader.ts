import type { EventStore } from '@billing/event-store';
import { Logger } from '@nestjs/common';
import type pg from 'pg';
import {
  EMPTY_BALANCE,
  EMPTY_BREAKDOWN,
  addToBreakdown,
  applyToBalance,
  balanceOf,
  evolve,
  initialLedgerState,
  type Balance,
  type CreditsBreakdown,
  type LedgerState,
  type LedgerStateOptions,
} from '../domain/index.js';
import type { CachedAccount } from './account-state-cache.js';
import { streamIdOf } from './ids.js';
import { SnapshotRejected, type AccountSnapshot, type SnapshotStore } from './snapshots.js';
import { fromStoredEvent } from './stored-events.js';

export interface LoadedAccount {
  readonly account: CachedAccount;
  /** How many events were read and folded on top of the snapshot (or from the start). */
  readonly eventsRead: number;
  /** The version of the snapshot the fold started from; `undefined` when it started from 0. */
  readonly snapshotVersion: number | undefined;
}

export interface FoldedAsOf {
  readonly balance: Balance;
  readonly breakdown: CreditsBreakdown;
  readonly eventsRead: number;
  readonly snapshotVersion: number | undefined;
}

export interface AccountLoaderOptions {
  readonly pool: pg.Pool;
  readonly store: EventStore;
  readonly snapshots: SnapshotStore;
  /** What every state starts with (the hold cap, the recent-id windows). */
  readonly stateOptions: LedgerStateOptions;
}

/**
 * Folds an account from its latest snapshot instead of from its first event, so that the cost of
 * a cold load or an `?asOf=` query is bounded by the snapshot interval, not by the account's
 * whole history (docs/adr/008-ledger-snapshots.md). A snapshot that fails its checks is logged
 * and ignored, never used: the fold then starts from the first event, which is slower but right.
 */
export class AccountLoader {
  private readonly logger = new Logger('ledger.snapshots');

  constructor(private readonly o: AccountLoaderOptions) {}

  initialState(): LedgerState {
    return initialLedgerState(this.o.stateOptions);
  }

  /**
   * An account's decision state now: the writer's cold load. `fromSnapshot: false` folds from the
   * first event, as every load did before snapshots (the benchmark's baseline).
   */
  async load(
    accountId: string,
    options: { readonly fromSnapshot?: boolean } = {},
  ): Promise<LoadedAccount> {
    const snapshot =
      options.fromSnapshot === false
        ? undefined
        : await this.checked(accountId, () =>
            this.o.snapshots.latest(this.o.pool, accountId, this.o.stateOptions),
          );
    const stored = await this.o.store.readStream(streamIdOf(accountId), {
      fromVersion: (snapshot?.version ?? 0) + 1,
    });
    let state = snapshot?.state ?? this.initialState();
    let lastRecordedAtMs = snapshot?.lastRecordedAtMs ?? 0;
    for (const raw of stored) {
      const event = fromStoredEvent(raw);
      state = evolve(state, event);
      lastRecordedAtMs = Math.max(lastRecordedAtMs, event.data.recordedAtMs);
    }
    return {
      account: { state, lastRecordedAtMs },
      eventsRead: stored.length,
      snapshotVersion: snapshot?.version,
    };
  }

  /** The balance and the credits breakdown from the events recorded by `asOf`. */
  async asOf(accountId: string, asOf: Date): Promise<FoldedAsOf> {
    const snapshot = await this.checked(accountId, () =>
      this.o.snapshots.latestAsOf(this.o.pool, accountId, asOf.getTime(), this.o.stateOptions),
    );
    const stored = await this.o.store.readStreamAsOf(streamIdOf(accountId), asOf, {
      fromVersion: (snapshot?.version ?? 0) + 1,
    });
    let balance = snapshot === undefined ? EMPTY_BALANCE : balanceOf(snapshot.state);
    let breakdown = snapshot?.breakdown ?? EMPTY_BREAKDOWN;
    for (const raw of stored) {
      const event = fromStoredEvent(raw);
      balance = applyToBalance(balance, event);
      breakdown = addToBreakdown(breakdown, event);
    }
    return { balance, breakdown, eventsRead: stored.length, snapshotVersion: snapshot?.version };
  }

  private async checked(
    accountId: string,
    read: () => Promise<AccountSnapshot | undefined>,
  ): Promise<AccountSnapshot | undefined> {
    try {
      return await read();
    } catch (err) {
      if (!(err instanceof SnapshotRejected)) throw err;
      // Loud, because it means a row was damaged or written by something other than the ledger;
      // `projections:verify` lists every such snapshot.
      this.logger.error(`${err.message}: ignored, folding ${accountId} from its first event`);
      return undefined;
    }
  }
}
