import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { eventually, testDatabaseUrl } from '@billing/testing';
import pg from 'pg';
import { PROJECTION_NAMES } from '../infrastructure/projection-tables.js';
import type { ProjectionRunView, ProjectionsView } from '../ops/projection-runs.js';
import {
  AUDITOR_TOKEN,
  bonusGranted,
  createLedgerTestApp,
  topUpSettled,
  usageRecorded,
  type LedgerTestApp,
} from '../testing/ledger-test-app.js';

// The projections on the operator's desk, on a real ledger (PostgreSQL, Kafka): a verify started
// through the admin API runs in the ledger process and is polled to its end with exact counts;
// one verify at a time, whoever started it; the auditor reads but cannot start one; the CLI's
// runs show up as the last rebuild and verify; and a run whose process was killed is abandoned
// instead of "running" forever.

let t: LedgerTestApp;
let db: pg.Pool;
/** The account events in the ledger: the sum of the three accounts' stream versions. */
let events = 0;

const root = new URL('../../../..', import.meta.url).pathname;

const projections = () => t.http<ProjectionsView>('GET', '/v1/admin/projections');
const run = (runId: string, token?: string) =>
  t.http<ProjectionRunView>('GET', `/v1/admin/projections/runs/${runId}`, {
    ...(token !== undefined && { token }),
  });
const startVerify = (token?: string) =>
  t.http<{ runId: string }>('POST', '/v1/admin/projections/verify', {
    ...(token !== undefined && { token }),
  });
const finished = (runId: string): Promise<ProjectionRunView> =>
  eventually(async () => {
    const { body } = await run(runId);
    return body.status === 'running' ? undefined : body;
  }, 30_000);

/**
 * `npm run ops -- ...` on the test's schema, as the script runs it (node itself, without npm in
 * between, so that a signal sent to the child reaches the command).
 */
function ops(args: string[]): {
  child: ChildProcess;
  result: Promise<{ code: number | null; out: string }>;
} {
  const child = spawn(
    process.execPath,
    [
      '--import',
      '@swc-node/register/esm-register',
      'tools/ops/src/main.ts',
      ...args,
      '--schema',
      t.schema,
    ],
    {
      cwd: root,
      env: { ...process.env, DATABASE_URL: testDatabaseUrl() },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const result = once(child, 'exit').then(([code]) => ({ code: code as number | null, out }));
  return { child, result };
}

/**
 * Holds the balances table locked until released: a verify that starts meanwhile waits in its
 * first read, so it is certainly still running while the test looks at it.
 */
async function lockBalances(schema = t.schema): Promise<() => Promise<void>> {
  const client = await db.connect();
  await client.query('BEGIN');
  await client.query(`LOCK TABLE "${schema}".balances IN ACCESS EXCLUSIVE MODE`);
  return async () => {
    await client.query('ROLLBACK');
    client.release();
  };
}

beforeAll(async () => {
  t = await createLedgerTestApp();
  db = new pg.Pool({ connectionString: testDatabaseUrl(), max: 3 });
  await t.publish(t.topics.payments, [
    topUpSettled('acct_pr_1', 'tu_1', '10'),
    bonusGranted('acct_pr_1', 'g_1', '2', { topUpId: 'tu_1' }),
    topUpSettled('acct_pr_2', 'tu_2', '5'),
    topUpSettled('acct_pr_3', 'tu_3', '1'),
  ]);
  await t.balanceAtVersion('acct_pr_1', 2);
  await t.publish(t.topics.usageRecorded, [
    usageRecorded('acct_pr_1', '0.5', { apiKeyId: 'k1' }),
    usageRecorded('acct_pr_2', '0.25'),
  ]);
  const [a, b, c] = await Promise.all([
    t.balanceAtVersion('acct_pr_1', 3),
    t.balanceAtVersion('acct_pr_2', 2),
    t.balanceAtVersion('acct_pr_3', 1),
  ]);
  events = (a?.version ?? 0) + (b?.version ?? 0) + (c?.version ?? 0);
}, 90_000);

afterAll(async () => {
  await db.end();
  await t.close();
}, 60_000);

describe('GET /v1/admin/projections before any run', () => {
  it('lists every projection, never rebuilt nor verified, and nothing running', async () => {
    const res = await projections();
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      projections: PROJECTION_NAMES.map((name) => ({ name, lastRebuild: null, lastVerify: null })),
      running: [],
    });
  });
});

describe('POST /v1/admin/projections/verify', () => {
  it('answers 202 with a run id, runs the verify in the ledger and reports exact counts when done', async () => {
    // acct_pr_1: top-up, bonus, charge; acct_pr_2: top-up, charge; acct_pr_3: top-up.
    expect(events).toBe(6);
    const started = await startVerify();
    expect(started.status).toBe(202);
    expect(started.body).toEqual({ runId: expect.stringMatching(/^[0-9a-f-]{36}$/) as string });

    const done = await finished(started.body.runId);
    expect(done).toEqual({
      runId: started.body.runId,
      kind: 'verify',
      projections: [...PROJECTION_NAMES],
      startedBy: 'admin',
      status: 'ok',
      startedAt: expect.any(String) as string,
      finishedAt: expect.any(String) as string,
      progress: { phase: 'done', eventsDone: events, eventsTotal: events, accounts: 3 },
      summary: { kind: 'verify', accounts: 3, events, differences: 0, accountsThatDiffer: [] },
    });
    expect(Date.parse(done.finishedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(done.startedAt));

    // Every projection shows it as its last verify; none was rebuilt.
    const table = (await projections()).body;
    expect(table.running).toEqual([]);
    for (const p of table.projections) {
      expect([p.name, p.lastRebuild, p.lastVerify]).toEqual([p.name, null, done]);
    }
  });

  it('runs one verify at a time: 409 for a second one while the first runs (from the API or the CLI), with progress and heartbeat meanwhile', async () => {
    const release = await lockBalances();
    let first: string;
    try {
      const started = await startVerify();
      expect(started.status).toBe(202);
      first = started.body.runId;

      const second = await startVerify();
      expect(second.status).toBe(409);
      expect(second.body).toEqual({
        error: {
          code: 'LEDGER.VERIFY_ALREADY_RUNNING',
          message: expect.stringContaining(first) as string,
        },
      });
      const cli = await ops(['projections:verify']).result;
      expect(cli.code).toBe(3);
      expect(cli.out).toContain(`a verify is already running (run ${first}, started by admin`);

      // Running, and alive: its heartbeat moves on while it waits for the table.
      const table = (await projections()).body;
      expect(table.running).toEqual([
        expect.objectContaining({ runId: first, status: 'running', finishedAt: null }),
      ]);
      const heartbeat = async () =>
        (
          await db.query<{ at: Date }>(
            `SELECT heartbeat_at AS at FROM "${t.schema}".projection_runs WHERE run_id = $1`,
            [first],
          )
        ).rows[0]?.at.getTime() ?? 0;
      const before = await heartbeat();
      await eventually(async () => ((await heartbeat()) > before ? true : undefined), 5_000);
      expect((await run(first)).body.status).toBe('running');
    } finally {
      await release();
    }
    const done = await finished(first);
    expect(done).toMatchObject({
      status: 'ok',
      progress: { eventsDone: events, eventsTotal: events, accounts: 3 },
    });
    // Only the one that started was recorded.
    const rows = await db.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM "${t.schema}".projection_runs WHERE kind = 'verify'`,
    );
    expect(rows.rows[0]?.n).toBe('2');
    // And the next may start now.
    const next = await startVerify();
    expect(next.status).toBe(202);
    expect((await finished(next.body.runId)).status).toBe('ok');
  }, 60_000);

  it('refuses the auditor (403 AUTH.READ_ONLY, nothing started), who still reads the runs', async () => {
    const before = await db.query(`SELECT run_id FROM "${t.schema}".projection_runs`);
    const refused = await startVerify(AUDITOR_TOKEN);
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({
      error: { code: 'AUTH.READ_ONLY', message: expect.any(String) as string },
    });
    const after = await db.query(`SELECT run_id FROM "${t.schema}".projection_runs`);
    expect(after.rowCount).toBe(before.rowCount);

    const read = await t.http<ProjectionsView>('GET', '/v1/admin/projections', {
      token: AUDITOR_TOKEN,
    });
    expect(read.status).toBe(200);
    const last = read.body.projections[0]?.lastVerify;
    expect(last?.status).toBe('ok');
    expect((await run(last?.runId ?? '', AUDITOR_TOKEN)).status).toBe(200);
  });

  it('refuses without a token (401) and with an account token (403)', async () => {
    const anonymous = await t.http('POST', '/v1/admin/projections/verify', { token: null });
    expect(anonymous.status).toBe(401);
    const account = await t.http('GET', '/v1/admin/projections', {
      token: await t.tokenFor('acct_pr_1'),
    });
    expect(account.status).toBe(403);
    const customer = await t.http('POST', '/v1/admin/projections/verify', {
      token: await t.tokenFor('acct_pr_1'),
    });
    expect(customer.status).toBe(403);
  });

  it('answers 404 LEDGER.PROJECTION_RUN_NOT_FOUND for a run it never had', async () => {
    const res = await run('0b9f1f3e-2c1e-4c55-9a52-0c3c9b0d6a71');
    expect([res.status, (res.body as unknown as { error: { code: string } }).error.code]).toEqual([
      404,
      'LEDGER.PROJECTION_RUN_NOT_FOUND',
    ]);
  });
});

describe('runs of the operations CLI', () => {
  it('shows a CLI rebuild of one projection as that projection’s last rebuild, and a CLI verify as the last verify', async () => {
    const rebuild = await ops(['projections:rebuild', '--projection', 'transactions']).result;
    expect(rebuild.code).toBe(0);
    let table = (await projections()).body;
    const rebuilt = table.projections.find((p) => p.name === 'transactions')?.lastRebuild;
    expect(rebuilt).toMatchObject({
      kind: 'rebuild',
      projections: ['transactions'],
      startedBy: 'cli',
      status: 'ok',
      progress: { phase: 'done', eventsDone: events, eventsTotal: events, accounts: 3 },
      summary: { kind: 'rebuild', accounts: 3, events, caughtUp: 0 },
    });
    expect(table.projections.filter((p) => p.lastRebuild !== null).map((p) => p.name)).toEqual([
      'transactions',
    ]);

    const verify = await ops(['projections:verify']).result;
    expect(verify.code).toBe(0);
    expect(verify.out).toContain(`of ${events} events`);
    table = (await projections()).body;
    expect(table.projections[0]?.lastVerify).toMatchObject({
      startedBy: 'cli',
      status: 'ok',
      summary: { kind: 'verify', accounts: 3, events, differences: 0 },
    });
  }, 60_000);

  it('records a run whose process was killed as abandoned once its heartbeat is stale, and it blocks nobody', async () => {
    const release = await lockBalances();
    let dead: ProjectionRunView | undefined;
    try {
      const { child, result } = ops(['projections:verify']);
      dead = await eventually(async () => {
        const running = (await projections()).body.running;
        return running.find((r) => r.startedBy === 'cli');
      }, 30_000);
      // Without a chance to clean up.
      child.kill('SIGKILL');
      await result;
      // Dead, but only 30 seconds without a heartbeat make it stale: the verify still counts as
      // running, so a new one is refused.
      expect((await startVerify()).status).toBe(409);
      // Thirty-one seconds pass (the dead process writes no heartbeat any more).
      await db.query(
        `UPDATE "${t.schema}".projection_runs
         SET heartbeat_at = heartbeat_at - interval '31 seconds',
             started_at = started_at - interval '31 seconds'
         WHERE run_id = $1`,
        [dead.runId],
      );
      const abandoned = (await run(dead.runId)).body;
      expect(abandoned).toMatchObject({
        status: 'abandoned',
        startedBy: 'cli',
        summary: { kind: 'error', error: 'the process running it stopped sending heartbeats' },
      });
      expect(abandoned.finishedAt).not.toBeNull();
      const table = (await projections()).body;
      expect(table.running).toEqual([]);
    } finally {
      await release();
    }
    // A new verify starts, and the dead run is now recorded as abandoned for good.
    const next = await startVerify();
    expect(next.status).toBe(202);
    expect((await finished(next.body.runId)).status).toBe('ok');
    const stored = await db.query<{ status: string }>(
      `SELECT status FROM "${t.schema}".projection_runs WHERE run_id = $1`,
      [dead?.runId],
    );
    expect(stored.rows[0]?.status).toBe('abandoned');
    expect((await projections()).body.projections[0]?.lastVerify?.runId).toBe(next.body.runId);
  }, 90_000);

  it('records a CLI run interrupted with Ctrl-C as abandoned at once', async () => {
    const release = await lockBalances();
    try {
      const { child, result } = ops(['projections:verify']);
      const running = await eventually(async () => {
        const list = (await projections()).body.running;
        return list.find((r) => r.startedBy === 'cli');
      }, 30_000);
      child.kill('SIGINT');
      const { code, out } = await result;
      expect(code).toBe(130);
      expect(out).toContain(`SIGINT: recording verify ${running.runId} as abandoned`);
      expect((await run(running.runId)).body).toMatchObject({
        status: 'abandoned',
        summary: { kind: 'error', error: 'the CLI was interrupted (SIGINT)' },
      });
      // Nothing is in the way of the next verify, without waiting for a stale heartbeat.
      expect((await projections()).body.running).toEqual([]);
    } finally {
      await release();
    }
    const next = await startVerify();
    expect(next.status).toBe(202);
    expect((await finished(next.body.runId)).status).toBe('ok');
  }, 60_000);
});

describe('a verify that finds a difference', () => {
  it('is failed, and names the account that differs', async () => {
    await db.query(
      `UPDATE "${t.schema}".balances SET total = total + 1 WHERE account_id = 'acct_pr_2'`,
    );
    const started = await startVerify();
    const done = await finished(started.body.runId);
    expect(done.status).toBe('failed');
    expect(done.summary).toEqual({
      kind: 'verify',
      accounts: 3,
      events,
      differences: 1,
      accountsThatDiffer: [
        {
          accountId: 'acct_pr_2',
          problems: [expect.stringMatching(/^balances\[\]: expected /) as string],
          moreProblems: 0,
        },
      ],
    });
  });
});

describe('a ledger that shuts down with a verify in flight', () => {
  it('records the verify as abandoned before it lets go of the database', async () => {
    const other = await createLedgerTestApp({ schedulerIntervalMs: 0 });
    const release = await lockBalances(other.schema);
    let closing: Promise<void> | undefined;
    try {
      const started = await other.http<{ runId: string }>('POST', '/v1/admin/projections/verify');
      expect(started.status).toBe(202);
      // The verify waits for the table; the ledger stops meanwhile (its pool closes once the
      // verify's connection is given back, after the lock).
      closing = other.close();
      const stored = await eventually(async () => {
        const res = await db.query<{ status: string; summary: unknown }>(
          `SELECT status, summary FROM "${other.schema}".projection_runs WHERE run_id = $1`,
          [started.body.runId],
        );
        const row = res.rows[0];
        return row?.status === 'running' ? undefined : row;
      }, 30_000);
      expect(stored).toEqual({
        status: 'abandoned',
        summary: { kind: 'error', error: 'the ledger stopped before the verify finished' },
      });
    } finally {
      await release();
      await (closing ?? other.close());
    }
  }, 90_000);
});
