import type { ProjectionName } from '../infrastructure/projection-tables.js';
import type { RebuildReport } from './rebuild.js';
import type { VerifyReport } from './verify.js';

// What a recorded projections:rebuild or projections:verify is (the `projection_runs` table,
// migration ledger_004_projection_runs), and the pure rules about it: when a run is abandoned,
// what its summary keeps. No clock and no database here: the callers pass the database's `now()`.

export const RUN_KINDS = ['rebuild', 'verify'] as const;
export type RunKind = (typeof RUN_KINDS)[number];

/** `abandoned`: the process running it died (or stopped) before it finished. */
export const RUN_STATUSES = ['running', 'ok', 'failed', 'abandoned'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Who started it: the operations CLI, or an operator through the admin API. */
export type RunStartedBy = 'cli' | 'admin';

/** How often a running run writes its progress and proves its process alive. */
export const HEARTBEAT_MS = 1_000;

/**
 * A running run whose last heartbeat is older than this belongs to a process that died (killed,
 * out of memory, its machine gone): it is read, and then recorded, as abandoned. Thirty missed
 * heartbeats: a run never waits that long between two of them unless its process is gone or
 * frozen, and the operator does not wait long for the next verify either.
 */
export const STALE_AFTER_MS = 30_000;

/** At most this many accounts that differ are kept with a verify, and this many problems each. */
export const MAX_ACCOUNTS_IN_SUMMARY = 20;
export const MAX_PROBLEMS_PER_ACCOUNT = 5;
const MAX_ERROR_CHARS = 500;

/** What a finished run found (stored as JSON in `summary`). */
export type RunSummary =
  | {
      readonly kind: 'verify';
      readonly accounts: number;
      readonly events: number;
      /** How many accounts differ from the event log, all of them. */
      readonly differences: number;
      /** The first of them, by account id, with their first problems. */
      readonly accountsThatDiffer: readonly {
        readonly accountId: string;
        readonly problems: readonly string[];
        /** Problems of this account left out of `problems`. */
        readonly moreProblems: number;
      }[];
    }
  | {
      readonly kind: 'rebuild';
      readonly accounts: number;
      readonly events: number;
      /** Events the service appended during the replay, folded in before the swap. */
      readonly caughtUp: number;
      readonly seconds: number;
    }
  | { readonly kind: 'error'; readonly error: string };

/** A row of `projection_runs`, with the database's `now()` read in the same statement. */
export interface RunRow {
  readonly run_id: string;
  readonly kind: RunKind;
  readonly projections: string[];
  readonly started_by: RunStartedBy;
  readonly status: RunStatus;
  readonly started_at: Date;
  readonly heartbeat_at: Date;
  readonly finished_at: Date | null;
  readonly phase: string;
  readonly events_done: string;
  readonly events_total: string | null;
  readonly accounts_total: string | null;
  readonly summary: RunSummary | null;
  readonly db_now: Date;
}

/** A run as the admin API answers it (docs/CONTRACTS.md, "GET /v1/admin/projections/runs/{runId}"). */
export interface ProjectionRunView {
  readonly runId: string;
  readonly kind: RunKind;
  readonly projections: readonly string[];
  readonly startedBy: RunStartedBy;
  readonly status: RunStatus;
  readonly startedAt: string;
  /** When it ended; for an abandoned run, its last heartbeat. `null` while it runs. */
  readonly finishedAt: string | null;
  readonly progress: {
    /** What it is doing: `folding the event log`, `comparing`, `done`. */
    readonly phase: string;
    readonly eventsDone: number;
    /** The account events it will fold (the sum of the stream versions), once known. */
    readonly eventsTotal: number | null;
    readonly accounts: number | null;
  };
  readonly summary: RunSummary | null;
}

/** A running run whose heartbeat is older than {@link STALE_AFTER_MS} at `nowMs` is abandoned. */
export function isStale(
  run: { readonly status: RunStatus; readonly heartbeatAtMs: number },
  nowMs: number,
): boolean {
  return run.status === 'running' && nowMs - run.heartbeatAtMs > STALE_AFTER_MS;
}

const count = (value: string | null): number | null => (value === null ? null : Number(value));

/** The API's view of a row: a stale running run reads as abandoned, ended at its last heartbeat. */
export function viewOfRun(row: RunRow): ProjectionRunView {
  const stale = isStale(
    { status: row.status, heartbeatAtMs: row.heartbeat_at.getTime() },
    row.db_now.getTime(),
  );
  const finishedAt = stale ? row.heartbeat_at : row.finished_at;
  return {
    runId: row.run_id,
    kind: row.kind,
    projections: row.projections,
    startedBy: row.started_by,
    status: stale ? 'abandoned' : row.status,
    startedAt: row.started_at.toISOString(),
    finishedAt: finishedAt === null ? null : finishedAt.toISOString(),
    progress: {
      phase: row.phase,
      eventsDone: Number(row.events_done),
      eventsTotal: count(row.events_total),
      accounts: count(row.accounts_total),
    },
    summary:
      stale && row.summary === null
        ? { kind: 'error', error: 'the process running it stopped sending heartbeats' }
        : row.summary,
  };
}

/** A verify's report, capped: every account is counted, the first few are named. */
export function verifySummary(report: VerifyReport): RunSummary {
  return {
    kind: 'verify',
    accounts: report.accounts,
    events: report.events,
    differences: report.differences.length,
    accountsThatDiffer: report.differences.slice(0, MAX_ACCOUNTS_IN_SUMMARY).map((d) => ({
      accountId: d.accountId,
      problems: d.problems.slice(0, MAX_PROBLEMS_PER_ACCOUNT),
      moreProblems: Math.max(0, d.problems.length - MAX_PROBLEMS_PER_ACCOUNT),
    })),
  };
}

export function rebuildSummary(report: RebuildReport): RunSummary {
  return {
    kind: 'rebuild',
    accounts: report.accounts,
    events: report.events,
    caughtUp: report.caughtUp,
    seconds: Math.round(report.seconds * 1000) / 1000,
  };
}

/** A failed run's error, shortened; the message only (a stack names files, not what went wrong). */
export function errorSummary(err: unknown): RunSummary {
  const message = err instanceof Error ? err.message : String(err);
  return {
    kind: 'error',
    error: message.length > MAX_ERROR_CHARS ? `${message.slice(0, MAX_ERROR_CHARS)}…` : message,
  };
}

/** Each projection's last finished rebuild and verify (the admin API's projections table). */
export interface ProjectionStatusView {
  readonly name: ProjectionName;
  readonly lastRebuild: ProjectionRunView | null;
  readonly lastVerify: ProjectionRunView | null;
}

export interface ProjectionsView {
  readonly projections: readonly ProjectionStatusView[];
  /** The runs in flight: at most one of each kind. */
  readonly running: readonly ProjectionRunView[];
}

/**
 * The projections table from the latest runs, newest first: a projection's last rebuild is the
 * newest finished rebuild that named it; its last verify, the newest finished verify (a verify
 * checks them all). A run that is still running is listed under `running` instead.
 */
export function projectionsView(
  names: readonly ProjectionName[],
  newestFirst: readonly ProjectionRunView[],
): ProjectionsView {
  const finished = newestFirst.filter((r) => r.status !== 'running');
  return {
    projections: names.map((name) => ({
      name,
      lastRebuild:
        finished.find((r) => r.kind === 'rebuild' && r.projections.includes(name)) ?? null,
      lastVerify: finished.find((r) => r.kind === 'verify') ?? null,
    })),
    running: newestFirst.filter((r) => r.status === 'running'),
  };
}
