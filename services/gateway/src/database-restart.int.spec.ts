// The gateway on a PostgreSQL cluster of its own, restarted with `pg_ctl stop -m immediate` while
// requests flow: the process keeps serving, /health goes 503 then 200, requests it cannot record
// are refused with 503 `database_unavailable` before any hold or upstream call, every answered
// request is billed exactly once, and the key cache's LISTEN connection comes back.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { countUnpublished } from '@billing/messaging';
import { eventually, PrivatePostgres } from '@billing/testing';
import {
  createGatewayTestApp,
  keyEvent,
  testAccount,
  type GatewayTestApp,
  type TestKey,
} from './testing/gateway-test-app.js';

let pgServer: PrivatePostgres;
let t: GatewayTestApp;
let key: TestKey;
const sharedUrl = process.env.DATABASE_URL;

beforeAll(async () => {
  pgServer = await PrivatePostgres.create();
  process.env.DATABASE_URL = pgServer.url();
  t = await createGatewayTestApp();
  key = await t.createKey(testAccount());
  t.ledger.setBalance(key.accountId, '10');
}, 120_000);

afterAll(async () => {
  await t?.close().catch(() => undefined);
  await pgServer?.destroy();
  if (sharedUrl === undefined) delete process.env.DATABASE_URL;
  else process.env.DATABASE_URL = sharedUrl;
}, 120_000);

interface Answer {
  readonly status: number;
  readonly requestId: string | null;
  readonly code: string | undefined;
}

async function complete(apiKey = key.key): Promise<Answer> {
  const res = await fetch(`${t.apiBase}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'sim/echo-1', messages: [{ role: 'user', content: 'bill me' }] }),
  });
  const body = (await res.json()) as { error?: { code?: string } };
  return { status: res.status, requestId: res.headers.get('x-request-id'), code: body.error?.code };
}

const health = async (): Promise<number> => (await fetch(`${t.url}/health`)).status;

describe('a PostgreSQL restart under the gateway', () => {
  it('refuses what it cannot record, bills every answered request once, and recovers', async () => {
    const answers: Answer[] = [];
    for (let i = 0; i < 10; i++) answers.push(await complete());
    expect(answers.every((a) => a.status === 200)).toBe(true);

    await pgServer.stop('immediate');
    const stoppedAt = Date.now();
    expect(await health()).toBe(503);
    // Requests while the database is away: the first may be admitted (nothing has failed yet;
    // its usage waits in memory), every one after the outbox's first failed write is refused.
    const during: Answer[] = [];
    for (let i = 0; i < 15; i++) {
      during.push(await complete());
      await new Promise((r) => setTimeout(r, 100));
    }
    answers.push(...during);
    const refused = during.filter((a) => a.status === 503);
    expect(refused.length).toBeGreaterThanOrEqual(13);
    expect(refused.every((a) => a.code === 'database_unavailable')).toBe(true);
    expect(during.every((a) => a.status === 200 || a.status === 503)).toBe(true);

    await new Promise((r) => setTimeout(r, 2_000));
    await pgServer.start();
    const startedAt = Date.now();
    await eventually(async () => ((await health()) === 200 ? true : undefined), 30_000, 100);
    const healthyAfterMs = Date.now() - startedAt;

    // Traffic resumes once the outbox writes again (its backoff is at most 5 s).
    const first = await eventually(
      async () => {
        const a = await complete();
        answers.push(a);
        return a.status === 200 ? a : undefined;
      },
      30_000,
      200,
    );
    const servingAfterMs = Date.now() - startedAt;
    expect(first.status).toBe(200);
    for (let i = 0; i < 10; i++) answers.push(await complete());
    expect(answers.slice(-10).every((a) => a.status === 200)).toBe(true);

    // Exactly once: one hold and one UsageObserved per answered request, none for a refused one.
    const billed = answers.filter((a) => a.status === 200).map((a) => a.requestId);
    const usage = await eventually(async () => {
      const rows = await t.outboxUsage();
      return rows.length >= billed.length ? rows : undefined;
    }, 30_000);
    expect(usage.map((u) => u.data.requestId).sort()).toEqual([...billed].sort());
    expect(t.ledger.placed.map((h) => h.holdId).sort()).toEqual([...billed].sort());
    // The relay took its leadership again and published all of it.
    await eventually(
      async () => ((await countUnpublished(t.db, t.schema)) === 0 ? true : undefined),
      30_000,
    );

    // The key cache listens again: a disable committed after the restart reaches memory.
    await t.publishKeyEvent(
      keyEvent('ApiKeyUpdated', key.accountId, { apiKeyId: key.apiKeyId, status: 'disabled' }),
    );
    await eventually(async () => ((await complete()).status === 401 ? true : undefined), 20_000);

    process.stdout.write(
      `gateway: database down ${startedAt - stoppedAt} ms; /health 200 ${healthyAfterMs} ms and ` +
        `completions 200 ${servingAfterMs} ms after the restart; ${refused.length} refused, ` +
        `${billed.length} billed once\n`,
    );
  }, 180_000);
});
