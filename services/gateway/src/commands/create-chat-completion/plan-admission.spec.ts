import { describe, expect, it } from '@jest/globals';
import {
  errorBody,
  failureHeaders,
  NO_SPEND_LIMITS,
  parseBuilderModels,
  planWindows,
  type BuilderPlanSettings,
  type Caller,
  type Result,
} from '../../domain/index.js';
import { InMemoryPlanCounter } from '../../testing/in-memory-plan-counter.js';
import { PlanAdmission } from './plan-admission.js';

const settings = (over: Partial<BuilderPlanSettings> = {}): BuilderPlanSettings => ({
  requestsPerMinute: 15,
  weeklyRequests: 100,
  models: parseBuilderModels('sim/*,openai/gpt-5-mini'),
  ...over,
});

const builder: Caller = {
  apiKeyId: 'key_b',
  accountId: 'acct_1',
  spendLimits: NO_SPEND_LIMITS,
  plan: 'builder',
};
const payg: Caller = {
  apiKeyId: 'key_p',
  accountId: 'acct_1',
  spendLimits: NO_SPEND_LIMITS,
  plan: 'payg',
};

/** Wednesday 2026-12-09 10:15:20.250 UTC: 39.75 s before the minute ends. */
const T = Date.parse('2026-12-09T10:15:20.250Z');

/** given/when/then over one PlanAdmission and its (in-memory) counter. */
function given(s: BuilderPlanSettings = settings()) {
  const admission = new PlanAdmission(s, new InMemoryPlanCounter());
  const results: Result<void>[] = [];
  const api = {
    /** `n` requests of `caller` for `model` at `atMs`, one after the other. */
    async requests(n: number, caller: Caller, atMs: number, model = 'sim/echo-1') {
      for (let i = 0; i < n; i += 1) results.push(await admission.admit(caller, model, atMs));
      return api;
    },
    async when(caller: Caller, atMs: number, model = 'sim/echo-1') {
      return admission.admit(caller, model, atMs);
    },
    results,
  };
  return api;
}

describe('the Builder plan at admission', () => {
  it('given 14 requests in a minute, the 15th passes and the 16th is refused with 429 rate_limit_exceeded and Retry-After to the minute end', async () => {
    const g = await given().requests(14, builder, T);
    expect(g.results.every((r) => r.ok)).toBe(true);

    expect(await g.when(builder, T)).toEqual({ ok: true, value: undefined });
    const refused = await g.when(builder, T);

    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    expect(refused.failure.status).toBe(429);
    expect(failureHeaders(refused.failure)).toEqual({ 'retry-after': '40' });
    expect(errorBody(refused.failure)).toEqual({
      error: {
        message:
          'Rate limit reached: this Builder plan key may send 15 requests per minute. ' +
          'Try again in 40s, or use a pay-as-you-go key (no rate limit).',
        type: 'requests',
        param: null,
        code: 'rate_limit_exceeded',
      },
    });
  });

  it('given a full minute, the first request of the next minute passes again', async () => {
    const g = await given().requests(16, builder, T);
    expect(g.results.filter((r) => r.ok)).toHaveLength(15);
    const nextMinute = planWindows(T).minute.endMs;
    expect((await g.when(builder, nextMinute - 1)).ok).toBe(false);
    expect((await g.when(builder, nextMinute)).ok).toBe(true);
  });

  it('given 99 requests this week, the 100th passes and the 101st is refused with 429 weekly_limit_exceeded and Retry-After to Monday 00:00 UTC', async () => {
    // One request a minute, so that only the week can fill.
    const g = given();
    for (let i = 0; i < 99; i += 1) await g.requests(1, builder, T + i * 60_000);
    expect(g.results.every((r) => r.ok)).toBe(true);
    const at = T + 99 * 60_000;

    expect((await g.when(builder, at)).ok).toBe(true);
    const refused = await g.when(builder, at + 60_000);

    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    const monday = Date.parse('2026-12-14T00:00:00.000Z');
    expect(refused.failure).toMatchObject({ status: 429, code: 'weekly_limit_exceeded' });
    expect(failureHeaders(refused.failure)).toEqual({
      'retry-after': String(Math.ceil((monday - (at + 60_000)) / 1000)),
    });
    expect(refused.failure.message).toContain('resets at 2026-12-14T00:00:00.000Z');
    // The new week admits again.
    expect((await g.when(builder, monday)).ok).toBe(true);
  });

  it('given a full minute, the refused requests do not eat the weekly allowance', async () => {
    const g = await given(settings({ requestsPerMinute: 2, weeklyRequests: 5 })).requests(
      10,
      builder,
      T,
    );
    expect(g.results.filter((r) => r.ok)).toHaveLength(2);
    // 2 of 5 used this week (not 10): two more the next minute, one more the minute after.
    await g.requests(2, builder, T + 60_000);
    await g.requests(2, builder, T + 120_000);
    expect(g.results.slice(10).map((r) => r.ok)).toEqual([true, true, true, false]);
    const last = g.results[13];
    expect(last?.ok === false && last.failure.code).toBe('weekly_limit_exceeded');
  });

  it('when a builder key asks for a model outside its plan, then 403 model_not_in_plan, and nothing is counted', async () => {
    const g = given(settings({ requestsPerMinute: 1 }));
    const refused = await g.when(builder, T, 'openai/gpt-5');

    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    expect(refused.failure.status).toBe(403);
    expect(failureHeaders(refused.failure)).toEqual({});
    expect(errorBody(refused.failure)).toEqual({
      error: {
        message:
          'The model `openai/gpt-5` is not included in the Builder plan of this API key; ' +
          'call it with a pay-as-you-go key.',
        type: 'invalid_request_error',
        param: 'model',
        code: 'model_not_in_plan',
      },
    });
    // The one request of the minute is still there for an allowed model (exact and prefix).
    expect((await g.when(builder, T, 'openai/gpt-5-mini')).ok).toBe(true);
    expect((await g.when(builder, T, 'sim/echo-1')).ok).toBe(false);
  });

  it('given any load, a pay-as-you-go key is never limited, on any model', async () => {
    const g = await given(settings({ requestsPerMinute: 1, weeklyRequests: 1 })).requests(
      500,
      payg,
      T,
      'openai/gpt-5',
    );
    expect(g.results.every((r) => r.ok)).toBe(true);
  });

  it('counts each builder key on its own', async () => {
    const other: Caller = { ...builder, apiKeyId: 'key_b2' };
    const g = await given(settings({ requestsPerMinute: 1 })).requests(1, builder, T);
    expect((await g.when(other, T)).ok).toBe(true);
    expect((await g.when(builder, T)).ok).toBe(false);
  });
});

describe('planWindows', () => {
  it('is the UTC minute and the UTC week from Monday 00:00', () => {
    expect(planWindows(T)).toEqual({
      minute: {
        startMs: Date.parse('2026-12-09T10:15:00Z'),
        endMs: Date.parse('2026-12-09T10:16:00Z'),
      },
      week: {
        startMs: Date.parse('2026-12-07T00:00:00Z'),
        endMs: Date.parse('2026-12-14T00:00:00Z'),
      },
    });
  });

  it.each([
    ['2026-12-07T00:00:00.000Z', '2026-12-07T00:00:00Z'], // Monday's first instant
    ['2026-12-13T23:59:59.999Z', '2026-12-07T00:00:00Z'], // Sunday's last
    ['1970-01-01T00:00:00.000Z', '1969-12-29T00:00:00Z'], // a Thursday
  ])('puts %s in the week of %s', (at, weekStart) => {
    expect(planWindows(Date.parse(at)).week.startMs).toBe(Date.parse(weekStart));
  });
});

describe('parseBuilderModels', () => {
  it('reads exact ids, prefixes and *', () => {
    const models = parseBuilderModels(' sim/* , openai/gpt-5-mini,, ');
    expect(models).toEqual({
      all: false,
      exact: new Set(['openai/gpt-5-mini']),
      prefixes: ['sim/'],
    });
    expect(parseBuilderModels('*').all).toBe(true);
    expect(parseBuilderModels('').exact.size).toBe(0);
  });
});
