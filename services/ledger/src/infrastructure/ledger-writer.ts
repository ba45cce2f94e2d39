import {
  IdempotencyConflictError,
  WrongExpectedVersionError,
  type AppendBatchItem,
  type AppendResult,
  type EventStore,
} from '@billing/event-store';
import { enqueue, type OutboxMessage } from '@billing/messaging';
import { textArray } from '@billing/service-kit';
import type pg from 'pg';
import {
  balanceOf,
  decide,
  foldLedger,
  idempotencyKeyOf,
  nextExpiryAtMs,
  type Balance,
  type LedgerCommand,
  type LedgerEvent,
  type LedgerFailure,
  type LedgerState,
} from '../domain/index.js';
import type { AccountLoader } from './account-loader.js';
import { AccountLocks } from './account-locks.js';
import type { AccountStateCache, CachedAccount } from './account-state-cache.js';
import { balanceChangedMessage, type BalanceChangeCause } from './balance-changed.js';
import { accountKeyOf, streamIdOf } from './ids.js';
import { ProjectionChanges } from './projection-changes.js';
import type { ProjectionWriter } from './projection-tables.js';
import type { SnapshotCandidate, SnapshotStore } from './snapshots.js';
import { toNewEvent } from './stored-events.js';

/** One command for one account, as an adapter (Kafka, HTTP, the scheduler) hands it over. */
export interface WriteRequest {
  readonly accountId: string;
  /**
   * Builds the command at the instant it is decided. The ledger's clock is read at decision time
   * and never goes back before the account's last event, so the events of a stream are in time
   * order whatever clock skew there is between replicas.
   */
  readonly command: (nowMs: number) => LedgerCommand;
  readonly cause: BalanceChangeCause;
  /** The input event that caused the command (stored in the metadata, copied to BalanceChanged). */
  readonly causationId?: string;
  readonly correlationId?: string;
  /**
   * Rewrite the account's expiry schedule even when nothing is appended: the scheduler found the
   * account due, and if there was nothing to expire after all, its row must move on.
   */
  readonly refreshSchedule?: boolean;
}

export type WriteOutcome =
  | {
      readonly kind: 'applied';
      readonly balance: Balance;
      readonly events: readonly LedgerEvent[];
    }
  /** The input had been applied before: nothing was written. */
  | { readonly kind: 'duplicate'; readonly balance: Balance }
  /** An expected failure (`LEDGER.INSUFFICIENT_FUNDS`, ...): nothing was written. */
  | { readonly kind: 'refused'; readonly error: LedgerFailure; readonly balance: Balance };

/** The transaction a write runs in, as PostgreSQL identifies it. */
export interface WriteTransaction {
  readonly client: pg.PoolClient;
  /**
   * The caller has not sent BEGIN (`withTransaction`'s `begin: false`): the writer's first
   * statement carries it, one round trip instead of two.
   */
  readonly beginWithFirstStatement?: boolean;
  /** `pg_current_xact_id()`, filled in by the writer on its first statement. */
  txid?: string;
  /** The accounts this transaction wrote, so a commit or a rollback can settle their cache entries. */
  readonly touched: Set<string>;
}

export interface LedgerWriterOptions {
  readonly store: EventStore;
  readonly pool: pg.Pool;
  readonly schema: string;
  readonly cache: AccountStateCache;
  readonly projections: ProjectionWriter;
  readonly balanceTopic: string;
  readonly clock: () => number;
  /** Cold loads: from the latest snapshot, then the events after it. */
  readonly loader: AccountLoader;
  /** Where the writer stores a snapshot each time an account's version crosses a multiple of N. */
  readonly snapshots: SnapshotStore;
}

/** Re-decisions after a stale state or a late duplicate, before the writer gives up. */
const MAX_ATTEMPTS = 8;

/** The savepoint around the append (opened by the store, see `apply`). */
const APPEND_SAVEPOINT = 'ledger_append';

/**
 * How long a write waits for another transaction of this process that is deciding the same
 * accounts (AccountLocks) before it takes them over and lets the expected version decide.
 */
const ACCOUNT_LOCK_WAIT_MS = 2_000;

/** Taken shared by every writer, exclusively by `projections:rebuild` while it swaps tables. */
export const projectionsLockKey = (schema: string): string => `ledger-projections:${schema}`;

interface Planned {
  readonly request: WriteRequest;
  outcome?: WriteOutcome;
  /** Set when the store said this input's idempotency key was already used. */
  knownDuplicate: boolean;
  events: readonly LedgerEvent[];
  nowMs: number;
  versionAfter: number;
  idempotencyKey?: string;
  /** The key is the version the command was decided at, not an input's id (no duplicates). */
  versionKeyed?: boolean;
  commandType?: LedgerCommand['type'];
}

interface AccountPlan {
  readonly accountId: string;
  readonly items: Planned[];
  start?: CachedAccount;
  end?: CachedAccount;
  /** The snapshots due in this transaction (decided with the items). */
  snapshots: SnapshotCandidate[];
}

/**
 * The one way the ledger changes: for a batch of commands, in the caller's transaction,
 *
 * 1. load each account's decision state (from the cache, or by folding its stream);
 * 2. decide every command in order, per account;
 * 3. append each command's events with the expected stream version and the input's idempotency
 *    key (all accounts in one `appendBatchInTransaction`);
 * 4. write the projections (one statement) and one BalanceChanged outbox row per account.
 *
 * A stale state (another replica appended: WrongExpectedVersionError) is re-read, with the batch's
 * stream heads locked first so the retry cannot be stale again (see `relock`), and the account
 * re-decided; an input whose key the store already holds (applied long ago, beyond the domain's
 * memory of recent ids) is answered as a duplicate. Both are handled inside the caller's
 * transaction, behind a savepoint around the append.
 *
 * The cache is updated with the new states marked as pending on this transaction. The callers
 * that see the transaction end (the write queue, the chunked consumer) settle them with
 * `committed` / `rolledBack`; any state still pending when it is next needed is trusted only if
 * PostgreSQL says its transaction committed (`pg_xact_status`), so a rollback nobody reported can
 * never leave a state that looks applied. Those two calls also free the transaction's accounts:
 * two transactions of this process never decide the same account at once (AccountLocks).
 *
 * Call it once per transaction: a state re-read after a stale version comes from the pool, which
 * cannot see what this transaction wrote earlier.
 */
export class LedgerWriter {
  private readonly o: LedgerWriterOptions;
  private readonly locks = new AccountLocks(ACCOUNT_LOCK_WAIT_MS);

  constructor(options: LedgerWriterOptions) {
    this.o = options;
  }

  async apply(tx: WriteTransaction, requests: readonly WriteRequest[]): Promise<WriteOutcome[]> {
    if (requests.length === 0) return [];
    const accounts = new Map<string, AccountPlan>();
    const planned: Planned[] = requests.map((request) => {
      const item: Planned = {
        request,
        knownDuplicate: false,
        events: [],
        nowMs: 0,
        versionAfter: 0,
      };
      let plan = accounts.get(request.accountId);
      if (plan === undefined)
        accounts.set(
          request.accountId,
          (plan = { accountId: request.accountId, items: [], snapshots: [] }),
        );
      plan.items.push(item);
      return item;
    });

    // Before the transaction's first statement: see AccountLocks.
    await this.locks.acquire(tx, accounts.keys());
    await this.resolveStates(tx, [...accounts.values()]);

    for (let attempt = 1; ; attempt++) {
      for (const plan of accounts.values()) this.decideAccount(plan);
      const appends = this.appendItems(accounts);
      if (appends.items.length === 0) break;
      // The store documents that any error leaves the caller's transaction aborted; a savepoint
      // (opened by the store with its head locks, in the same round trip) lets a stale version or
      // a late duplicate be handled in the same transaction.
      let results: AppendResult[];
      try {
        results = await this.o.store.appendBatchInTransaction(tx.client, appends.items, {
          savepoint: APPEND_SAVEPOINT,
        });
      } catch (err) {
        if (!(
          err instanceof WrongExpectedVersionError || err instanceof IdempotencyConflictError
        )) {
          throw err;
        }
        // Released too, so that the heads locked below stay locked until the transaction ends.
        await tx.client.query(
          `ROLLBACK TO SAVEPOINT ${APPEND_SAVEPOINT}; RELEASE SAVEPOINT ${APPEND_SAVEPOINT}`,
        );
        if (attempt >= MAX_ATTEMPTS) throw err;
        if (err instanceof WrongExpectedVersionError) {
          // Another writer (a replica, the consumer) appended since this state was read.
          const plans = [...accounts.values()];
          if (!plans.some((p) => streamIdOf(p.accountId) === err.streamId)) throw err;
          await this.relock(tx, plans);
        } else {
          const item = planned.find((p) => p.idempotencyKey === err.idempotencyKey);
          if (item === undefined) throw err;
          if (item.versionKeyed) {
            // A command keyed by the version it was decided at (an extension, the scheduler's):
            // another writer appended at that version first, so this state is stale, as above.
            await this.relock(tx, [...accounts.values()]);
          } else {
            // The key was used with other events: the input was applied before, decided at another
            // instant (README.md of the domain, "exactly once"). It is a duplicate.
            item.knownDuplicate = true;
          }
        }
        continue;
      }
      // The very same events appended before (same key, same payload): nothing was written for
      // them, so the states decided after them are wrong. Undo and decide again without them.
      const duplicates = appends.planned.filter((_, i) => results[i]?.duplicate === true);
      if (duplicates.length > 0) {
        await tx.client.query(`ROLLBACK TO SAVEPOINT ${APPEND_SAVEPOINT}`);
        if (attempt >= MAX_ATTEMPTS) throw new Error('ledger writer: duplicates did not settle');
        for (const item of duplicates) item.knownDuplicate = true;
        continue;
      }
      // Not released: the COMMIT releases it, and a RELEASE of its own would cost a round trip.
      // What follows runs in its subtransaction, which costs nothing more (the append already
      // gave it a transaction id; releasing would not take that back).
      break;
    }

    // Before the projections: the snapshot's breakdown is the row at the start version plus the
    // events up to the snapshot's (SnapshotStore.write).
    await this.o.snapshots.write(
      tx.client,
      [...accounts.values()].flatMap((plan) => plan.snapshots),
    );

    const changes = new ProjectionChanges();
    const outbox: OutboxMessage[] = [];
    for (const plan of accounts.values()) this.project(plan, changes, outbox);
    await this.o.projections.write(tx.client, changes);
    if (outbox.length > 0) await enqueue(tx.client, outbox, this.o.schema);

    for (const plan of accounts.values()) {
      if (plan.end === undefined || plan.end === plan.start) continue;
      this.o.cache.set(plan.accountId, { ...plan.end, pendingTxid: tx.txid });
      tx.touched.add(plan.accountId);
    }
    return planned.map((item) => {
      if (item.outcome === undefined) throw new Error('ledger writer: a command got no outcome');
      return item.outcome;
    });
  }

  /** The caller committed `tx`: its states are now the truth. */
  committed(tx: WriteTransaction): void {
    for (const accountId of tx.touched) {
      const entry = this.o.cache.get(accountId);
      if (entry !== undefined && entry.pendingTxid === tx.txid) {
        this.o.cache.set(accountId, {
          state: entry.state,
          lastRecordedAtMs: entry.lastRecordedAtMs,
        });
      }
    }
    this.locks.release(tx);
  }

  /** The caller rolled back `tx`: forget the states it would have left. */
  rolledBack(tx: WriteTransaction): void {
    for (const accountId of tx.touched) {
      if (this.o.cache.get(accountId)?.pendingTxid === tx.txid) this.o.cache.delete(accountId);
    }
    this.locks.release(tx);
  }

  /**
   * Reads and folds an account's stream (a cache miss, or a state found stale): from its latest
   * snapshot on, so at most about N events whatever the length of its history.
   */
  async load(accountId: string): Promise<CachedAccount> {
    return (await this.o.loader.load(accountId)).account;
  }

  /**
   * One round trip for the whole batch (with the BEGIN, when the caller left it to us): takes the
   * shared projections lock (see ops/rebuild.ts), learns this transaction's id, and asks whether
   * the transactions behind pending cache entries committed. Then loads what is missing or
   * cannot be trusted. A simple query, so that BEGIN can travel with it: values are inlined as
   * escaped literals (the simple protocol has no parameters).
   */
  private async resolveStates(tx: WriteTransaction, plans: readonly AccountPlan[]): Promise<void> {
    const entries = plans.map((plan) => this.o.cache.get(plan.accountId));
    const pending = [
      ...new Set(
        entries.flatMap((e) =>
          e?.pendingTxid !== undefined && e.pendingTxid !== tx.txid ? [e.pendingTxid] : [],
        ),
      ),
    ];
    const unknown = plans.filter((_, i) => entries[i] === undefined).map((p) => p.accountId);
    const literal = (v: string): string => tx.client.escapeLiteral(v);
    const select = `SELECT pg_advisory_xact_lock_shared(hashtext(${literal(projectionsLockKey(this.o.schema))})),
              pg_current_xact_id()::text AS tx,
              ARRAY(SELECT pg_xact_status(x::xid8)::text
                    FROM unnest(${literal(textArray(pending))}::text[]) AS x) AS statuses,
              ARRAY(SELECT account_id FROM "${this.o.schema}".balances
                    WHERE account_id = ANY(${literal(textArray(unknown))}::text[])) AS known`;
    type Row = { tx: string; statuses: (string | null)[] | null; known: string[] | null };
    const replies = (await tx.client.query<Row>(
      tx.beginWithFirstStatement === true ? `BEGIN;\n${select}` : select,
    )) as pg.QueryResult<Row> | pg.QueryResult<Row>[];
    const res = Array.isArray(replies) ? replies.at(-1) : replies;
    const row = res?.rows[0];
    if (row === undefined) throw new Error('ledger writer: no transaction id');
    tx.txid = row.tx;
    const status = new Map(pending.map((txid, i) => [txid, row.statuses?.[i] ?? null]));
    // An account with no balance row has no events: balances are written in the same transaction
    // as every append. Starting it from the empty state saves reading an empty stream; if the
    // projection were wrong about it, the append's expected version (0) fails and it is re-read.
    const known = new Set(row.known ?? []);
    const fresh = new Set(unknown.filter((id) => !known.has(id)));

    await Promise.all(
      plans.map(async (plan, i) => {
        const entry = entries[i];
        if (entry !== undefined) {
          if (entry.pendingTxid === undefined || entry.pendingTxid === tx.txid) {
            plan.start = entry;
            return;
          }
          if (status.get(entry.pendingTxid) === 'committed') {
            plan.start = { state: entry.state, lastRecordedAtMs: entry.lastRecordedAtMs };
            this.o.cache.set(plan.accountId, plan.start);
            return;
          }
          // Aborted, or still running in another transaction (which then holds the stream's head
          // lock: our append waits for it and re-decides if it committed). Read what is committed.
          this.o.cache.delete(plan.accountId);
        } else if (fresh.has(plan.accountId)) {
          plan.start = { state: this.o.loader.initialState(), lastRecordedAtMs: 0 };
          return;
        }
        plan.start = await this.load(plan.accountId);
      }),
    );
  }

  /**
   * After a stale version: locks the heads of every account of the batch, then re-reads those
   * whose state is behind its head. Re-reading without the locks does not converge under
   * contention: the rollback to the savepoint released the heads, and a writer whose state is
   * already current (the consumer's next chunk, another replica's queue) takes them while this one
   * re-reads its stream, so each retry lost the same race until MAX_ATTEMPTS ran out and the
   * WrongExpectedVersionError reached the caller (a 500 on `POST .../holds`). With the heads held,
   * what is read is the head, and the next append cannot be stale. The states come from the
   * database (the loader), never from the cache.
   */
  private async relock(tx: WriteTransaction, plans: readonly AccountPlan[]): Promise<void> {
    const heads = await this.o.store.lockStreamsInTransaction(
      tx.client,
      plans.map((plan) => streamIdOf(plan.accountId)),
    );
    await Promise.all(
      plans.map(async (plan) => {
        const head = heads.get(streamIdOf(plan.accountId)) ?? 0;
        if (plan.start?.state.version !== head) plan.start = await this.load(plan.accountId);
      }),
    );
  }

  /** Decides an account's commands in order, each on the state the previous ones left. */
  private decideAccount(plan: AccountPlan): void {
    const start = plan.start;
    if (start === undefined) throw new Error(`ledger writer: no state for ${plan.accountId}`);
    let state: LedgerState = start.state;
    let lastRecordedAtMs = start.lastRecordedAtMs;
    let changed = false;
    const eventsSinceStart: LedgerEvent[] = [];
    plan.snapshots = [];
    for (const item of plan.items) {
      item.nowMs = Math.max(this.o.clock(), lastRecordedAtMs);
      item.events = [];
      item.idempotencyKey = undefined;
      item.commandType = undefined;
      if (item.knownDuplicate) {
        item.outcome = { kind: 'duplicate', balance: balanceOf(state) };
        continue;
      }
      const command = item.request.command(item.nowMs);
      const decision = decide(command, state);
      if (!decision.ok) {
        item.outcome = { kind: 'refused', error: decision.error, balance: balanceOf(state) };
        continue;
      }
      if (decision.events.length === 0) {
        // Either already applied, or nothing was due (the scheduler's commands).
        item.outcome = decision.duplicate
          ? { kind: 'duplicate', balance: balanceOf(state) }
          : { kind: 'applied', balance: balanceOf(state), events: [] };
        continue;
      }
      // Scoped to the account: a hold id or a request id is only unique within one account. The
      // scheduler's commands have no source id; the version they were decided at is unique.
      const inputKey = idempotencyKeyOf(command);
      item.versionKeyed = inputKey === undefined;
      item.idempotencyKey = accountKeyOf(
        plan.accountId,
        inputKey ?? `${command.type}@${state.version}`,
      );
      item.commandType = command.type;
      const versionBefore = state.version;
      state = foldLedger(decision.events, state);
      lastRecordedAtMs = Math.max(lastRecordedAtMs, item.nowMs);
      eventsSinceStart.push(...decision.events);
      if (this.o.snapshots.due(versionBefore, state.version)) {
        plan.snapshots.push({
          accountId: plan.accountId,
          version: state.version,
          lastRecordedAtMs,
          state,
          eventsSinceStart: [...eventsSinceStart],
          startVersion: start.state.version,
        });
      }
      item.events = decision.events;
      item.versionAfter = state.version;
      item.outcome = { kind: 'applied', balance: balanceOf(state), events: decision.events };
      changed = true;
    }
    plan.end = changed ? { state, lastRecordedAtMs } : start;
  }

  private appendItems(accounts: ReadonlyMap<string, AccountPlan>): {
    items: AppendBatchItem[];
    planned: Planned[];
  } {
    const items: AppendBatchItem[] = [];
    const planned: Planned[] = [];
    for (const plan of accounts.values()) {
      let version = plan.start?.state.version ?? 0;
      for (const item of plan.items) {
        const command = item.commandType;
        if (item.events.length === 0 || item.idempotencyKey === undefined || !command) continue;
        items.push({
          streamId: streamIdOf(plan.accountId),
          expectedVersion: version,
          idempotencyKey: item.idempotencyKey,
          events: item.events.map((event) =>
            toNewEvent(event, {
              schemaVersion: 1,
              command,
              ...(item.request.causationId !== undefined && {
                causationId: item.request.causationId,
              }),
              ...(item.request.correlationId !== undefined && {
                correlationId: item.request.correlationId,
              }),
            }),
          ),
        });
        planned.push(item);
        version = item.versionAfter;
      }
    }
    return { items, planned };
  }

  private project(plan: AccountPlan, changes: ProjectionChanges, outbox: OutboxMessage[]): void {
    const end = plan.end;
    if (end === undefined) return;
    const refresh = plan.items.some((item) => item.request.refreshSchedule === true);
    if (end === plan.start) {
      if (refresh) changes.setSchedule(plan.accountId, nextExpiryAtMs(end.state));
      return;
    }
    const balance = balanceOf(end.state);
    changes.setBalance(plan.accountId, balance);
    changes.setSchedule(plan.accountId, nextExpiryAtMs(end.state));
    let last: Planned | undefined;
    for (const item of plan.items) {
      if (item.events.length === 0) continue;
      let version = item.versionAfter - item.events.length;
      for (const event of item.events) changes.addEvent(plan.accountId, event, ++version);
      last = item;
    }
    if (last === undefined) return;
    // One BalanceChanged per account per transaction: the changes of one transaction become
    // visible together, so the balance after the last of them is the only one anybody can see.
    // Its cause is that last input.
    const message = balanceChangedMessage({
      topic: this.o.balanceTopic,
      accountId: plan.accountId,
      balance,
      cause: last.request.cause,
      nowMs: last.nowMs,
      ...(last.request.causationId !== undefined && { causationId: last.request.causationId }),
      ...(last.request.correlationId !== undefined && {
        correlationId: last.request.correlationId,
      }),
    });
    // The input's id: within a chunk, the BalanceChanged continues that input's trace.
    outbox.push(
      last.request.causationId === undefined
        ? message
        : { ...message, causationId: last.request.causationId },
    );
  }
}
