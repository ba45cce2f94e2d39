import type pg from 'pg';
import { PROJECTION_NAMES, type ProjectionName } from '../infrastructure/projection-tables.js';
import type { RunProgress, ProjectionRunStore } from './projection-run-store.js';
import {
  HEARTBEAT_MS,
  errorSummary,
  rebuildSummary,
  verifySummary,
  type RunSummary,
} from './projection-runs.js';
import { silentProgress, type Progress } from './progress.js';
import { rebuildProjections, type RebuildReport } from './rebuild.js';
import { verifyProjections, type VerifyReport } from './verify.js';

/** What a recorded run gives its work: where to report, and the run's id. */
export interface RunOptions {
  /** Progress shown elsewhere as well (the CLI's line on stderr). */
  readonly alsoTo?: Progress;
  /** Once aborted, the run writes nothing more (its process is stopping and gave it up). */
  readonly signal?: AbortSignal;
  readonly heartbeatMs?: number;
}

/**
 * Runs `work` for the run `runId` (begun with {@link ProjectionRunStore.begin}): its progress and
 * a heartbeat are written every second while it works, then how it ended: `ok` or `failed` as
 * `outcome` judges the result, `failed` with the error if it throws (rethrown).
 */
export async function runRecorded<T>(
  runs: ProjectionRunStore,
  runId: string,
  work: (progress: Progress) => Promise<T>,
  outcome: (result: T) => { readonly ok: boolean; readonly summary: RunSummary },
  options: RunOptions = {},
): Promise<T> {
  const also = options.alsoTo ?? silentProgress;
  let state: RunProgress = { phase: 'starting', eventsDone: 0, eventsTotal: null, accounts: null };
  const progress: Progress = {
    start(label, total) {
      state = {
        phase: label,
        eventsDone: total === undefined ? state.eventsDone : 0,
        eventsTotal: total?.events ?? state.eventsTotal,
        accounts: total?.accounts ?? state.accounts,
      };
      also.start(label, total);
    },
    update(done) {
      state = { ...state, eventsDone: done };
      also.update(done);
    },
    done(done) {
      state = { ...state, eventsDone: done };
      also.done(done);
    },
  };

  // One heartbeat at a time: a slow database skips beats instead of piling them up.
  let beating: Promise<void> | undefined;
  const beat = (): void => {
    if (beating !== undefined || options.signal?.aborted === true) return;
    beating = runs
      .beat(runId, state)
      // A missed heartbeat is retried at the next tick; a run is abandoned only after many.
      .catch(() => undefined)
      .finally(() => (beating = undefined));
  };
  const timer = setInterval(beat, options.heartbeatMs ?? HEARTBEAT_MS);
  timer.unref();
  const settle = async (
    status: 'ok' | 'failed',
    summary: RunSummary,
    last: RunProgress,
  ): Promise<void> => {
    clearInterval(timer);
    await beating;
    if (options.signal?.aborted === true) return;
    await runs.finish(runId, status, summary, { ...last, phase: 'done' });
  };

  let result: T;
  try {
    result = await work(progress);
  } catch (err) {
    await settle('failed', errorSummary(err), state).catch(() => undefined);
    throw err;
  }
  const { ok, summary } = outcome(result);
  await settle(ok ? 'ok' : 'failed', summary, state);
  return result;
}

/** Where a recorded run works, and which run it is. */
export interface RecordedRunTarget {
  readonly pool: pg.Pool;
  readonly schema: string;
  readonly runs: ProjectionRunStore;
  readonly runId: string;
  readonly pageSize?: number;
}

/**
 * `projections:verify` as a recorded run (the CLI's and the admin API's): the one verifier,
 * verifyProjections, with its progress written to the run. A verify that finds a difference is
 * `failed`, with the accounts that differ in its summary.
 */
export function recordedVerify(
  { runs, runId, ...verify }: RecordedRunTarget,
  options: RunOptions = {},
): Promise<VerifyReport> {
  return runRecorded(
    runs,
    runId,
    (progress) => verifyProjections({ ...verify, progress }),
    (report) => ({ ok: report.ok, summary: verifySummary(report) }),
    options,
  );
}

export interface RecordedRebuild extends RecordedRunTarget {
  readonly projections?: readonly ProjectionName[];
}

/** `projections:rebuild` as a recorded run. */
export function recordedRebuild(
  { runs, runId, ...rebuild }: RecordedRebuild,
  options: RunOptions = {},
): Promise<RebuildReport> {
  return runRecorded(
    runs,
    runId,
    (progress) => rebuildProjections({ ...rebuild, progress }),
    (report) => ({ ok: true, summary: rebuildSummary(report) }),
    options,
  );
}

/** Every projection: what a verify covers, and a rebuild unless told otherwise. */
export const ALL_PROJECTIONS: readonly ProjectionName[] = PROJECTION_NAMES;
