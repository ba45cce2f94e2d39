// The ledger's projections' runs (docs/CONTRACTS.md, "GET /v1/admin/projections"): their shapes,
// and the words the operations page uses for them. Pure, unit-tested.

/** How a run stands: `abandoned` once its process stopped before it finished. */
export type RunStatus = 'running' | 'ok' | 'failed' | 'abandoned';

export type RunSummary =
  | {
      readonly kind: 'verify';
      readonly accounts: number;
      readonly events: number;
      readonly differences: number;
      readonly accountsThatDiffer: readonly {
        readonly accountId: string;
        readonly problems: readonly string[];
        readonly moreProblems: number;
      }[];
    }
  | {
      readonly kind: 'rebuild';
      readonly accounts: number;
      readonly events: number;
      readonly caughtUp: number;
      readonly seconds: number;
    }
  | { readonly kind: 'error'; readonly error: string };

export interface ProjectionRun {
  readonly runId: string;
  readonly kind: 'rebuild' | 'verify';
  readonly projections: readonly string[];
  readonly startedBy: 'cli' | 'admin';
  readonly status: RunStatus;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly progress: {
    readonly phase: string;
    readonly eventsDone: number;
    readonly eventsTotal: number | null;
    readonly accounts: number | null;
  };
  readonly summary: RunSummary | null;
}

export interface ProjectionsStatus {
  readonly projections: readonly {
    readonly name: string;
    readonly lastRebuild: ProjectionRun | null;
    readonly lastVerify: ProjectionRun | null;
  }[];
  readonly running: readonly ProjectionRun[];
}

/** Who started a run: the operations CLI, or an admin from this desk. */
export const BY: Record<ProjectionRun['startedBy'], string> = { cli: 'CLI', admin: 'desk' };

export const count = (n: number, one: string, many = `${one}s`): string =>
  `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** A finished run in a few words: what it found, or why it did not finish. */
export function outcome(run: ProjectionRun): string {
  if (run.status === 'running') return 'Running';
  const s = run.summary;
  const status = run.status === 'ok' ? 'OK' : run.status === 'failed' ? 'Failed' : 'Abandoned';
  if (s === null) return status;
  switch (s.kind) {
    case 'verify':
      return s.differences === 0
        ? `${status}: ${count(s.events, 'event')}, ${count(s.accounts, 'account')}`
        : `${status}: ${count(s.differences, 'account')} of ${s.accounts.toLocaleString('en-US')} ${s.differences === 1 ? 'differs' : 'differ'}`;
    case 'rebuild':
      return `${status}: ${count(s.events, 'event')}, ${count(s.accounts, 'account')}`;
    case 'error':
      return `${status}: ${s.error}`;
  }
}

/** How far a run is, in words: `folding the event log: 1,200 of 4,000 events (12 accounts)`. */
export function progressText(run: ProjectionRun): string {
  const p = run.progress;
  const of = p.eventsTotal === null ? '' : ` of ${p.eventsTotal.toLocaleString('en-US')}`;
  const accounts = p.accounts === null ? '' : ` (${count(p.accounts, 'account')})`;
  return `${p.phase}: ${p.eventsDone.toLocaleString('en-US')}${of} events${accounts}`;
}
