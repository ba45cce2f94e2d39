import { outcome, progressText, type ProjectionRun } from './projection-runs.js';

// What the operations page says of a projections run.

const run = (overrides: Partial<ProjectionRun> = {}): ProjectionRun => ({
  runId: 'run_1',
  kind: 'verify',
  projections: ['balances'],
  startedBy: 'admin',
  status: 'ok',
  startedAt: '2026-12-07T10:00:00.000Z',
  finishedAt: '2026-12-07T10:02:30.000Z',
  progress: { phase: 'done', eventsDone: 12_345, eventsTotal: 12_345, accounts: 40 },
  summary: { kind: 'verify', accounts: 40, events: 12_345, differences: 0, accountsThatDiffer: [] },
  ...overrides,
});

describe('outcome', () => {
  it('gives a clean verify’s figures', () => {
    expect(outcome(run())).toBe('OK: 12,345 events, 40 accounts');
  });

  it('counts the accounts that differ, in the singular for one', () => {
    const differing = (differences: number): ProjectionRun =>
      run({
        status: 'failed',
        summary: { kind: 'verify', accounts: 40, events: 99, differences, accountsThatDiffer: [] },
      });
    expect(outcome(differing(1))).toBe('Failed: 1 account of 40 differs');
    expect(outcome(differing(3))).toBe('Failed: 3 accounts of 40 differ');
  });

  it('gives a rebuild’s figures, and the reason of a run that did not finish', () => {
    expect(
      outcome(
        run({
          kind: 'rebuild',
          summary: { kind: 'rebuild', accounts: 1, events: 1, caughtUp: 0, seconds: 0.2 },
        }),
      ),
    ).toBe('OK: 1 event, 1 account');
    expect(
      outcome(
        run({
          status: 'abandoned',
          summary: { kind: 'error', error: 'the CLI was interrupted (SIGINT)' },
        }),
      ),
    ).toBe('Abandoned: the CLI was interrupted (SIGINT)');
    expect(outcome(run({ status: 'running', summary: null }))).toBe('Running');
  });
});

describe('progressText', () => {
  it('says how far a run is, with the totals once it knows them', () => {
    expect(
      progressText(
        run({
          status: 'running',
          progress: {
            phase: 'folding the event log',
            eventsDone: 1_200,
            eventsTotal: 4_000,
            accounts: 12,
          },
        }),
      ),
    ).toBe('folding the event log: 1,200 of 4,000 events (12 accounts)');
    expect(
      progressText(
        run({
          status: 'running',
          progress: { phase: 'starting', eventsDone: 0, eventsTotal: null, accounts: null },
        }),
      ),
    ).toBe('starting: 0 events');
  });
});
