import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { eventually, testDatabaseUrl } from '@billing/testing';
import pg from 'pg';
import type { BalanceView } from '../queries/get-balance/get-balance.query.js';
import {
  bonusGranted,
  contractEvent,
  createLedgerTestApp,
  topUpSettled,
  usageRecorded,
  type LedgerTestApp,
} from '../testing/ledger-test-app.js';
import { verifyAuditChains } from './audit.js';
import { rebuildProjections } from './rebuild.js';
import { verifyProjections } from './verify.js';

// The operations commands against a ledger that has lived a little: credits of every kind, usage
// with and without holds, duplicates, a refund, expiries, and writes that go on during a rebuild.

let t: LedgerTestApp;
let ops: pg.Pool;

const root = new URL('../../../..', import.meta.url).pathname;
const ACCOUNTS = ['acct_ops_1', 'acct_ops_2', 'acct_ops_3'];

const balance = (accountId: string) =>
  t.http<BalanceView>('GET', `/v1/accounts/${accountId}/balance`).then((r) => r.body);

async function runOps(args: string[]): Promise<{ code: number | null; out: string }> {
  const child = spawn('npm', ['run', '--silent', 'ops', '--', ...args], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: testDatabaseUrl() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, out };
}

beforeAll(async () => {
  t = await createLedgerTestApp();
  ops = new pg.Pool({ connectionString: testDatabaseUrl(), max: 4 });
  const soon = new Date(Date.now() + 1_000).toISOString();
  await t.publish(t.topics.payments, [
    topUpSettled('acct_ops_1', 'tu_1', '100'),
    bonusGranted('acct_ops_1', 'g_1', '20', { topUpId: 'tu_1' }),
    topUpSettled('acct_ops_2', 'tu_2', '5'),
    bonusGranted('acct_ops_2', 'g_2', '1', { expiresAt: soon }),
    contractEvent('GiftGranted', 'acct_ops_3', { giftId: 'gf_3', amount: '3', reason: 'welcome' }),
    contractEvent('CreditsAdjusted', 'acct_ops_3', {
      adjustmentId: 'adj_3',
      amount: '-1',
      reason: 'fix',
    }),
  ]);
  await eventually(async () => ((await balance('acct_ops_1')).version >= 2 ? true : undefined));
  await t.publish(t.topics.payments, [
    contractEvent('TopUpRefunded', 'acct_ops_1', {
      topUpId: 'tu_1',
      amount: '50',
      refundReference: 're_1',
    }),
  ]);
  const usage = [
    usageRecorded('acct_ops_1', '0.5', { apiKeyId: 'k1' }),
    usageRecorded('acct_ops_1', '0.25', { apiKeyId: 'k2', model: 'sim/other' }),
    usageRecorded('acct_ops_2', '0.5', { apiKeyId: 'k3' }),
    usageRecorded('acct_ops_3', '0.1'),
  ];
  await t.publish(t.topics.usageRecorded, [...usage, ...usage]);
  await t.asGateway('POST', '/v1/accounts/acct_ops_1/holds', {
    body: { holdId: 'h_1', amount: '1', ttlSeconds: 1 },
  });
  await t.asGateway('POST', '/v1/accounts/acct_ops_1/holds', {
    body: { holdId: 'h_2', amount: '1', ttlSeconds: 600 },
  });
  await t.asGateway('POST', '/v1/accounts/acct_ops_3/holds', {
    body: { holdId: 'h_3', amount: '0.5', ttlSeconds: 600 },
  });
  await t.asGateway('DELETE', '/v1/accounts/acct_ops_3/holds/h_3');
  // The hold h_1 and the bonus g_2 expire within a second or two (the scheduler runs every 200 ms).
  await eventually(async () => {
    const [a, b] = await Promise.all([balance('acct_ops_1'), balance('acct_ops_2')]);
    return a.held === '1' && a.version >= 8 && b.version >= 4 ? true : undefined;
  }, 15_000);
}, 90_000);

afterAll(async () => {
  await ops.end();
  await t.close();
}, 60_000);

describe('projections:verify and audit:verify on a ledger that has lived', () => {
  it('finds the projections equal to the fold of the events of every account', async () => {
    const report = await verifyProjections({ pool: ops, schema: t.schema });
    expect(report.differences).toEqual([]);
    expect(report).toMatchObject({ ok: true, accounts: 3 });
    expect(report.events).toBeGreaterThanOrEqual(16);
  });

  it('finds every hash chain intact', async () => {
    const report = await verifyAuditChains({ pool: ops, schema: t.schema });
    expect(report).toMatchObject({ ok: true, streams: 3, breaks: [] });
  });

  it('runs as `npm run ops -- projections:verify` and exits 0', async () => {
    const { code, out } = await runOps(['projections:verify', '--schema', t.schema]);
    expect(out).toContain('projections match the event log: 3 accounts');
    expect(code).toBe(0);
  }, 60_000);
});

describe('projections:rebuild', () => {
  it('rebuilds every projection while holds keep arriving, and the result still verifies', async () => {
    const before = await Promise.all(ACCOUNTS.map(balance));
    let writing = true;
    let placed = 0;
    const writer = (async () => {
      while (writing) {
        const res = await t.asGateway('POST', '/v1/accounts/acct_ops_1/holds', {
          body: { holdId: `during_${placed}`, amount: '0.001', ttlSeconds: 600 },
        });
        if (res.status === 201) placed += 1;
      }
    })();
    const report = await rebuildProjections({ pool: ops, schema: t.schema, pageSize: 3 });
    writing = false;
    await writer;

    expect(report.accounts).toBe(3);
    expect(placed).toBeGreaterThan(0);
    const after = await balance('acct_ops_1');
    expect(after.version).toBe((before[0]?.version ?? 0) + placed);
    expect(Number(after.held)).toBeCloseTo(1 + placed * 0.001, 9);
    const withoutTime = ({ asOf: _, ...rest }: BalanceView) => rest;
    expect((await Promise.all(ACCOUNTS.slice(1).map(balance))).map(withoutTime)).toEqual(
      before.slice(1).map(withoutTime),
    );
    const verify = await verifyProjections({ pool: ops, schema: t.schema });
    expect(verify.differences).toEqual([]);
    // The indexes got their names back, so the next rebuild starts from the same shape.
    const indexes = await ops.query<{ indexname: string }>(
      `SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = 'transactions' ORDER BY 1`,
      [t.schema],
    );
    expect(indexes.rows.map((r) => r.indexname)).toEqual([
      'transactions_newest_first',
      'transactions_pkey',
    ]);
  }, 60_000);

  it('rebuilds a single projection on the command line', async () => {
    const { code, out } = await runOps([
      'projections:rebuild',
      '--projection',
      'transactions',
      '--schema',
      t.schema,
    ]);
    expect(out).toMatch(/rebuilt transactions from \d+ events of 3 accounts/);
    expect(out).toContain('events/s');
    expect(code).toBe(0);
  }, 60_000);
});

describe('when something was tampered with', () => {
  it('projections:verify exits 1 and names the account whose rows differ', async () => {
    await ops.query(
      `UPDATE "${t.schema}".balances SET total = total + 1 WHERE account_id = 'acct_ops_2'`,
    );
    const report = await verifyProjections({ pool: ops, schema: t.schema });
    expect(report.ok).toBe(false);
    expect(report.differences.map((d) => d.accountId)).toEqual(['acct_ops_2']);
    const { code, out } = await runOps(['projections:verify', '--schema', t.schema]);
    expect(code).toBe(1);
    expect(out).toContain('acct_ops_2');
    expect(out).toContain('balances[]');
    // A rebuild repairs it.
    await rebuildProjections({ pool: ops, schema: t.schema, projections: ['balances'] });
    expect((await verifyProjections({ pool: ops, schema: t.schema })).ok).toBe(true);
  }, 60_000);

  it("audit:verify exits 1 on an event rewritten behind the store's back", async () => {
    // Only the table owner can get past the append-only trigger; the chain still tells.
    const client = await ops.connect();
    try {
      await client.query('BEGIN');
      await client.query(`ALTER TABLE "${t.schema}".events DISABLE TRIGGER events_append_only`);
      await client.query(
        `UPDATE "${t.schema}".events SET data = json_build_object('amount', '1000')
         WHERE stream_id = 'account-acct_ops_3' AND version = 1`,
      );
      await client.query(`ALTER TABLE "${t.schema}".events ENABLE TRIGGER events_append_only`);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    const report = await verifyAuditChains({ pool: ops, schema: t.schema });
    expect(report.ok).toBe(false);
    expect(report.breaks.map((b) => [b.accountId, b.result.firstBreak])).toEqual([
      ['acct_ops_3', { version: 1, reason: 'hash_mismatch' }],
    ]);
    const { code, out } = await runOps([
      'audit:verify',
      '--account',
      'acct_ops_3',
      '--schema',
      t.schema,
    ]);
    expect(code).toBe(1);
    expect(out).toContain('account-acct_ops_3: hash_mismatch at version 1');
  }, 60_000);
});
