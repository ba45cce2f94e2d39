import { canonicalJson, sha256Hex } from '@billing/event-store';
import { parseNanos } from '@billing/money';
import type pg from 'pg';
import {
  EMPTY_BREAKDOWN,
  LedgerInvariantError,
  addToBreakdown,
  decodeBreakdown,
  decodeLedgerState,
  encodeBreakdown,
  encodeLedgerState,
  type CreditsBreakdown,
  type LedgerEvent,
  type LedgerState,
  type LedgerStateOptions,
} from '../domain/index.js';
import { streamIdOf } from './ids.js';

/** How often a snapshot is taken by default: at least one every 1,000 events of an account. */
export const DEFAULT_SNAPSHOT_EVERY = 1_000;

/**
 * A stored fold of an account's stream up to `version` (docs/adr/008-ledger-snapshots.md): the
 * decision state, the credits breakdown, and the ledger clock of the event at `version`. It is
 * bound to the history it summarises by `eventHash`, the hash-chain hash of that event, and to its
 * own content by `hash`.
 */
export interface AccountSnapshot {
  readonly accountId: string;
  readonly version: number;
  /** The ledger clock (`recordedAtMs`) of the event at `version`: the latest of events 1..version. */
  readonly lastRecordedAtMs: number;
  readonly eventHash: string;
  readonly state: LedgerState;
  readonly breakdown: CreditsBreakdown;
}

/** A snapshot the writer is about to store: the fold after one command crossed a multiple of N. */
export interface SnapshotCandidate {
  readonly accountId: string;
  readonly version: number;
  readonly lastRecordedAtMs: number;
  readonly state: LedgerState;
  /** The account's events after its start version, up to and including `version`. */
  readonly eventsSinceStart: readonly LedgerEvent[];
  /** The stream version the account started the transaction at. */
  readonly startVersion: number;
}

/** What a snapshot row holds besides its hash, in the form its hash covers. */
interface SnapshotBody {
  readonly accountId: string;
  readonly version: number;
  readonly lastRecordedAtMs: number;
  readonly eventHash: string;
  readonly state: unknown;
  readonly breakdown: unknown;
}

/** The hash of a snapshot's content: sha-256 over the canonical JSON of everything it stores. */
export const snapshotHash = (body: SnapshotBody): string => sha256Hex(canonicalJson(body));

interface SnapshotRow {
  account_id: string;
  version: number;
  last_recorded_at_ms: string;
  event_hash: string;
  state: unknown;
  breakdown: unknown;
  hash: string;
  /** The hash of the event at `version` in the stream as it is now (null: no such event). */
  actual_event_hash: string | null;
}

/** Why a stored snapshot was not used. */
export class SnapshotRejected extends Error {
  constructor(
    readonly accountId: string,
    readonly version: number,
    reason: string,
  ) {
    super(`snapshot of ${accountId} at version ${version} ${reason}`);
    this.name = 'SnapshotRejected';
  }
}

/**
 * Reads a stored snapshot row back, checking it before anyone uses it: its content hash (a
 * corrupted or hand-edited row), the hash of the event at its version (a snapshot of a history
 * that is not the stream's, or of a version the stream does not have), and the state itself
 * (well-formed, at the version it claims). Throws `SnapshotRejected` saying which check failed.
 */
export function readSnapshotRow(
  row: SnapshotRow,
  options: Pick<LedgerStateOptions, 'maxActiveHolds'> = {},
): AccountSnapshot {
  const body: SnapshotBody = {
    accountId: row.account_id,
    version: row.version,
    lastRecordedAtMs: Number(row.last_recorded_at_ms),
    eventHash: row.event_hash,
    state: row.state,
    breakdown: row.breakdown,
  };
  const reject = (reason: string): SnapshotRejected =>
    new SnapshotRejected(row.account_id, row.version, reason);
  if (snapshotHash(body) !== row.hash) throw reject('does not match its hash');
  if (row.actual_event_hash === null) throw reject('is past the end of the stream');
  if (row.actual_event_hash !== row.event_hash) {
    throw reject('was taken of another history (the event at its version has another hash)');
  }
  try {
    const state = decodeLedgerState(row.state, options);
    if (state.version !== row.version) throw reject(`holds a state of version ${state.version}`);
    return {
      accountId: row.account_id,
      version: row.version,
      lastRecordedAtMs: body.lastRecordedAtMs,
      eventHash: row.event_hash,
      state,
      breakdown: decodeBreakdown(row.breakdown),
    };
  } catch (err) {
    if (err instanceof LedgerInvariantError) throw reject(`is unreadable: ${err.message}`);
    throw err;
  }
}

/**
 * The ledger's snapshots table (`<schema>.snapshots`): written by the writer in the transaction
 * that appends the events they summarise, read by cold loads and `?asOf=` queries.
 */
export class SnapshotStore {
  constructor(
    private readonly schema: string,
    /** A snapshot is due when a command takes an account's version to or past a multiple of it. */
    readonly every: number,
  ) {
    if (!Number.isSafeInteger(every) || every < 1) {
      throw new RangeError(`snapshotEvery must be a positive integer, got ${every}`);
    }
  }

  /** Whether going from version `before` to `after` crosses a multiple of `every`. */
  due(before: number, after: number): boolean {
    return Math.floor(after / this.every) > Math.floor(before / this.every);
  }

  /**
   * Stores the candidates in the caller's transaction, after the events were appended and before
   * the projections are written: the breakdown row still shows each account's start version, and
   * the candidate's breakdown is that row plus the events up to the candidate's version. An
   * account whose breakdown row is not at its start version is left without a snapshot (it will
   * get one at the next multiple) rather than given one built on a row that disagrees.
   */
  async write(client: pg.PoolClient, candidates: readonly SnapshotCandidate[]): Promise<number> {
    if (candidates.length === 0) return 0;
    const s = `"${this.schema}"`;
    const res = await client.query<{
      account_id: string;
      version: number;
      event_hash: string | null;
      b_version: number | null;
      b: string[] | null;
    }>(
      `SELECT c.account_id, c.version, e.hash AS event_hash, b.version AS b_version,
              CASE WHEN b.account_id IS NULL THEN NULL ELSE
                ARRAY[b.top_ups, b.bonuses, b.gifts, b.referrals, b.compensations, b.adjustments,
                      b.expired, b.usage, b.total_balance]::text[] END AS b
       FROM unnest($1::text[], $2::text[], $3::int4[]) WITH ORDINALITY
              AS c(account_id, stream_id, version, ord)
       LEFT JOIN ${s}.events e ON e.stream_id = c.stream_id AND e.version = c.version
       LEFT JOIN ${s}.breakdowns b ON b.account_id = c.account_id
       ORDER BY c.ord`,
      [
        candidates.map((c) => c.accountId),
        candidates.map((c) => streamIdOf(c.accountId)),
        candidates.map((c) => c.version),
      ],
    );
    const rows: string[][] = [];
    candidates.forEach((candidate, i) => {
      const found = res.rows[i];
      if (found?.event_hash === null || found === undefined) return;
      let start: CreditsBreakdown;
      if (found.b === null) {
        if (candidate.startVersion !== 0) return;
        start = EMPTY_BREAKDOWN;
      } else {
        if (found.b_version !== candidate.startVersion) return;
        start = breakdownOfRow(found.b);
      }
      const breakdown = candidate.eventsSinceStart.reduce(addToBreakdown, start);
      const body: SnapshotBody = {
        accountId: candidate.accountId,
        version: candidate.version,
        lastRecordedAtMs: candidate.lastRecordedAtMs,
        eventHash: found.event_hash,
        state: encodeLedgerState(candidate.state),
        breakdown: encodeBreakdown(breakdown),
      };
      rows.push([
        body.accountId,
        String(body.version),
        String(body.lastRecordedAtMs),
        body.eventHash,
        canonicalJson(body.state),
        canonicalJson(body.breakdown),
        snapshotHash(body),
      ]);
    });
    if (rows.length === 0) return 0;
    const column = (i: number): string[] => rows.map((r) => r[i] ?? '');
    const written = await client.query(
      `INSERT INTO ${s}.snapshots
         (account_id, version, last_recorded_at_ms, event_hash, state, breakdown, hash)
       SELECT * FROM unnest($1::text[], $2::int4[], $3::int8[], $4::text[], $5::json[], $6::json[],
                            $7::text[])
       ON CONFLICT (account_id, version) DO NOTHING`,
      [0, 1, 2, 3, 4, 5, 6].map(column),
    );
    return written.rowCount ?? 0;
  }

  /** The latest snapshot row of an account, checked (see `readSnapshotRow`), or none. */
  async latest(
    pool: pg.Pool,
    accountId: string,
    options: Pick<LedgerStateOptions, 'maxActiveHolds'>,
  ): Promise<AccountSnapshot | undefined> {
    return this.readOne(pool, accountId, null, options);
  }

  /**
   * The latest snapshot whose events all happened by `asOfMs` (the ledger clock never goes back
   * within a stream, so every event up to its version did), checked, or none.
   */
  async latestAsOf(
    pool: pg.Pool,
    accountId: string,
    asOfMs: number,
    options: Pick<LedgerStateOptions, 'maxActiveHolds'>,
  ): Promise<AccountSnapshot | undefined> {
    return this.readOne(pool, accountId, asOfMs, options);
  }

  private async readOne(
    pool: pg.Pool,
    accountId: string,
    asOfMs: number | null,
    options: Pick<LedgerStateOptions, 'maxActiveHolds'>,
  ): Promise<AccountSnapshot | undefined> {
    const s = `"${this.schema}"`;
    const res = await pool.query<SnapshotRow>(
      `SELECT sn.account_id, sn.version, sn.last_recorded_at_ms::text, sn.event_hash, sn.state,
              sn.breakdown, sn.hash,
              (SELECT e.hash FROM ${s}.events e WHERE e.stream_id = $2 AND e.version = sn.version)
                AS actual_event_hash
       FROM ${s}.snapshots sn
       WHERE sn.account_id = $1 AND ($3::int8 IS NULL OR sn.last_recorded_at_ms <= $3::int8)
       ORDER BY sn.version DESC LIMIT 1`,
      [accountId, streamIdOf(accountId), asOfMs],
    );
    const row = res.rows[0];
    return row === undefined ? undefined : readSnapshotRow(row, options);
  }
}

/** The text columns of a breakdowns row, in table order, as a breakdown. */
export function breakdownOfRow(v: readonly string[]): CreditsBreakdown {
  const n = (i: number): bigint => parseNanos(v[i] ?? '');
  return {
    topUpsNanos: n(0),
    bonusesNanos: n(1),
    giftsNanos: n(2),
    referralsNanos: n(3),
    compensationsNanos: n(4),
    adjustmentsNanos: n(5),
    expiredNanos: n(6),
    usageNanos: n(7),
    totalBalanceNanos: n(8),
  };
}
