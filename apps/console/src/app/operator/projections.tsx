import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useState } from 'react';
import { formatTime } from '../format.js';
import { Loading, Problem } from '../ui.js';
import {
  projectionRun,
  projectionsStatus,
  startProjectionsVerify,
  type ProjectionRun,
} from './api.js';
import { BY, count, outcome, progressText } from '../../lib/projection-runs.js';

/** How often a running verify is asked how far it is. */
const PROGRESS_MS = 500;
/** How often the table is read again while a run (perhaps the CLI's) is in flight. */
const RUNNING_MS = 2_000;

/** When a run ended (or started, while it runs), and who started it. */
export function when(run: ProjectionRun | null): string {
  if (run === null) return 'Never';
  return `${formatTime(run.finishedAt ?? run.startedAt)} (${BY[run.startedBy]})`;
}

/**
 * The ledger's projections: when each was last rebuilt and verified (from the desk or the CLI),
 * and, for the admin, a verify started from here whose progress is polled until it ends. The
 * auditor sees the same figures and no button; the ledger refuses it anyway (AUTH.READ_ONLY).
 */
export function Projections({ canVerify }: { readonly canVerify: boolean }) {
  const queryClient = useQueryClient();
  const headingId = useId();
  const progressId = useId();
  const captionId = useId();
  const table = useQuery({
    queryKey: ['operator', 'projections'],
    queryFn: projectionsStatus,
    refetchInterval: (q) => ((q.state.data?.running.length ?? 0) > 0 ? RUNNING_MS : false),
  });
  /** The verify this page follows: the one it started, or one already running elsewhere. */
  const [followed, setFollowed] = useState<string | undefined>();
  const runningVerify = table.data?.running.find((r) => r.kind === 'verify');
  const runId = followed ?? runningVerify?.runId;
  const start = useMutation({
    mutationFn: startProjectionsVerify,
    onSuccess: ({ runId: started }) => setFollowed(started),
    // A 409: a verify runs already (the CLI's, another operator's); the table then shows it.
    onError: () => queryClient.invalidateQueries({ queryKey: ['operator', 'projections'] }),
  });
  const run = useQuery({
    queryKey: ['operator', 'projections', 'run', runId],
    queryFn: () => projectionRun(runId ?? ''),
    enabled: runId !== undefined,
    refetchInterval: (q) =>
      q.state.data === undefined || q.state.data.status === 'running' ? PROGRESS_MS : false,
  });
  const current = run.data?.runId === runId ? run.data : undefined;
  const finished = current !== undefined && current.status !== 'running';
  // Once the run ends, the table shows it as the last verify.
  useEffect(() => {
    if (finished) void queryClient.invalidateQueries({ queryKey: ['operator', 'projections'] });
  }, [finished, queryClient]);

  const busy =
    start.isPending || (current !== undefined && !finished) || runningVerify !== undefined;
  return (
    <section aria-labelledby={headingId}>
      <h2 id={headingId}>Projections</h2>
      <p>
        The ledger&apos;s projections (balances, the credits breakdown, transactions, usage) are
        folded from the event log. A verify folds every account&apos;s events again and compares
        them with the projections and the stored snapshots; a rebuild replays the log into fresh
        tables and swaps them in.
      </p>
      <Problem error={table.error} />
      {table.data === undefined ? (
        table.isPending && <Loading what="the projections" />
      ) : (
        // Focusable, so that a keyboard can scroll the table sideways on a narrow screen.
        <div className="table-wrap" role="region" aria-labelledby={captionId} tabIndex={0}>
          <table>
            <caption id={captionId}>Last rebuild and verify of each projection</caption>
            <thead>
              <tr>
                <th scope="col">Projection</th>
                <th scope="col">Last rebuilt</th>
                <th scope="col">Rebuild</th>
                <th scope="col">Last verified</th>
                <th scope="col">Verify</th>
              </tr>
            </thead>
            <tbody>
              {table.data.projections.map((p) => (
                <tr key={p.name} data-testid="projection-row">
                  <th scope="row">
                    <code>{p.name}</code>
                  </th>
                  <td>{when(p.lastRebuild)}</td>
                  <td>{p.lastRebuild === null ? '—' : outcome(p.lastRebuild)}</td>
                  <td>{when(p.lastVerify)}</td>
                  <td>{p.lastVerify === null ? '—' : outcome(p.lastVerify)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {canVerify ? (
        <div className="run-controls">
          <button type="button" disabled={busy} onClick={() => start.mutate()}>
            Verify projections
          </button>
        </div>
      ) : (
        <p className="muted">Signed in read-only: starting a verify needs the admin token.</p>
      )}
      <Problem error={start.error ?? run.error} />
      {current !== undefined && !finished && (
        <div data-testid="verify-progress">
          <label htmlFor={progressId}>Verify in progress</label>{' '}
          <progress
            id={progressId}
            max={current.progress.eventsTotal ?? undefined}
            value={current.progress.eventsTotal === null ? undefined : current.progress.eventsDone}
          />
          <p role="status">
            Verifying ({BY[current.startedBy]}, started {formatTime(current.startedAt)}):{' '}
            {progressText(current)}.
          </p>
        </div>
      )}
      {finished && <VerifyResult run={current} />}
    </section>
  );
}

/** The end of a verify this page followed: what it found, with the accounts that differ. */
function VerifyResult({ run }: { readonly run: ProjectionRun }) {
  const s = run.summary;
  return (
    <div role="status" data-testid="verify-result">
      <p className={run.status === 'ok' ? 'verified' : 'problem'}>
        {run.status === 'ok' && s?.kind === 'verify'
          ? `Verified: the projections match the event log (${count(s.events, 'event')}, ${count(s.accounts, 'account')}).`
          : `Verify ${run.status}: ${outcome(run)}.`}
      </p>
      {s?.kind === 'verify' && s.accountsThatDiffer.length > 0 && (
        <ul>
          {s.accountsThatDiffer.map((d) => (
            <li key={d.accountId}>
              <code>{d.accountId}</code>
              <ul>
                {d.problems.map((problem) => (
                  <li key={problem}>{problem}</li>
                ))}
                {d.moreProblems > 0 && <li>and {count(d.moreProblems, 'more problem')}</li>}
              </ul>
            </li>
          ))}
          {s.differences > s.accountsThatDiffer.length && (
            <li>and {count(s.differences - s.accountsThatDiffer.length, 'more account')}</li>
          )}
        </ul>
      )}
    </div>
  );
}
