import type {
  PlanCount,
  PlanRequestCounter,
  PlanWindowKind,
  PlanWindows,
} from '../domain/index.js';

/**
 * The counter of `PlanRequestCounts` (PostgreSQL) in one process's memory, for the domain's
 * given/when/then tests: the same rule (a request counts in both windows or in neither; a full
 * window refuses). Never used by the gateway itself: its limits must hold across instances.
 */
export class InMemoryPlanCounter implements PlanRequestCounter {
  private readonly counts = new Map<string, number>();

  count(
    apiKeyId: string,
    windows: PlanWindows,
    limits: { readonly minute: number; readonly week: number },
  ): Promise<PlanCount> {
    const key = (kind: PlanWindowKind): string => `${apiKeyId}|${kind}|${windows[kind].startMs}`;
    const minute = (this.counts.get(key('minute')) ?? 0) + 1;
    if (minute > limits.minute) return Promise.resolve({ admitted: false, window: 'minute' });
    const week = (this.counts.get(key('week')) ?? 0) + 1;
    if (week > limits.week) return Promise.resolve({ admitted: false, window: 'week' });
    this.counts.set(key('minute'), minute);
    this.counts.set(key('week'), week);
    return Promise.resolve({ admitted: true, minute, week });
  }
}
