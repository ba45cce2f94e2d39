import { decodeEvent } from '@billing/contracts';
import { DATABASE_UNAVAILABLE, type ErrorBody } from '@billing/service-kit';
import { eventually, PrivatePostgres, readTopicUntil } from '@billing/testing';
import type { CreatedApiKey } from './commands/create-api-key/create-api-key.command.js';
import type { ApiKeyView } from './queries/api-key-view.js';
import {
  createKeysTestApp,
  testAccount,
  usageRecorded,
  type KeysTestApp,
} from './testing/keys-test-app.js';

// The keys service on a PostgreSQL cluster of its own, restarted with `pg_ctl stop -m immediate`
// while keys are created and usage flows in: the API answers 503 SERVICE.DATABASE_UNAVAILABLE
// meanwhile (no key half-created), /health goes 503 then 200, the usage consumer resumes and
// counts every request once, and the relay publishes the keys created after the restart.

let pgServer: PrivatePostgres;
let t: KeysTestApp;
const sharedUrl = process.env.DATABASE_URL;

beforeAll(async () => {
  pgServer = await PrivatePostgres.create();
  process.env.DATABASE_URL = pgServer.url();
  t = await createKeysTestApp();
}, 120_000);

afterAll(async () => {
  await t?.close().catch(() => undefined);
  await pgServer?.destroy();
  if (sharedUrl === undefined) delete process.env.DATABASE_URL;
  else process.env.DATABASE_URL = sharedUrl;
}, 120_000);

const health = async (): Promise<number> => (await t.http('GET', '/health')).status;

describe('a PostgreSQL restart under keys', () => {
  it('refuses key changes while away, then counts every usage once and publishes new keys', async () => {
    const accountId = testAccount('pgr');
    const token = await t.tokenFor(accountId);
    const base = `/v1/accounts/${accountId}/api-keys`;
    const before = await t.http<CreatedApiKey>('POST', base, { token, body: { name: 'before' } });
    expect(before.status).toBe(201);
    const usage = Array.from({ length: 60 }, (_, i) =>
      usageRecorded(accountId, {
        apiKeyId: before.body.id,
        cost: '0.000000007',
        requestId: `r${i}`,
      }),
    );
    await t.publish(t.topics.usageRecorded, usage.slice(0, 20));

    await pgServer.stop('immediate');
    const stoppedAt = Date.now();
    await t.publish(t.topics.usageRecorded, usage.slice(20, 40));
    expect(await health()).toBe(503);
    const refused = await t.http<ErrorBody>('POST', base, { token, body: { name: 'during' } });
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe(DATABASE_UNAVAILABLE);
    // Nothing secret in the answer: no key, no connection string.
    expect(JSON.stringify(refused.body)).not.toMatch(/sk-|postgres:/);
    await new Promise((r) => setTimeout(r, 2_000));
    await pgServer.start();
    const startedAt = Date.now();
    await eventually(async () => ((await health()) === 200 ? true : undefined), 30_000, 100);
    const healthyAfterMs = Date.now() - startedAt;

    await t.publish(t.topics.usageRecorded, [...usage.slice(40), usage[0]!, usage[25]!]);
    const after = await t.http<CreatedApiKey>('POST', base, { token, body: { name: 'after' } });
    expect(after.status).toBe(201);

    // 60 distinct requests of 7 nano-dollars each: 420 nano-dollars, duplicates not counted.
    const listed = await eventually(
      async () => {
        const res = await t.http<{ data: ApiKeyView[] }>('GET', base, { token });
        const key = res.body.data.find((k) => k.id === before.body.id);
        return key?.used === '0.00000042' ? res.body.data : undefined;
      },
      60_000,
      100,
    );
    const usedAfterMs = Date.now() - startedAt;
    expect(listed.map((k) => k.name).sort()).toEqual(['after', 'before']);
    await new Promise((r) => setTimeout(r, 1_000));
    const settled = await t.http<{ data: ApiKeyView[] }>('GET', base, { token });
    expect(settled.body.data.find((k) => k.id === before.body.id)?.used).toBe('0.00000042');

    // The relay leads again: the key created after the restart is on keys.v1.
    const records = await readTopicUntil(
      t.kafka,
      t.topics.keys,
      (rs) => rs.some((r) => r.value?.includes(after.body.id) === true),
      60_000,
    );
    // At least once: the relay may publish a batch again when the database died before its
    // checkpoint moved (consumers drop the duplicate by envelope id). Exactly the two keys
    // committed, under two envelope ids; the refused one never existed.
    const created = records.flatMap((r) => {
      const decoded = decodeEvent(r.value ?? '', { topic: 'keys.v1' });
      return decoded.ok && decoded.event.accountId === accountId ? [decoded.event] : [];
    });
    expect(created.every((e) => e.type === 'ApiKeyCreated')).toBe(true);
    expect(new Set(created.map((e) => e.id)).size).toBe(2);
    expect(new Set(created.map((e) => e.data.apiKeyId))).toEqual(
      new Set([before.body.id, after.body.id]),
    );

    process.stdout.write(
      `keys: database down ${startedAt - stoppedAt} ms; /health 200 ${healthyAfterMs} ms and ` +
        `all usage counted ${usedAfterMs} ms after the restart\n`,
    );
  }, 180_000);
});
