import { randomUUID } from 'node:crypto';
import { decodeEvent, type UsageObservedData } from '@billing/contracts';
import { eventually, readTopicUntil } from '@billing/testing';
import { Decimal } from 'decimal.js';
import { DEFAULT_MODELS, type UsdPricesPerMillionTokens } from '../../domain/index.js';
import {
  createMeteringTestApp,
  recordedInOutbox,
  testAccount,
  usageObserved,
  type MeteringTestApp,
} from '../../testing/metering-test-app.js';
import type { UsageRecordResult } from './record-usage.command.js';

// Pricing and recording through the running service, from Kafka and from HTTP, against the real
// PostgreSQL and Kafka: every cost is checked against an independent decimal.js computation on
// the catalog's USD strings (no libs/money), and each request is recorded exactly once.

let t: MeteringTestApp;

beforeAll(async () => {
  t = await createMeteringTestApp();
}, 60_000);

afterAll(async () => {
  await t.close();
}, 60_000);

const Exact = Decimal.clone({ precision: 80 });

/** decimal.js: Σ price × tokens / 1e6, rounded once, half-up, to 9 decimals; as a plain string. */
function referenceCost(usd: UsdPricesPerMillionTokens, usage: UsageObservedData): string {
  const cached = usage.cachedInputTokens ?? 0;
  const cacheWrite = usage.cacheWriteTokens ?? 0;
  const perMillion = new Exact(usd.input)
    .times(usage.inputTokens - cached - cacheWrite)
    .plus(new Exact(usd.cachedInput ?? usd.input).times(cached))
    .plus(new Exact(usd.cacheWrite ?? usd.input).times(cacheWrite))
    .plus(new Exact(usd.output).times(usage.outputTokens));
  return perMillion.dividedBy(1_000_000).toDecimalPlaces(9, Decimal.ROUND_HALF_UP).toFixed();
}

/** Token mixes that exercise every price, rounding up and down, zeros and large counts. */
const MIXES: readonly Partial<UsageObservedData>[] = [
  { inputTokens: 1, outputTokens: 0 },
  { inputTokens: 0, outputTokens: 1 },
  { inputTokens: 7, outputTokens: 3, cachedInputTokens: 5 },
  { inputTokens: 333, outputTokens: 77, cacheWriteTokens: 333 },
  { inputTokens: 12_345, outputTokens: 6_789, cachedInputTokens: 4_321, cacheWriteTokens: 1_111 },
  { inputTokens: 987_654_321, outputTokens: 123_456_789, cachedInputTokens: 500_000_001 },
  { inputTokens: 2_001, outputTokens: 999, reasoningTokens: 998, cachedInputTokens: 1 },
  { inputTokens: 0, outputTokens: 0, status: 'failed' },
];

interface LogRow {
  request_id: string;
  cost_nano_usd: string;
  price_version: string;
  latency_ms: string;
}

async function logRows(accountId: string): Promise<Map<string, LogRow>> {
  const { rows } = await t.db.query<LogRow>(
    `SELECT request_id, cost_nano_usd, price_version, latency_ms
       FROM ${t.schema}.request_log WHERE account_id = $1`,
    [accountId],
  );
  return new Map(rows.map((r) => [r.request_id, r]));
}

const nanosToUsd = (nanos: string): string => new Exact(nanos).dividedBy(1e9).toFixed();

describe('UsageObserved from Kafka', () => {
  it('prices every default model and every token type to the nano-dollar, as decimal.js does', async () => {
    const accountId = testAccount();
    const events = DEFAULT_MODELS.flatMap((model) =>
      MIXES.map((mix) => usageObserved(accountId, { model: model.modelId, ...mix })),
    );
    await t.observe(events);
    const rows = await eventually(async () => {
      const r = await logRows(accountId);
      return r.size === events.length ? r : undefined;
    }, 30_000);
    const recorded = new Map(
      (await recordedInOutbox(t, accountId)).map((e) => [e.data.requestId, e]),
    );
    expect(recorded.size).toBe(events.length);
    for (const event of events) {
      const model = DEFAULT_MODELS.find((m) => m.modelId === event.data.model);
      if (model === undefined) throw new Error('unknown model in the test');
      const expected = referenceCost(model.usdPerMillionTokens, event.data);
      const row = rows.get(event.data.requestId);
      const out = recorded.get(event.data.requestId);
      expect([event.data.model, nanosToUsd(row?.cost_nano_usd ?? 'NaN')]).toEqual([
        event.data.model,
        expected,
      ]);
      expect(new Exact(out?.data.cost ?? 'NaN').toFixed()).toBe(expected);
      expect(out?.data.priceVersion).toBe(`${model.modelId}@2025-01-01T00:00:00.000Z`);
      expect(row?.price_version).toBe(out?.data.priceVersion);
      // The unit prices of that version, cache prices defaulting to the input price.
      const usd = model.usdPerMillionTokens;
      expect(out?.data.pricesPerMillionTokens).toEqual({
        input: usd.input,
        output: usd.output,
        cachedInput: usd.cachedInput ?? usd.input,
        cacheWrite: usd.cacheWrite ?? usd.input,
      });
    }
  }, 60_000);

  it('emits one UsageRecorded per request, caused by the UsageObserved, carrying all its fields', async () => {
    const accountId = testAccount();
    const observed = usageObserved(accountId, {
      apiKeyId: 'key_abc',
      model: 'openai/gpt-5',
      inputTokens: 2_000,
      cachedInputTokens: 1_500,
      outputTokens: 300,
      reasoningTokens: 120,
      estimated: true,
      holdId: 'hold_1',
      startedAt: '2026-06-01T12:00:00.000Z',
      completedAt: '2026-06-01T12:00:02.345Z',
    });
    await t.observe([observed]);
    const records = await readTopicUntil(t.kafka, t.topics.usageRecorded, (rs) =>
      rs.some((r) => r.key === accountId),
    );
    const mine = records.filter((r) => r.key === accountId);
    expect(mine).toHaveLength(1);
    const decoded = decodeEvent(mine[0]?.value ?? '', { topic: 'usage.recorded.v1' });
    if (!decoded.ok) throw new Error(decoded.reason);
    // 500 × 1.25 + 1500 × 0.125 + 300 × 10 per million = 0.0038125 USD.
    expect(decoded.event).toMatchObject({
      type: 'UsageRecorded',
      accountId,
      source: 'metering',
      causationId: observed.id,
      data: {
        ...observed.data,
        cost: '0.0038125',
        priceVersion: 'openai/gpt-5@2025-01-01T00:00:00.000Z',
        pricesPerMillionTokens: {
          input: '1.25',
          output: '10',
          cachedInput: '0.125',
          cacheWrite: '1.25',
        },
      },
    });
    const row = (await logRows(accountId)).get(observed.data.requestId);
    expect(row?.latency_ms).toBe('2345');
  }, 30_000);

  it('records a request once when it is delivered twice and observed again under another event id', async () => {
    const accountId = testAccount();
    const first = usageObserved(accountId, { model: 'sim/echo-mini' });
    const again = usageObserved(accountId, first.data); // same usage, new envelope id
    const marker = usageObserved(accountId, { model: 'sim/echo-mini' });
    await t.observe([first, first, again]);
    await t.observe([again, marker]);
    await eventually(async () =>
      (await logRows(accountId)).has(marker.data.requestId) ? true : undefined,
    );
    const rows = await logRows(accountId);
    expect([...rows.keys()].sort()).toEqual([first.data.requestId, marker.data.requestId].sort());
    const recorded = await recordedInOutbox(t, accountId);
    expect(recorded.map((e) => [e.data.requestId, e.causationId])).toEqual([
      [first.data.requestId, first.id],
      [marker.data.requestId, marker.id],
    ]);
  }, 30_000);

  it('dead-letters a requestId observed again with different usage, keeping the first recording', async () => {
    const accountId = testAccount();
    const first = usageObserved(accountId, { outputTokens: 10 });
    const changed = usageObserved(accountId, { ...first.data, outputTokens: 11 });
    const after = usageObserved(accountId);
    await t.observe([first, changed, after]);
    const dlq = await readTopicUntil(t.kafka, `${t.topics.usageObserved}.dlq`, (rs) =>
      rs.some((r) => r.headers['x-message-id'] === changed.id),
    );
    const letter = dlq.find((r) => r.headers['x-message-id'] === changed.id);
    expect(letter?.headers['x-dlq-reason']).toBe('handler_failed');
    expect(letter?.headers['x-dlq-error']).toContain('METERING.REQUEST_ID_CONFLICT');
    await eventually(async () => ((await logRows(accountId)).size === 2 ? true : undefined));
    const recorded = await recordedInOutbox(t, accountId);
    expect(recorded.map((e) => [e.data.requestId, e.data.outputTokens])).toEqual([
      [first.data.requestId, 10],
      [after.data.requestId, 500],
    ]);
  }, 30_000);
});

describe('POST /v1/usage', () => {
  const body = (accountId: string, data: readonly Partial<UsageObservedData>[]) => ({
    events: data.map((d) => ({ accountId, ...usageObserved(accountId, d).data })),
  });

  it('prices and records a batch (202), exactly as decimal.js does, and a resent batch is all duplicates', async () => {
    const accountId = testAccount();
    const models = ['anthropic/claude-sonnet-4.5', 'google/gemini-2.5-pro', 'openai/gpt-5-mini'];
    const request = body(
      accountId,
      models.flatMap((model) => MIXES.slice(2, 6).map((mix) => ({ model, ...mix }))),
    );
    const res = await t.http<{ results: UsageRecordResult[] }>('POST', '/v1/usage', {
      body: request,
    });
    expect(res.status).toBe(202);
    expect(res.body.results).toHaveLength(request.events.length);
    request.events.forEach((event, i) => {
      const model = DEFAULT_MODELS.find((m) => m.modelId === event.model);
      if (model === undefined) throw new Error('unknown model in the test');
      expect(res.body.results[i]).toEqual({
        requestId: event.requestId,
        outcome: 'recorded',
        cost: new Exact(referenceCost(model.usdPerMillionTokens, event)).toFixed(),
        priceVersion: `${model.modelId}@2025-01-01T00:00:00.000Z`,
      });
    });

    const again = await t.http<{ results: UsageRecordResult[] }>('POST', '/v1/usage', {
      body: request,
    });
    expect(again.status).toBe(202);
    expect(again.body.results.every((r) => r.outcome === 'duplicate')).toBe(true);
    expect(await recordedInOutbox(t, accountId)).toHaveLength(request.events.length);
    expect((await logRows(accountId)).size).toBe(request.events.length);
  });

  it('records the same requestId twice in one batch once', async () => {
    const accountId = testAccount();
    const one = body(accountId, [{}]).events[0];
    const res = await t.http<{ results: UsageRecordResult[] }>('POST', '/v1/usage', {
      body: { events: [one, one] },
    });
    expect(res.body.results.map((r) => r.outcome)).toEqual(['recorded', 'duplicate']);
    expect(await recordedInOutbox(t, accountId)).toHaveLength(1);
  });

  it('refuses the whole batch with 400 when one event names an unknown model, recording nothing', async () => {
    const accountId = testAccount();
    const request = body(accountId, [
      {},
      { model: 'acme/unknown-9' },
      { inputTokens: 5, cachedInputTokens: 6 },
    ]);
    const res = await t.http<{ error: { code: string; message: string } }>('POST', '/v1/usage', {
      body: request,
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('METERING.UNKNOWN_MODEL');
    expect(res.body.error.message).toContain('events[1]');
    expect(res.body.error.message).toContain('acme/unknown-9');
    expect(res.body.error.message).toContain('events[2]');
    expect(res.body.error.message).toContain('METERING.INVALID_USAGE');
    expect((await logRows(accountId)).size).toBe(0);
    expect(await recordedInOutbox(t, accountId)).toEqual([]);
  });

  it('refuses events that break the contract with 400 VALIDATION_FAILED, naming each', async () => {
    const accountId = testAccount();
    const res = await t.http<{ error: { code: string; message: string } }>('POST', '/v1/usage', {
      body: {
        events: [
          { ...body(accountId, [{}]).events[0], inputTokens: '12' },
          { ...body(accountId, [{}]).events[0], accountId: 'bad id!' },
          'not an object',
        ],
      },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.message).toMatch(/events\[0\].*inputTokens/);
    expect(res.body.error.message).toMatch(/events\[1\].*accountId/);
    expect(res.body.error.message).toContain('events[2]: must be an object');
  });

  it('answers 409 for a requestId recorded before with different usage, and records nothing of the batch', async () => {
    const accountId = testAccount();
    const [first] = body(accountId, [{ outputTokens: 1 }]).events;
    if (first === undefined) throw new Error('no event');
    await t.http('POST', '/v1/usage', { body: { events: [first] } });
    const fresh = body(accountId, [{}]).events[0];
    const res = await t.http<{ error: { code: string; message: string } }>('POST', '/v1/usage', {
      body: { events: [fresh, { ...first, outputTokens: 2 }] },
    });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('METERING.REQUEST_ID_CONFLICT');
    expect(res.body.error.message).toContain(first.requestId);
    expect([...(await logRows(accountId)).keys()]).toEqual([first.requestId]);
  });

  it('is for internal services only: an account token gets 403, no token 401', async () => {
    const accountId = testAccount();
    const request = body(accountId, [{}]);
    const withAccount = await t.http('POST', '/v1/usage', {
      token: await t.tokenFor(accountId),
      body: request,
    });
    const anonymous = await fetch(`${t.baseUrl}/v1/usage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(request),
    });
    expect(withAccount.status).toBe(403);
    expect(anonymous.status).toBe(401);
    expect((await logRows(accountId)).size).toBe(0);
  });

  it('refuses an empty batch and one over 250 events', async () => {
    const empty = await t.http('POST', '/v1/usage', { body: { events: [] } });
    const accountId = testAccount();
    const event = body(accountId, [{}]).events[0];
    const huge = await t.http('POST', '/v1/usage', {
      body: { events: Array.from({ length: 251 }, () => ({ ...event, requestId: randomUUID() })) },
    });
    expect([empty.status, huge.status]).toEqual([400, 400]);
  });
});

describe('UsageObserved of a Builder plan key', () => {
  it('is recorded with cost 0 and no unit prices (the subscription pays), while the same usage of a pay-as-you-go key is priced', async () => {
    const accountId = testAccount();
    const usage = { model: 'sim/echo-1', inputTokens: 12_345, outputTokens: 678 };
    const builder = usageObserved(accountId, { ...usage, plan: 'builder' });
    const payg = usageObserved(accountId, usage);
    await t.observe([builder, payg]);
    const rows = await eventually(async () => {
      const r = await logRows(accountId);
      return r.size === 2 ? r : undefined;
    }, 30_000);
    const recorded = new Map(
      (await recordedInOutbox(t, accountId)).map((e) => [e.data.requestId, e]),
    );

    expect(rows.get(builder.data.requestId)?.cost_nano_usd).toBe('0');
    const builderRecorded = recorded.get(builder.data.requestId);
    expect(builderRecorded?.data).toMatchObject({ cost: '0', plan: 'builder' });
    expect(builderRecorded?.data.pricesPerMillionTokens).toBeUndefined();

    const model = DEFAULT_MODELS.find((m) => m.modelId === 'sim/echo-1');
    if (model === undefined) throw new Error('sim/echo-1 is not a default model');
    const paygRecorded = recorded.get(payg.data.requestId);
    expect(paygRecorded?.data.cost).toBe(referenceCost(model.usdPerMillionTokens, payg.data));
    expect(paygRecorded?.data.cost).not.toBe('0');
    expect(paygRecorded?.data.plan).toBeUndefined();
  });
});
