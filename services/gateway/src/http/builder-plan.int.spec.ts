// Real: PostgreSQL (the counters every instance shares), Kafka (keys events), two gateway
// applications on one schema, their HTTP servers. Stand-ins: the ledger's holds API, metering's
// catalog and the keys service's lookup route (one set per instance). The gateways' clock is the
// real one moved to 5 s into a fresh minute of a fixed week before each burst (it runs on from
// there), so that a burst never straddles two minutes and the week's end is known.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { lookupHash } from '@billing/api-keys';
import { createEvent } from '@billing/contracts';
import { eventually } from '@billing/testing';
import { planWindows, type PlanWindows } from '../domain/index.js';
import { PlanRequestCounts } from '../infrastructure/plan-request-counts.js';
import {
  PEPPER,
  createGatewayTestApp,
  testAccount,
  type GatewayTestApp,
  type TestKey,
} from '../testing/gateway-test-app.js';

const RPM = 15;
const WEEKLY = 40;
let a: GatewayTestApp;
let b: GatewayTestApp;
/** A Wednesday: the week runs to Monday 2030-01-07 00:00 UTC. */
const BASE = Date.parse('2030-01-02T10:00:05.000Z');
let offsetMs = 0;
const now = (): number => Date.now() + offsetMs;
let minutes = 0;
/** Moves the gateways' clock to 5 s into the next minute after BASE; answers that instant. */
const startOfAFreshMinute = (): number => {
  const at = BASE + minutes * 60_000;
  minutes += 1;
  offsetMs = at - Date.now();
  return at;
};

beforeAll(async () => {
  const builderPlan = { requestsPerMinute: RPM, weeklyRequests: WEEKLY, models: 'sim/*' };
  a = await createGatewayTestApp({ nowMs: now, builderPlan });
  // A second instance of the same gateway: the same schema (keys table, counters, outbox) and the
  // same keys topic, its own consumer group, HTTP server and stand-ins.
  b = await createGatewayTestApp({
    nowMs: now,
    builderPlan,
    schema: a.schema,
    topics: a.topics,
  });
}, 90_000);

afterAll(async () => {
  await b?.close();
  await a?.close();
});

/** A key as the keys service issues it, on the shared keys topic; waits until both caches have it. */
async function createKey(accountId: string, plan: 'payg' | 'builder'): Promise<TestKey> {
  const key = await a.createKey(accountId, { plan });
  await eventually(() => b.keys.lookup(lookupHash(key.key, PEPPER)), 15_000, 20);
  return key;
}

interface Answer {
  readonly status: number;
  readonly retryAfter: string | null;
  readonly requestId: string | null;
  readonly body: { error?: { message: string; type: string; param: string | null; code: string } };
}

async function call(app: GatewayTestApp, apiKey: string, model = 'sim/echo-mini'): Promise<Answer> {
  const res = await fetch(`${app.apiBase}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }),
  });
  return {
    status: res.status,
    retryAfter: res.headers.get('retry-after'),
    requestId: res.headers.get('x-request-id'),
    body: (await res.json()) as Answer['body'],
  };
}

/** `n` requests at once, alternating between the two instances. */
const burst = (apiKey: string, n: number): Promise<Answer[]> =>
  Promise.all(Array.from({ length: n }, (_, i) => call(i % 2 === 0 ? a : b, apiKey)));

const statusCounts = (answers: readonly Answer[]): Record<number, number> =>
  answers.reduce<Record<number, number>>((acc, x) => {
    acc[x.status] = (acc[x.status] ?? 0) + 1;
    return acc;
  }, {});

describe('Builder plan keys over two gateway instances sharing PostgreSQL', () => {
  it('admits exactly BUILDER_RPM of 40 concurrent requests over both instances; the rest get 429 with Retry-After to the minute end', async () => {
    const account = testAccount();
    const key = await createKey(account, 'builder');
    const at = startOfAFreshMinute();

    const answers = await burst(key.key, 40);

    expect(statusCounts(answers)).toEqual({ 200: RPM, 429: 40 - RPM });
    const windowEnd = planWindows(at).minute.endMs;
    for (const x of answers.filter((y) => y.status === 429)) {
      expect(x.body.error).toMatchObject({
        type: 'requests',
        param: null,
        code: 'rate_limit_exceeded',
      });
      // 55 s left at the burst's start; a slow machine may have moved a few seconds on.
      const retryAfter = Number(x.retryAfter);
      expect(retryAfter).toBeLessThanOrEqual(Math.ceil((windowEnd - at) / 1000));
      expect(retryAfter).toBeGreaterThanOrEqual(Math.ceil((windowEnd - now()) / 1000));
    }
    // Both instances admitted some: the limit is the shared one, not one per process.
    const admittedBy = (i: number) =>
      answers.filter((x, j) => j % 2 === i && x.status === 200).length;
    expect(admittedBy(0) + admittedBy(1)).toBe(RPM);
    const { rows } = await a.db.query<{ window_kind: string; requests: number }>(
      `SELECT window_kind, requests FROM ${a.schema}.plan_request_counts
        WHERE api_key_id = $1 ORDER BY window_kind`,
      [key.apiKeyId],
    );
    expect(rows).toEqual([
      { window_kind: 'minute', requests: RPM },
      { window_kind: 'week', requests: RPM },
    ]);
    // No hold on either ledger, and the usage goes out as the subscription's, with no hold id.
    expect([...a.ledger.placed, ...b.ledger.placed].filter((h) => h.accountId === account)).toEqual(
      [],
    );
    const admitted = answers.filter((x) => x.status === 200);
    for (const x of admitted) {
      const usage = await eventually(async () =>
        [...(await a.outboxUsage())].find((e) => e.data.requestId === x.requestId),
      );
      expect(usage.data.plan).toBe('builder');
      expect(usage.data.holdId).toBeUndefined();
      expect(usage.data.apiKeyId).toBe(key.apiKeyId);
      expect(usage.data.status).toBe('succeeded');
    }
  });

  it('given 15 requests this week already, admits 25 more over the next two minutes and refuses the 41st with 429 weekly_limit_exceeded', async () => {
    const account = testAccount();
    const key = await createKey(account, 'builder');
    let at = startOfAFreshMinute();
    const weekEnd = planWindows(at).week.endMs;
    expect(weekEnd).toBe(Date.parse('2030-01-07T00:00:00.000Z'));
    expect(statusCounts(await burst(key.key, RPM))).toEqual({ 200: RPM });
    at = startOfAFreshMinute();
    expect(statusCounts(await burst(key.key, RPM))).toEqual({ 200: RPM });
    at = startOfAFreshMinute();
    const third = await burst(key.key, RPM);
    expect(statusCounts(third)).toEqual({ 200: WEEKLY - 2 * RPM, 429: 3 * RPM - WEEKLY });
    for (const x of third.filter((y) => y.status === 429)) {
      expect(x.body.error?.code).toBe('weekly_limit_exceeded');
      expect(Number(x.retryAfter)).toBeLessThanOrEqual(Math.ceil((weekEnd - at) / 1000));
      expect(Number(x.retryAfter)).toBeGreaterThan(Math.ceil((weekEnd - at) / 1000) - 30);
    }
  });

  it('refuses a model outside the plan with 403 model_not_in_plan, counting nothing', async () => {
    const key = await createKey(testAccount(), 'builder');
    startOfAFreshMinute();
    const answer = await call(b, key.key, 'up/echo');
    expect(answer.status).toBe(403);
    expect(answer.body).toEqual({
      error: {
        message:
          'The model `up/echo` is not included in the Builder plan of this API key; ' +
          'call it with a pay-as-you-go key.',
        type: 'invalid_request_error',
        param: 'model',
        code: 'model_not_in_plan',
      },
    });
    const { rows } = await a.db.query(
      `SELECT 1 FROM ${a.schema}.plan_request_counts WHERE api_key_id = $1`,
      [key.apiKeyId],
    );
    expect(rows).toHaveLength(0);
  });

  it("lists only the plan's models to a builder key, and every callable model to a pay-as-you-go key", async () => {
    const account = testAccount();
    const builder = await createKey(account, 'builder');
    const payg = await createKey(account, 'payg');
    const list = async (apiKey: string, path = '/models') => {
      const res = await fetch(`${b.apiBase}${path}`, {
        headers: { authorization: `Bearer ${apiKey}` },
      });
      return {
        status: res.status,
        body: (await res.json()) as { data?: { id: string }[]; id?: string },
      };
    };
    const all = (await list(payg.key)).body.data?.map((m) => m.id) ?? [];
    expect(all).toContain('up/echo');
    expect(all.filter((id) => id.startsWith('sim/')).length).toBeGreaterThan(0);
    const planned = (await list(builder.key)).body.data?.map((m) => m.id);
    expect(planned).toEqual(all.filter((id) => id.startsWith('sim/')));
    expect(await list(builder.key, '/models/sim/echo-mini')).toMatchObject({
      status: 200,
      body: { id: 'sim/echo-mini' },
    });
    expect(await list(builder.key, '/models/up/echo')).toMatchObject({
      status: 403,
      body: { error: { code: 'model_not_in_plan', param: 'model' } },
    });
    expect((await list(payg.key, '/models/up/echo')).status).toBe(200);
  });

  it('refuses an issued builder key with 403 builder_subscription_inactive on both instances once its subscription ended (ApiKeySubscriptionChanged), and admits it again when renewed', async () => {
    const key = await createKey(testAccount(), 'builder');
    const subscription = (active: boolean) =>
      a.publishKeyEvent(
        createEvent({
          type: 'ApiKeySubscriptionChanged',
          id: randomUUID(),
          accountId: key.accountId,
          source: 'keys',
          occurredAt: new Date(),
          data: { apiKeyId: key.apiKeyId, active },
        }),
      );
    const hash = lookupHash(key.key, PEPPER);
    await subscription(false);
    await eventually(
      () =>
        (a.keys.lookup(hash)?.subscriptionActive === false &&
          b.keys.lookup(hash)?.subscriptionActive === false) ||
        undefined,
      15_000,
      20,
    );
    startOfAFreshMinute();
    for (const app of [a, b]) {
      const answer = await call(app, key.key);
      expect(answer.status).toBe(403);
      expect(answer.body).toEqual({
        error: {
          message:
            "This Builder plan API key's subscription is not active: renew the account's Builder subscription, or use a pay-as-you-go key.",
          type: 'invalid_request_error',
          param: null,
          code: 'builder_subscription_inactive',
        },
      });
    }
    // Refused before admission: nothing counted against the plan's limits.
    const { rows } = await a.db.query(
      `SELECT 1 FROM ${a.schema}.plan_request_counts WHERE api_key_id = $1`,
      [key.apiKeyId],
    );
    expect(rows).toHaveLength(0);

    await subscription(true);
    await eventually(() => b.keys.lookup(hash)?.subscriptionActive || undefined, 15_000, 20);
    expect((await call(b, key.key)).status).toBe(200);
  });

  it('never throttles a pay-as-you-go key under the same load: 40 of 40 admitted, each with its hold', async () => {
    const account = testAccount();
    a.ledger.setBalance(account, '100');
    b.ledger.setBalance(account, '100');
    const key = await createKey(account, 'payg');
    startOfAFreshMinute();

    const answers = await burst(key.key, 40);

    expect(statusCounts(answers)).toEqual({ 200: 40 });
    const holds = [...a.ledger.placed, ...b.ledger.placed].filter((h) => h.accountId === account);
    expect(holds).toHaveLength(40);
    const { rows } = await a.db.query(
      `SELECT 1 FROM ${a.schema}.plan_request_counts WHERE api_key_id = $1`,
      [key.apiKeyId],
    );
    expect(rows).toHaveLength(0);
  });

  it("measures the counter's cost per builder request (one transaction, two upserts)", async () => {
    const counts = new PlanRequestCounts(a.db, a.schema);
    const windows: PlanWindows = planWindows(Date.now());
    const limits = { minute: 1_000_000, week: 1_000_000 };
    for (let i = 0; i < 20; i += 1) await counts.count(`key_warm_${i % 2}`, windows, limits);
    const n = 300;
    const started = process.hrtime.bigint();
    for (let i = 0; i < n; i += 1) await counts.count('key_measure', windows, limits);
    const perRequestMs = Number(process.hrtime.bigint() - started) / 1e6 / n;
    const refusedStarted = process.hrtime.bigint();
    for (let i = 0; i < n; i += 1) {
      await counts.count('key_measure', windows, { minute: 1, week: 1_000_000 });
    }
    const perRefusalMs = Number(process.hrtime.bigint() - refusedStarted) / 1e6 / n;
    // For scale: one round trip to the same database (the counter makes four).
    const pingStarted = process.hrtime.bigint();
    for (let i = 0; i < n; i += 1) await a.db.query('SELECT 1');
    const pingMs = Number(process.hrtime.bigint() - pingStarted) / 1e6 / n;
    process.stdout.write(
      `plan limiter: ${perRequestMs.toFixed(3)} ms per admitted request, ` +
        `${perRefusalMs.toFixed(3)} ms per refused one; one SELECT 1 round trip ` +
        `${pingMs.toFixed(3)} ms (${n} sequential, this machine)\n`,
    );
    const { rows } = await a.db.query<{ requests: number }>(
      `SELECT requests FROM ${a.schema}.plan_request_counts
        WHERE api_key_id = 'key_measure' AND window_kind = 'minute'`,
    );
    expect(rows[0]?.requests).toBe(n);
    expect(perRequestMs).toBeLessThan(50);
  });
});
