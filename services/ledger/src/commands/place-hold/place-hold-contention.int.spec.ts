import { PostgresEventStore } from '@billing/event-store';
import { eventually, testDatabaseUrl, testPool } from '@billing/testing';
import type pg from 'pg';
import { AccountLoader } from '../../infrastructure/account-loader.js';
import { AccountStateCache } from '../../infrastructure/account-state-cache.js';
import { AccountWriteQueue } from '../../infrastructure/account-write-queue.js';
import { LedgerWriter, type WriteRequest } from '../../infrastructure/ledger-writer.js';
import { ProjectionWriter } from '../../infrastructure/projection-tables.js';
import { SnapshotStore } from '../../infrastructure/snapshots.js';
import { LEDGER_OPTIONS, type ResolvedLedgerOptions } from '../../ledger.options.js';
import type { BalanceView } from '../../queries/get-balance/get-balance.query.js';
import type { HoldListView } from '../../queries/list-holds/list-holds.query.js';
import {
  createLedgerTestApp,
  topUpSettled,
  usageRecorded,
  type LedgerTestApp,
} from '../../testing/ledger-test-app.js';

// The soak run's 500: holds placed and released over HTTP while the ledger's usage consumer and
// two other replicas (each with its own pool, cache and write queue, on the same schema) append
// to the same account. A writer that lost the race on the stream version re-read the stream with
// the heads unlocked, and a writer whose state was already current won again, until the retries
// ran out and WrongExpectedVersionError reached the caller. Real PostgreSQL and Kafka, no mocks.

let t: LedgerTestApp;
const pools: pg.Pool[] = [];
const replicas: AccountWriteQueue[] = [];

/** Another ledger replica's writer: the same classes the module wires, its own pool and cache. */
function replica(o: ResolvedLedgerOptions): AccountWriteQueue {
  const pool = testPool({ connectionString: testDatabaseUrl(), max: 5 });
  pools.push(pool);
  const store = new PostgresEventStore({ pool, schema: t.schema });
  const snapshots = new SnapshotStore(t.schema, o.snapshotEvery);
  const writer = new LedgerWriter({
    store,
    pool,
    schema: t.schema,
    cache: new AccountStateCache(1_000),
    projections: new ProjectionWriter(t.schema),
    balanceTopic: o.topics.ledger,
    clock: Date.now,
    snapshots,
    loader: new AccountLoader({
      pool,
      store,
      snapshots,
      stateOptions: { maxActiveHolds: o.maxActiveHolds },
    }),
  });
  return new AccountWriteQueue(pool, writer);
}

beforeAll(async () => {
  t = await createLedgerTestApp();
  const o = t.app.get<ResolvedLedgerOptions>(LEDGER_OPTIONS);
  replicas.push(replica(o), replica(o));
}, 60_000);

afterAll(async () => {
  for (const r of replicas) await r.drain();
  for (const p of pools) await p.end();
  await t.close();
}, 60_000);

/** A usage charge of `costNanos` with no hold, as a replica's consumer would apply it. */
const charge = (accountId: string, requestId: string, costNanos: bigint): WriteRequest => ({
  accountId,
  cause: { type: 'UsageRecorded', id: requestId },
  causationId: requestId,
  command: (nowMs) => ({
    type: 'ChargeUsage',
    data: {
      requestId,
      model: 'sim/echo-1',
      costNanos,
      priceVersion: 'v1',
      inputTokens: 1,
      outputTokens: 1,
      occurredAtMs: nowMs,
      nowMs,
    },
  }),
});

const LANES = 6;
const HOLDS_PER_LANE = 10; // 60 holds of $0.10; the even ones are released again.
const REPLICA_CHARGES = 100; // per replica, one transaction each, $0.01 each
const KAFKA_CHARGES = 60; // $0.01 each, through the app's own usage consumer

describe('holds on an account that other writers append to at the same time', () => {
  it('answers every hold and release (never 500) and ends with the exact money and events', async () => {
    const acct = 'acct_contended';
    await t.publish(t.topics.payments, [topUpSettled(acct, 'tu_1', '100')]);
    await eventually(async () => {
      const b = await t.http<BalanceView>('GET', `/v1/accounts/${acct}/balance`);
      return b.body.version >= 1 ? true : undefined;
    });

    const answers: { what: string; status: number; body: unknown }[] = [];
    // Each lane places its holds one after the other, releasing every even one right away, so the
    // app's write queue commits many small transactions while the others write.
    const lanes = Array.from({ length: LANES }, async (_, lane) => {
      for (let j = 0; j < HOLDS_PER_LANE; j++) {
        const i = lane * HOLDS_PER_LANE + j;
        const placed = await t.asGateway('POST', `/v1/accounts/${acct}/holds`, {
          body: { holdId: `h_${i}`, amount: '0.1', ttlSeconds: 300 },
        });
        answers.push({ what: `place h_${i}`, status: placed.status, body: placed.body });
        if (i % 2 === 0) {
          const released = await t.asGateway('DELETE', `/v1/accounts/${acct}/holds/h_${i}`);
          answers.push({ what: `release h_${i}`, status: released.status, body: released.body });
        }
      }
    });
    // Each replica writes its charges one transaction at a time: its own cache is always
    // current, which is what made it win every race against a writer re-reading the stream.
    const replicaWrites = replicas.map(async (queue, r) => {
      const kinds: string[] = [];
      for (let j = 0; j < REPLICA_CHARGES; j++) {
        kinds.push((await queue.submit(charge(acct, `rep${r}_${j}`, 10_000_000n))).kind);
      }
      return kinds;
    });
    const consumed = t.publish(
      t.topics.usageRecorded,
      Array.from({ length: KAFKA_CHARGES }, (_, i) =>
        usageRecorded(acct, '0.01', { requestId: `kafka_${i}` }),
      ),
    );
    const settled = await Promise.allSettled([...lanes, ...replicaWrites, consumed]);

    // No writer saw the conflict: every HTTP call answered as the contract says, every replica
    // write was applied.
    expect(answers.filter((a) => a.status !== (a.what.startsWith('place') ? 201 : 200))).toEqual(
      [],
    );
    expect(answers).toHaveLength(LANES * HOLDS_PER_LANE * 1.5);
    expect(settled.filter((s) => s.status === 'rejected')).toEqual([]);
    for (const s of settled.slice(LANES, LANES + replicas.length)) {
      expect(s.status === 'fulfilled' && s.value).toEqual(Array(REPLICA_CHARGES).fill('applied'));
    }

    const charges = 2 * REPLICA_CHARGES + KAFKA_CHARGES; // 260 charges of $0.01: $2.60
    const version = 1 + LANES * HOLDS_PER_LANE * 1.5 + charges;
    const balance = await eventually(async () => {
      const b = await t.http<BalanceView>('GET', `/v1/accounts/${acct}/balance`);
      return b.body.version >= version ? b.body : undefined;
    }, 30_000);
    // $100 - $2.60 of usage; 30 holds of $0.10 still open.
    expect(balance).toMatchObject({ total: '97.4', held: '3', available: '94.4', version });

    const holds = await t.http<HoldListView>('GET', `/v1/accounts/${acct}/holds`);
    expect(holds.body.held).toBe('3');
    expect(holds.body.data.map((h) => h.holdId).sort()).toEqual(
      Array.from({ length: 30 }, (_, k) => `h_${2 * k + 1}`).sort(),
    );
    expect(holds.body.data.every((h) => h.amount === '0.1')).toBe(true);

    // The stream holds exactly these events, once each, in an unbroken chain.
    const types = await t.db.query<{ type: string; n: number }>(
      `SELECT type, count(*)::int AS n FROM "${t.schema}".events
       WHERE stream_id = $1 GROUP BY type ORDER BY type`,
      [`account-${acct}`],
    );
    expect(types.rows).toEqual([
      { type: 'HoldPlaced', n: 60 },
      { type: 'HoldReleased', n: 30 },
      { type: 'TopUpCredited', n: 1 },
      { type: 'UsageCharged', n: charges },
    ]);
    const verified = await t.http<{ ok: boolean; events: number }>(
      'GET',
      `/v1/audit/accounts/${acct}/verify`,
    );
    expect(verified.body).toMatchObject({ ok: true, events: version });
  }, 120_000);

  it('re-decides a hold extension made on a stale state, rather than taking it for a duplicate', async () => {
    // Extensions have no source id: they are keyed by the version they were decided at. A replica
    // extends first, at the version this app's cache still holds; the app's own extension then
    // carries the same key. It must be decided again on the current state (a second extension),
    // not answered as a duplicate that appended nothing (which was a 500).
    const acct = 'acct_stale_extend';
    await t.publish(t.topics.payments, [topUpSettled(acct, 'tu_x', '10')]);
    await eventually(async () => {
      const b = await t.http<BalanceView>('GET', `/v1/accounts/${acct}/balance`);
      return b.body.version >= 1 ? true : undefined;
    });
    const placed = await t.asGateway('POST', `/v1/accounts/${acct}/holds`, {
      body: { holdId: 'h_x', amount: '1', ttlSeconds: 300 },
    });
    expect(placed.status).toBe(201);
    const other = replicas[0];
    if (other === undefined) throw new Error('no replica');
    const byReplica = await other.submit({
      accountId: acct,
      cause: { type: 'ExtendHold', id: 'h_x' },
      command: (nowMs) => ({ type: 'ExtendHold', data: { holdId: 'h_x', ttlSeconds: 600, nowMs } }),
    });
    expect(byReplica.kind).toBe('applied');

    const extended = await t.asGateway('POST', `/v1/accounts/${acct}/holds/h_x/extend`, {
      body: { ttlSeconds: 900 },
    });
    expect(extended.status).toBe(200);
    const types = await t.db.query<{ type: string; version: number }>(
      `SELECT type, version FROM "${t.schema}".events WHERE stream_id = $1 ORDER BY version`,
      [`account-${acct}`],
    );
    expect(types.rows.map((r) => r.type)).toEqual([
      'TopUpCredited',
      'HoldPlaced',
      'HoldExtended',
      'HoldExtended',
    ]);
    const balance = await t.http<BalanceView>('GET', `/v1/accounts/${acct}/balance`);
    expect(balance.body).toMatchObject({ total: '10', held: '1', available: '9', version: 4 });
  }, 60_000);
});
