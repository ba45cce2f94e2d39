import { DATABASE_UNAVAILABLE, type ErrorBody } from '@billing/service-kit';
import { eventually, PrivatePostgres, readTopicUntil } from '@billing/testing';
import type { BalanceView } from './queries/get-balance/get-balance.query.js';
import {
  createLedgerTestApp,
  topUpSettled,
  usageRecorded,
  type LedgerTestApp,
} from './testing/ledger-test-app.js';

// The ledger on a PostgreSQL cluster of its own, restarted with `pg_ctl stop -m immediate` while
// usage flows in: the process keeps running, /health goes 503 then 200, queries answer 503
// SERVICE.DATABASE_UNAVAILABLE meanwhile, every usage event is applied exactly once, and the
// outbox relay takes its leadership again (ledger.v1 carries the changes made after the restart).

let pgServer: PrivatePostgres;
let t: LedgerTestApp;
const sharedUrl = process.env.DATABASE_URL;

beforeAll(async () => {
  pgServer = await PrivatePostgres.create();
  process.env.DATABASE_URL = pgServer.url();
  t = await createLedgerTestApp();
}, 120_000);

afterAll(async () => {
  await t?.close().catch(() => undefined);
  await pgServer?.destroy();
  if (sharedUrl === undefined) delete process.env.DATABASE_URL;
  else process.env.DATABASE_URL = sharedUrl;
}, 120_000);

const ACCOUNT = 'acct_pg_restart';
const balance = (): Promise<BalanceView> =>
  t.http<BalanceView>('GET', `/v1/accounts/${ACCOUNT}/balance`).then((r) => r.body);
const health = (): Promise<number> => t.http('GET', '/health').then((r) => r.status);

describe('a PostgreSQL restart under the ledger', () => {
  it('stops nothing: 503 while away, every usage applied once after, and the relay leads again', async () => {
    await t.publish(t.topics.payments, [topUpSettled(ACCOUNT, 'tu_restart', '100')]);
    await eventually(async () => ((await balance()).version >= 1 ? true : undefined), 30_000);

    // 40 charges of $0.01 before the outage, 40 during it, 40 after: 120 requests, $1.20.
    const usage = Array.from({ length: 120 }, (_, i) =>
      usageRecorded(ACCOUNT, '0.01', { requestId: `req_restart_${i}` }),
    );
    await t.publish(t.topics.usageRecorded, usage.slice(0, 40));
    await eventually(async () => ((await balance()).version >= 41 ? true : undefined), 30_000);

    await pgServer.stop('immediate');
    const stoppedAt = Date.now();
    // Published while the database is away: the consumer cannot apply them and must retry.
    await t.publish(t.topics.usageRecorded, usage.slice(40, 80));
    expect(await health()).toBe(503);
    const during = await t.http<ErrorBody>('GET', `/v1/accounts/${ACCOUNT}/balance`);
    expect(during.status).toBe(503);
    expect(during.body.error.code).toBe(DATABASE_UNAVAILABLE);
    expect(during.headers.get('retry-after')).toBe('2');
    // An outage of a few seconds, long enough for every loop to fail and back off.
    await new Promise((r) => setTimeout(r, 3_000));
    await pgServer.start();
    const startedAt = Date.now();

    await eventually(async () => ((await health()) === 200 ? true : undefined), 30_000, 100);
    const healthyAfterMs = Date.now() - startedAt;
    await t.publish(t.topics.usageRecorded, usage.slice(80));
    // Duplicates of events applied before, during and after the outage (a producer retry).
    await t.publish(t.topics.usageRecorded, [usage[5]!, usage[45]!, usage[85]!]);

    const final = await eventually(
      async () => {
        const b = await balance();
        return b.version >= 121 ? b : undefined;
      },
      60_000,
      100,
    );
    const appliedAfterMs = Date.now() - startedAt;
    expect(final).toMatchObject({
      total: '98.8',
      topUp: '98.8',
      held: '0',
      available: '98.8',
      version: 121,
    });
    // Exactly once: one charge event per request id in the event store, none twice.
    const charges = await t.db.query<{ n: string; distinct_requests: string }>(
      `SELECT count(*) AS n, count(DISTINCT data->>'requestId') AS distinct_requests
         FROM "${t.schema}".events WHERE stream_id = $1 AND type = 'UsageCharged'`,
      [`account-${ACCOUNT}`],
    );
    expect(charges.rows[0]).toEqual({ n: '120', distinct_requests: '120' });

    // The relay re-took its advisory lock on a new connection: the BalanceChanged of the last
    // charge, made after the restart, is on ledger.v1.
    const records = await readTopicUntil(
      t.kafka,
      t.topics.ledger,
      (rs) => rs.some((r) => r.value?.includes('"version":121') === true),
      60_000,
    );
    const last = records
      .map((r) => JSON.parse(r.value ?? '{}') as { data?: { version?: number; total?: string } })
      .find((e) => e.data?.version === 121);
    expect(last?.data?.total).toBe('98.8');

    process.stdout.write(
      `ledger: database down ${startedAt - stoppedAt} ms; /health 200 ${healthyAfterMs} ms and ` +
        `all usage applied ${appliedAfterMs} ms after the restart\n`,
    );
  }, 180_000);
});
