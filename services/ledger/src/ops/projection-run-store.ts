import { randomUUID } from 'node:crypto';
import { withTransaction } from '@billing/service-kit';
import type pg from 'pg';
import {
  STALE_AFTER_MS,
  viewOfRun,
  type ProjectionRunView,
  type RunKind,
  type RunRow,
  type RunStartedBy,
  type RunStatus,
  type RunSummary,
} from './projection-runs.js';
import { assertSchema } from '../infrastructure/projection-tables.js';

/** How far a run is, as its heartbeat writes it. */
export interface RunProgress {
  readonly phase: string;
  readonly eventsDone: number;
  readonly eventsTotal: number | null;
  readonly accounts: number | null;
}

export type BeginResult =
  | { readonly ok: true; readonly runId: string }
  /** A run of the same kind is running (and alive): the new one was not started. */
  | { readonly ok: false; readonly running: ProjectionRunView };

const COLUMNS = `run_id, kind, projections, started_by, status, started_at, heartbeat_at,
  finished_at, phase, events_done::text, events_total::text, accounts_total::text, summary,
  now() AS db_now`;

/** `now() - STALE_AFTER_MS`, in SQL: a running run whose heartbeat is older is abandoned. */
const STALE_BEFORE = `now() - make_interval(secs => ${STALE_AFTER_MS / 1000})`;

const ABANDONED_SUMMARY = (reason: string): string =>
  JSON.stringify({ kind: 'error', error: reason } satisfies RunSummary);

/**
 * The `projection_runs` table (migration ledger_004_projection_runs): every rebuild and verify,
 * whoever started it (the CLI or the admin API, in any ledger replica). The database's clock
 * decides staleness on both sides (the heartbeat is written with `now()` and compared with
 * `now()`), so the clocks of the machines running the runs never matter.
 */
export class ProjectionRunStore {
  private readonly table: string;
  private readonly lockKey: string;

  constructor(
    private readonly pool: pg.Pool,
    schema: string,
  ) {
    const s = assertSchema(schema);
    this.table = `"${s}".projection_runs`;
    this.lockKey = `${s}.projection_runs`;
  }

  /**
   * Records a new running run, unless one of the same kind is running: one verify at a time, one
   * rebuild at a time (two rebuilds would write the same `<name>_rebuild` tables). A running run
   * whose heartbeat stopped is first recorded as abandoned, so a dead process never blocks the
   * next run for longer than {@link STALE_AFTER_MS}.
   */
  async begin(
    kind: RunKind,
    projections: readonly string[],
    startedBy: RunStartedBy,
  ): Promise<BeginResult> {
    return withTransaction(this.pool, async (client) => {
      // Serialises the check and the insert; the unique index on running runs is the backstop.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [this.lockKey]);
      await client.query(
        `UPDATE ${this.table}
         SET status = 'abandoned', finished_at = heartbeat_at,
             summary = coalesce(summary, $1::jsonb)
         WHERE status = 'running' AND heartbeat_at < ${STALE_BEFORE}`,
        [ABANDONED_SUMMARY('the process running it stopped sending heartbeats')],
      );
      const running = await client.query<RunRow>(
        `SELECT ${COLUMNS} FROM ${this.table} WHERE kind = $1 AND status = 'running'`,
        [kind],
      );
      const other = running.rows[0];
      if (other !== undefined) return { ok: false, running: viewOfRun(other) };
      const runId = randomUUID();
      await client.query(
        `INSERT INTO ${this.table} (run_id, kind, projections, started_by, status)
         VALUES ($1, $2, $3::text[], $4, 'running')`,
        [runId, kind, projections, startedBy],
      );
      return { ok: true, runId };
    });
  }

  /** The heartbeat: the progress so far, and proof of life. Nothing for a run no longer running. */
  async beat(runId: string, progress: RunProgress): Promise<void> {
    await this.pool.query(
      `UPDATE ${this.table}
       SET heartbeat_at = now(), phase = $2, events_done = $3, events_total = $4, accounts_total = $5
       WHERE run_id = $1 AND status = 'running'`,
      [runId, progress.phase, progress.eventsDone, progress.eventsTotal, progress.accounts],
    );
  }

  /**
   * Records how the run ended. It does so even over `abandoned`: a run that was only frozen for a
   * while and then finished has a true result, which is worth more than the guess.
   */
  async finish(
    runId: string,
    status: Exclude<RunStatus, 'running'>,
    summary: RunSummary,
    progress: RunProgress,
  ): Promise<void> {
    await this.pool.query(
      `UPDATE ${this.table}
       SET status = $2, summary = $3::jsonb, finished_at = now(), heartbeat_at = now(),
           phase = $4, events_done = $5, events_total = $6, accounts_total = $7
       WHERE run_id = $1`,
      [
        runId,
        status,
        JSON.stringify(summary),
        progress.phase,
        progress.eventsDone,
        progress.eventsTotal,
        progress.accounts,
      ],
    );
  }

  /** Records a run its process gives up (the ledger shutting down with a verify in flight). */
  async abandon(runId: string, reason: string): Promise<void> {
    await this.pool.query(
      `UPDATE ${this.table}
       SET status = 'abandoned', finished_at = now(), summary = $2::jsonb
       WHERE run_id = $1 AND status = 'running'`,
      [runId, ABANDONED_SUMMARY(reason)],
    );
  }

  async get(runId: string): Promise<ProjectionRunView | undefined> {
    const res = await this.pool.query<RunRow>(
      `SELECT ${COLUMNS} FROM ${this.table} WHERE run_id = $1`,
      [runId],
    );
    const row = res.rows[0];
    return row === undefined ? undefined : viewOfRun(row);
  }

  /**
   * What the projections table needs, newest first: the runs alive now, the newest verify that is
   * not, and for each projection the newest rebuild that named it and is not running.
   */
  async latest(projections: readonly string[]): Promise<ProjectionRunView[]> {
    const res = await this.pool.query<RunRow>(
      `WITH runs AS (
         SELECT ${COLUMNS}, (status = 'running' AND heartbeat_at >= ${STALE_BEFORE}) AS alive
         FROM ${this.table}
       ), picked AS (
         (SELECT run_id FROM runs WHERE alive)
         UNION
         (SELECT run_id FROM runs WHERE NOT alive AND kind = 'verify'
          ORDER BY started_at DESC LIMIT 1)
         UNION
         SELECT last.run_id FROM unnest($1::text[]) AS p(name)
         CROSS JOIN LATERAL (
           SELECT run_id FROM runs
           WHERE NOT alive AND kind = 'rebuild' AND p.name = ANY(projections)
           ORDER BY started_at DESC LIMIT 1
         ) last
       )
       SELECT runs.* FROM runs JOIN picked USING (run_id)
       ORDER BY started_at DESC, run_id`,
      [projections],
    );
    return res.rows.map(viewOfRun);
  }
}
