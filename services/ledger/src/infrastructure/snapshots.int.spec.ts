import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { canonicalJson, PostgresEventStore } from '@billing/event-store';
import { formatUsd } from '@billing/money';
import { testDatabaseUrl } from '@billing/testing';
import {
  balanceOfEvents,
  breakdownOf,
  encodeLedgerState,
  foldLedger,
  type LedgerCommand,
} from '../domain/index.js';
import { verifyProjections } from '../ops/verify.js';
import type { BalanceView } from '../queries/get-balance/get-balance.query.js';
import { createLedgerTestApp, type LedgerTestApp } from '../testing/ledger-test-app.js';
import { AccountLoader } from './account-loader.js';
import { streamIdOf } from './ids.js';
import { LedgerWriter, type WriteRequest, type WriteTransaction } from './ledger-writer.js';
import { snapshotHash } from './snapshots.js';
import { fromStoredEvent } from './stored-events.js';

// Bounded cost per account (issue #10, item 4), on the ledger exactly as production wires it: a
// long account history is written through the real writer, then loaded cold and queried ?asOf=
// from its snapshots; damaged and stale snapshots are refused and listed by projections:verify;
// holds past the cap are refused over HTTP.

const EVERY = 1_000;
const LONG = 'acct_long';
/** 1 top-up, then 20,499 charges in transactions of 200: 20,500 events. */
const EVENTS = 20_500;
const PER_TRANSACTION = 200;
const T0 = Date.parse('2026-03-01T00:00:00.000Z');
/** Each transaction is decided one minute after the previous one (the pinned ledger clock). */
const minute = (i: number): number => T0 + i * 60_000;

let t: LedgerTestApp;
let now = T0;
let store: PostgresEventStore;

const root = new URL('../../../..', import.meta.url).pathname;

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

const request = (accountId: string, command: (nowMs: number) => LedgerCommand): WriteRequest => ({
  accountId,
  command,
  cause: { type: 'Test', id: 'snapshots' },
});

const topUp = (accountId: string, topUpId: string, amountNanos: bigint): WriteRequest =>
  request(accountId, (nowMs) => ({
    type: 'CreditTopUp',
    data: {
      topUpId,
      amountNanos,
      method: 'card',
      trigger: 'manual',
      paymentReference: `pay_${topUpId}`,
      invoiceId: `inv_${topUpId}`,
      nowMs,
    },
  }));

const charge = (accountId: string, requestId: string, costNanos: bigint): WriteRequest =>
  request(accountId, (nowMs) => ({
    type: 'ChargeUsage',
    data: {
      requestId,
      apiKeyId: 'key_1',
      model: 'sim/echo-1',
      costNanos,
      priceVersion: 'v1',
      inputTokens: 10,
      outputTokens: 5,
      occurredAtMs: nowMs,
      nowMs,
    },
  }));

/** One transaction through the production writer, as the consumer and the write queue run it. */
async function write(requests: readonly WriteRequest[]): Promise<void> {
  const writer = t.app.get(LedgerWriter);
  const client = await t.db.connect();
  const tx: WriteTransaction = { client, touched: new Set() };
  try {
    await client.query('BEGIN');
    await writer.apply(tx, requests);
    await client.query('COMMIT');
    writer.committed(tx);
  } catch (err) {
    await client.query('ROLLBACK');
    writer.rolledBack(tx);
    throw err;
  } finally {
    client.release();
  }
}

/** The fold of every event, read from the first (what every load did before snapshots). */
async function fullFold(accountId: string, asOf?: Date) {
  const stored =
    asOf === undefined
      ? await store.readStream(streamIdOf(accountId))
      : await store.readStreamAsOf(streamIdOf(accountId), asOf);
  const events = stored.map(fromStoredEvent);
  return { events, state: foldLedger(events) };
}

const balanceOverHttp = (accountId: string, asOf?: string) =>
  t
    .http<BalanceView>(
      'GET',
      `/v1/accounts/${accountId}/balance${asOf === undefined ? '' : `?asOf=${asOf}`}`,
    )
    .then((r) => r.body);

beforeAll(async () => {
  t = await createLedgerTestApp({
    snapshotEvery: EVERY,
    maxActiveHolds: 5,
    nowMs: () => now,
    schedulerIntervalMs: 0,
  });
  store = new PostgresEventStore({ pool: t.db, schema: t.schema });
  await write([topUp(LONG, 'tu_long', 1_000_000_000_000n)]);
  let n = 1;
  for (let batch = 1; n < EVENTS; batch++) {
    now = minute(batch);
    const requests: WriteRequest[] = [];
    for (; requests.length < PER_TRANSACTION && n < EVENTS; n++) {
      // Costs that are not round, so that a wrong fold cannot match by accident.
      requests.push(charge(LONG, `req_${n}`, 1_000_003n + BigInt(n % 97)));
    }
    await write(requests);
  }
}, 300_000);

afterAll(async () => {
  await t.close();
});

describe('snapshots bound the cost of a long account', () => {
  it(`stores a snapshot each time the account passes a multiple of ${EVERY} events, in the transactions that append them`, async () => {
    const res = await t.db.query<{ version: number }>(
      `SELECT version FROM "${t.schema}".snapshots WHERE account_id = $1 ORDER BY version`,
      [LONG],
    );
    // Transactions of 200 events after a first one of 1: the multiples of 1,000 fall inside
    // transactions, and each snapshot is taken after the command that crossed one.
    expect(res.rows.map((r) => r.version)).toEqual(
      Array.from({ length: 20 }, (_, i) => (i + 1) * EVERY),
    );
  });

  it('stops history-sized cold loads: a cold load of a 20,500-event account reads 500 events past its latest snapshot, not 20,500, and decides from the same state', async () => {
    t.cache.clear();
    const loaded = await t.app.get(AccountLoader).load(LONG);
    const reference = await fullFold(LONG);

    expect(reference.events).toHaveLength(EVENTS);
    expect(loaded.snapshotVersion).toBe(20_000);
    expect(loaded.eventsRead).toBe(EVENTS - 20_000);
    expect(loaded.eventsRead).toBeLessThan(EVERY);
    expect(canonicalJson(encodeLedgerState(loaded.account.state))).toBe(
      canonicalJson(encodeLedgerState(reference.state)),
    );
    // 1,000 USD − Σ (1,000,003 + n mod 97) nanos for n = 1..20,499.
    let spent = 0n;
    for (let n = 1; n < EVENTS; n++) spent += 1_000_003n + BigInt(n % 97);
    const total = 1_000_000_000_000n - spent;
    expect(balanceOfEvents(reference.events).totalNanos).toBe(total);
    expect(loaded.account.state.debtNanos).toBe(0n);

    // And the next write decides on it: one more charge after a cold start.
    t.cache.clear();
    now = minute(500);
    await write([charge(LONG, 'req_after_cold_load', 7n)]);
    const after = await balanceOverHttp(LONG);
    expect(after.version).toBe(EVENTS + 1);
    expect(after.total).toBe(formatUsd(total - 7n));
  });

  it('stops history-sized ?asOf= queries: the balance and breakdown as of mid-history read fewer than 1,000 + 200 events and equal the fold of every event up to then', async () => {
    // Transaction 51 was decided at minute 51: as of minute 51 + 30 s the account had
    // 1 + 51 × 200 = 10,201 events; the latest snapshot by then is version 10,000.
    const asOf = new Date(minute(51) + 30_000);
    const folded = await t.app.get(AccountLoader).asOf(LONG, asOf);
    const reference = await fullFold(LONG, asOf);

    expect(reference.events).toHaveLength(10_201);
    expect(folded.snapshotVersion).toBe(10_000);
    expect(folded.eventsRead).toBe(201);
    expect(folded.eventsRead).toBeLessThan(EVERY + PER_TRANSACTION);
    expect(folded.balance).toEqual(balanceOfEvents(reference.events));
    expect(folded.breakdown).toEqual(breakdownOf(reference.events));

    const answer = await balanceOverHttp(LONG, asOf.toISOString());
    expect(answer).toMatchObject({ version: 10_201, asOf: asOf.toISOString() });
    const breakdown = await t.http<{ usage: string; totalBalance: string; version: number }>(
      'GET',
      `/v1/accounts/${LONG}/credits-breakdown?asOf=${asOf.toISOString()}`,
    );
    expect(breakdown.body.version).toBe(10_201);
    expect(breakdown.body.totalBalance).toBe(answer.total);

    // Before the first snapshot: no snapshot to start from, the few events are read from 1.
    const early = await t.app.get(AccountLoader).asOf(LONG, new Date(minute(2)));
    expect(early).toMatchObject({ snapshotVersion: undefined, eventsRead: 401 });
  });

  it('projections:verify checks every snapshot against the fold of its stream and finds them all right', async () => {
    const report = await verifyProjections({ pool: t.db, schema: t.schema });
    expect(report.differences).toEqual([]);
    expect(report.ok).toBe(true);
  });
});

describe('a damaged or stale snapshot is never used', () => {
  const latest = async () =>
    (
      await t.db.query<{
        version: number;
        last_recorded_at_ms: string;
        event_hash: string;
        state: string;
        breakdown: string;
        hash: string;
      }>(
        `SELECT version, last_recorded_at_ms::text, event_hash, state::text, breakdown::text, hash
         FROM "${t.schema}".snapshots WHERE account_id = $1 ORDER BY version DESC LIMIT 1`,
        [LONG],
      )
    ).rows[0];

  it('a snapshot edited behind the ledger (its hash no longer matches) is refused: the load folds all events and gets the right state; verify exits 1 naming the account', async () => {
    const row = await latest();
    if (row === undefined) throw new Error('no snapshot');
    // Make the one top-up lot hold far more in the snapshot than the events say.
    const forged = row.state.replace(/"remaining":"([0-9.]+)"/, '"remaining":"1000$1"');
    expect(forged).not.toBe(row.state);
    await t.db.query(
      `UPDATE "${t.schema}".snapshots SET state = $3::json WHERE account_id = $1 AND version = $2`,
      [LONG, row.version, forged],
    );

    t.cache.clear();
    const loaded = await t.app.get(AccountLoader).load(LONG);
    const reference = await fullFold(LONG);
    expect(loaded.snapshotVersion).toBeUndefined();
    expect(loaded.eventsRead).toBe(EVENTS + 1);
    expect(canonicalJson(encodeLedgerState(loaded.account.state))).toBe(
      canonicalJson(encodeLedgerState(reference.state)),
    );

    const report = await verifyProjections({ pool: t.db, schema: t.schema });
    expect(report.ok).toBe(false);
    expect(report.differences).toEqual([
      {
        accountId: LONG,
        problems: [
          'snapshots[v20000]: does not match its hash',
          'snapshots[v20000]: state differs from the fold of events 1..20000',
        ],
      },
    ]);
    const { code, out } = await runOps(['projections:verify', '--schema', t.schema]);
    expect(code).toBe(1);
    expect(out).toContain(LONG);
    expect(out).toContain('snapshots[v20000]');
  }, 120_000);

  it('a forged snapshot whose hash was recomputed too passes the load check but not projections:verify', async () => {
    const row = await latest();
    if (row === undefined) throw new Error('no snapshot');
    const hash = snapshotHash({
      accountId: LONG,
      version: row.version,
      lastRecordedAtMs: Number(row.last_recorded_at_ms),
      eventHash: row.event_hash,
      state: JSON.parse(row.state) as unknown,
      breakdown: JSON.parse(row.breakdown) as unknown,
    });
    await t.db.query(
      `UPDATE "${t.schema}".snapshots SET hash = $3 WHERE account_id = $1 AND version = $2`,
      [LONG, row.version, hash],
    );
    const report = await verifyProjections({ pool: t.db, schema: t.schema });
    expect(report.differences).toEqual([
      {
        accountId: LONG,
        problems: ['snapshots[v20000]: state differs from the fold of events 1..20000'],
      },
    ]);
    // Repaired (the forged row removed), the ledger verifies again.
    await t.db.query(`DELETE FROM "${t.schema}".snapshots WHERE account_id = $1 AND version = $2`, [
      LONG,
      row.version,
    ]);
    expect((await verifyProjections({ pool: t.db, schema: t.schema })).ok).toBe(true);
  });

  it('a stale snapshot (of a version the stream does not have, e.g. restored from another database) is refused and listed', async () => {
    const row = await latest();
    if (row === undefined) throw new Error('no snapshot');
    // A consistent, correctly hashed snapshot claiming version 30,000.
    const state = JSON.parse(row.state) as Record<string, unknown>;
    const body = {
      accountId: LONG,
      version: 30_000,
      lastRecordedAtMs: Number(row.last_recorded_at_ms),
      eventHash: row.event_hash,
      state: { ...state, version: 30_000 },
      breakdown: JSON.parse(row.breakdown) as unknown,
    };
    await t.db.query(
      `INSERT INTO "${t.schema}".snapshots
         (account_id, version, last_recorded_at_ms, event_hash, state, breakdown, hash)
       VALUES ($1, $2, $3, $4, $5::json, $6::json, $7)`,
      [
        LONG,
        body.version,
        body.lastRecordedAtMs,
        body.eventHash,
        canonicalJson(body.state),
        canonicalJson(body.breakdown),
        snapshotHash(body),
      ],
    );
    t.cache.clear();
    const loaded = await t.app.get(AccountLoader).load(LONG);
    expect(loaded.snapshotVersion).toBeUndefined();
    expect(loaded.account.state.version).toBe(EVENTS + 1);

    const report = await verifyProjections({ pool: t.db, schema: t.schema });
    expect(report.differences).toEqual([
      {
        accountId: LONG,
        problems: [`snapshots[v30000]: the stream has only ${EVENTS + 1} event(s)`],
      },
    ]);
    await t.db.query(`DELETE FROM "${t.schema}".snapshots WHERE version = 30000`);
  });
});

describe('the cap on open holds', () => {
  const ACCOUNT = 'acct_holds_cap';
  const hold = (holdId: string, amount: string) =>
    t.asGateway<
      { holdId: string; available: string } | { error: { code: string; message: string } }
    >('POST', `/v1/accounts/${ACCOUNT}/holds`, { body: { holdId, amount, ttlSeconds: 600 } });

  it('stops unbounded holds on one account: the 6th open hold is refused with 409 LEDGER.HOLD_LIMIT_REACHED and Available stays exactly $5; a release makes room', async () => {
    now = minute(600);
    await write([topUp(ACCOUNT, 'tu_cap', 10_000_000_000n)]);
    for (let i = 1; i <= 5; i++) {
      const placed = await hold(`h${i}`, '1');
      expect(placed.status).toBe(201);
    }
    const refused = await hold('h6', '0.000000001');
    expect(refused.status).toBe(409);
    expect(refused.body).toEqual({
      error: {
        code: 'LEDGER.HOLD_LIMIT_REACHED',
        message:
          'the account already has 5 open holds, the most allowed is 5; release or capture some first',
      },
    });
    expect(await balanceOverHttp(ACCOUNT)).toMatchObject({
      total: '10',
      held: '5',
      available: '5',
      version: 6,
    });

    // The same hold again is still its first answer, not a refusal.
    expect((await hold('h3', '1')).status).toBe(201);
    expect((await t.asGateway('DELETE', `/v1/accounts/${ACCOUNT}/holds/h1`)).status).toBe(200);
    const again = await hold('h6', '2');
    expect(again).toMatchObject({ status: 201, body: { holdId: 'h6', available: '4' } });
    expect(await balanceOverHttp(ACCOUNT)).toMatchObject({ held: '6', available: '4' });
  });
});
