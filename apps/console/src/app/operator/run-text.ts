import { formatTime } from '../format.js';
import type { ProjectionRun } from './api.js';

// The projections' runs in words, for the operations page (pure, unit-tested).

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

/** When a run ended (or started, while it runs), and who started it. */
export function when(run: ProjectionRun | null): string {
  if (run === null) return 'Never';
  return `${formatTime(run.finishedAt ?? run.startedAt)} (${BY[run.startedBy]})`;
}

/** How far a run is, in words: `folding the event log: 1,200 of 4,000 events (12 accounts)`. */
export function progressText(run: ProjectionRun): string {
  const p = run.progress;
  const of = p.eventsTotal === null ? '' : ` of ${p.eventsTotal.toLocaleString('en-US')}`;
  const accounts = p.accounts === null ? '' : ` (${count(p.accounts, 'account')})`;
  return `${p.phase}: ${p.eventsDone.toLocaleString('en-US')}${of} events${accounts}`;
}
