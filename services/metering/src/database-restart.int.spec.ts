import { DATABASE_UNAVAILABLE, type ErrorBody } from '@billing/service-kit';
import { eventually, PrivatePostgres, readTopicUntil } from '@billing/testing';
import {
  createMeteringTestApp,
  recordedInOutbox,
  testAccount,
  usageObserved,
  type MeteringTestApp,
} from './testing/metering-test-app.js';

// Metering on a PostgreSQL cluster of its own, restarted with `pg_ctl stop -m immediate` while
// UsageObserved flows in: the consumer keeps retrying instead of exiting, /health goes 503 then
// 200, every request is priced and recorded exactly once at the same price, and the outbox relay
// publishes the UsageRecorded of the requests consumed after the restart.

let pgServer: PrivatePostgres;
let t: MeteringTestApp;
const sharedUrl = process.env.DATABASE_URL;

beforeAll(async () => {
  pgServer = await PrivatePostgres.create();
  process.env.DATABASE_URL = pgServer.url();
  t = await createMeteringTestApp();
}, 120_000);

afterAll(async () => {
  await t?.close().catch(() => undefined);
  await pgServer?.destroy();
  if (sharedUrl === undefined) delete process.env.DATABASE_URL;
  else process.env.DATABASE_URL = sharedUrl;
}, 120_000);

const health = async (): Promise<number> => (await t.http('GET', '/health')).status;

async function requestLog(accountId: string): Promise<{ request_id: string; cost: string }[]> {
  const { rows } = await t.db.query<{ request_id: string; cost: string }>(
    `SELECT request_id, cost_nano_usd::text AS cost FROM ${t.schema}.request_log WHERE account_id = $1`,
    [accountId],
  );
  return rows;
}

describe('a PostgreSQL restart under metering', () => {
  it('prices every usage event once, at one price, across the restart', async () => {
    const accountId = testAccount('pgr');
    const usage = Array.from({ length: 90 }, () => usageObserved(accountId));
    await t.observe(usage.slice(0, 30));
    await eventually(async () => ((await requestLog(accountId)).length >= 30 ? true : undefined));

    await pgServer.stop('immediate');
    const stoppedAt = Date.now();
    await t.observe(usage.slice(30, 60));
    expect(await health()).toBe(503);
    const during = await t.http<ErrorBody>('GET', `/v1/accounts/${accountId}/requests`);
    expect(during.status).toBe(503);
    expect(during.body.error.code).toBe(DATABASE_UNAVAILABLE);
    await new Promise((r) => setTimeout(r, 2_000));
    await pgServer.start();
    const startedAt = Date.now();
    await eventually(async () => ((await health()) === 200 ? true : undefined), 30_000, 100);
    const healthyAfterMs = Date.now() - startedAt;
    await t.observe(usage.slice(60));
    // A gateway retry re-publishes some of them (the same envelope ids).
    await t.observe([usage[3]!, usage[33]!, usage[63]!]);

    const log = await eventually(
      async () => {
        const rows = await requestLog(accountId);
        return rows.length >= 90 ? rows : undefined;
      },
      60_000,
      100,
    );
    const pricedAfterMs = Date.now() - startedAt;
    expect(log).toHaveLength(90);
    expect(new Set(log.map((r) => r.request_id))).toEqual(
      new Set(usage.map((u) => u.data.requestId)),
    );
    // 1,000 input and 500 output tokens of sim/echo-1 cost the same before, during and after.
    expect(new Set(log.map((r) => r.cost)).size).toBe(1);
    expect(BigInt(log[0]!.cost)).toBeGreaterThan(0n);

    const recorded = await recordedInOutbox(t, accountId);
    expect(recorded).toHaveLength(90);
    const wanted = new Set(usage.map((u) => u.data.requestId));
    const published = await readTopicUntil(
      t.kafka,
      t.topics.usageRecorded,
      (rs) => new Set(rs.filter((r) => r.key === accountId).map((r) => r.value)).size >= 90,
      60_000,
    );
    const publishedIds = new Set(
      published
        .filter((r) => r.key === accountId)
        .map(
          (r) => (JSON.parse(r.value ?? '{}') as { data: { requestId: string } }).data.requestId,
        ),
    );
    expect(publishedIds).toEqual(wanted);

    process.stdout.write(
      `metering: database down ${startedAt - stoppedAt} ms; /health 200 ${healthyAfterMs} ms and ` +
        `all usage priced ${pricedAfterMs} ms after the restart\n`,
    );
  }, 180_000);
});
