import {
  MAX_ACCOUNTS_IN_SUMMARY,
  MAX_PROBLEMS_PER_ACCOUNT,
  STALE_AFTER_MS,
  errorSummary,
  isStale,
  projectionsView,
  verifySummary,
  viewOfRun,
  type ProjectionRunView,
  type RunRow,
} from './projection-runs.js';

// The pure rules of recorded runs: when a running run is taken for abandoned, what a verify's
// summary keeps, and which runs the projections table shows.

const NOW = Date.parse('2026-12-07T12:00:00.000Z');

function row(overrides: Partial<RunRow> = {}): RunRow {
  return {
    run_id: 'run_1',
    kind: 'verify',
    projections: ['balances', 'transactions'],
    started_by: 'admin',
    status: 'running',
    started_at: new Date(NOW - 60_000),
    heartbeat_at: new Date(NOW - 1_000),
    finished_at: null,
    phase: 'folding the event log',
    events_done: '1500',
    events_total: '4000',
    accounts_total: '12',
    summary: null,
    db_now: new Date(NOW),
    ...overrides,
  };
}

describe('isStale: a running run whose heartbeat stopped', () => {
  it('is alive up to exactly STALE_AFTER_MS without a heartbeat, stale one millisecond later', () => {
    expect(isStale({ status: 'running', heartbeatAtMs: NOW - STALE_AFTER_MS }, NOW)).toBe(false);
    expect(isStale({ status: 'running', heartbeatAtMs: NOW - STALE_AFTER_MS - 1 }, NOW)).toBe(true);
  });

  it('never makes a finished run stale, however old', () => {
    for (const status of ['ok', 'failed', 'abandoned'] as const) {
      expect(isStale({ status, heartbeatAtMs: NOW - 86_400_000 }, NOW)).toBe(false);
    }
  });
});

describe('viewOfRun', () => {
  it('shows a live run as running, with its progress as numbers', () => {
    expect(viewOfRun(row())).toEqual({
      runId: 'run_1',
      kind: 'verify',
      projections: ['balances', 'transactions'],
      startedBy: 'admin',
      status: 'running',
      startedAt: '2026-12-07T11:59:00.000Z',
      finishedAt: null,
      progress: {
        phase: 'folding the event log',
        eventsDone: 1500,
        eventsTotal: 4000,
        accounts: 12,
      },
      summary: null,
    });
  });

  it('shows a run whose process died as abandoned, ended at its last heartbeat, with the reason', () => {
    const heartbeat = new Date(NOW - STALE_AFTER_MS - 5_000);
    expect(viewOfRun(row({ heartbeat_at: heartbeat }))).toMatchObject({
      status: 'abandoned',
      finishedAt: heartbeat.toISOString(),
      summary: { kind: 'error', error: 'the process running it stopped sending heartbeats' },
    });
  });

  it('judges staleness by the database clock it was read with, not by this machine’s', () => {
    // The same row read a minute later by the database's clock is stale.
    const later = row({ db_now: new Date(NOW + 60_000) });
    expect(viewOfRun(later).status).toBe('abandoned');
    expect(viewOfRun(row()).status).toBe('running');
  });

  it('keeps unknown totals as null', () => {
    expect(viewOfRun(row({ events_total: null, accounts_total: null })).progress).toEqual({
      phase: 'folding the event log',
      eventsDone: 1500,
      eventsTotal: null,
      accounts: null,
    });
  });
});

describe('verifySummary', () => {
  it('counts every account that differs but names only the first ones, each with its first problems', () => {
    const differences = Array.from({ length: MAX_ACCOUNTS_IN_SUMMARY + 7 }, (_, i) => ({
      accountId: `acct_${String(i).padStart(3, '0')}`,
      problems: Array.from(
        { length: i === 0 ? MAX_PROBLEMS_PER_ACCOUNT + 3 : 1 },
        (_, j) => `p${j}`,
      ),
    }));
    const summary = verifySummary({ ok: false, accounts: 100, events: 5000, differences });
    expect(summary).toMatchObject({
      kind: 'verify',
      accounts: 100,
      events: 5000,
      differences: MAX_ACCOUNTS_IN_SUMMARY + 7,
    });
    if (summary.kind !== 'verify') throw new Error('not a verify summary');
    expect(summary.accountsThatDiffer).toHaveLength(MAX_ACCOUNTS_IN_SUMMARY);
    expect(summary.accountsThatDiffer[0]).toEqual({
      accountId: 'acct_000',
      problems: ['p0', 'p1', 'p2', 'p3', 'p4'],
      moreProblems: 3,
    });
    expect(summary.accountsThatDiffer[1]).toEqual({
      accountId: 'acct_001',
      problems: ['p0'],
      moreProblems: 0,
    });
  });

  it('is empty of accounts for a verify that found nothing', () => {
    expect(verifySummary({ ok: true, accounts: 3, events: 6, differences: [] })).toEqual({
      kind: 'verify',
      accounts: 3,
      events: 6,
      differences: 0,
      accountsThatDiffer: [],
    });
  });
});

describe('errorSummary', () => {
  it('keeps an error’s message, shortened to 500 characters', () => {
    expect(errorSummary(new Error('connection refused'))).toEqual({
      kind: 'error',
      error: 'connection refused',
    });
    const long = errorSummary(new Error('x'.repeat(2_000)));
    expect(long.kind === 'error' && long.error).toBe(`${'x'.repeat(500)}…`);
  });
});

describe('projectionsView', () => {
  const view = (
    runId: string,
    kind: 'rebuild' | 'verify',
    status: ProjectionRunView['status'],
    projections: string[],
  ): ProjectionRunView => ({
    ...viewOfRun(row({ run_id: runId, kind, projections })),
    status,
  });

  it('gives each projection the newest finished rebuild that named it and the newest finished verify', () => {
    const runs = [
      view('v_running', 'verify', 'running', ['balances', 'transactions']),
      view('r_tx', 'rebuild', 'ok', ['transactions']),
      view('v_failed', 'verify', 'failed', ['balances', 'transactions']),
      view('r_all', 'rebuild', 'abandoned', ['balances', 'transactions']),
      view('v_old', 'verify', 'ok', ['balances', 'transactions']),
    ];
    const table = projectionsView(['balances', 'transactions', 'key_usage'], runs);
    expect(
      table.projections.map((p) => [p.name, p.lastRebuild?.runId, p.lastVerify?.runId]),
    ).toEqual([
      ['balances', 'r_all', 'v_failed'],
      ['transactions', 'r_tx', 'v_failed'],
      ['key_usage', undefined, 'v_failed'],
    ]);
    expect(table.running.map((r) => r.runId)).toEqual(['v_running']);
  });

  it('has nothing to show before the first run', () => {
    expect(projectionsView(['balances'], [])).toEqual({
      projections: [{ name: 'balances', lastRebuild: null, lastVerify: null }],
      running: [],
    });
  });
});
