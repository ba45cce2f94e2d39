import { expect } from '@jest/globals';
import { eventually } from '@billing/testing';
import type { ScenarioContext, Step } from '../context.js';
import { MODEL, type Refusal, foldHolds, need, plain, usd, words } from '../support.js';

/** The gateway's default BUILDER_RPM (none of the harnesses sets it). */
const BUILDER_RPM = 15;

/**
 * A balance is never overdrawn, one request at a time or a hundred at once; a Builder plan key is
 * throttled at its limit while a pay-as-you-go key is not.
 */
export function limitsSteps(ctx: ScenarioContext, step: Step): void {
  const {
    platform,
    state,
    expectJson,
    settledBalance,
    openai,
    newAccount,
    createKey,
    grantGift,
    costOf,
    complete,
    refusal,
    auditEvents,
    worstCaseOf,
    call,
  } = ctx;

  step(
    'answers 402 insufficient_balance once a small balance is exhausted, and never overdraws it',
    async () => {
      const small = await newAccount('small');
      state.small = small;
      await grantGift(small, '0.01');
      await createKey(small, 'small');

      // ~500 prompt tokens echoed back: about $0.0015 a call against $0.01, with a worst case of
      // about $0.0017 held while it runs.
      const prompt = words(500);
      const refusals: Refusal[] = [];
      let exhausted = false;
      let lastPromptTokens: number | undefined;
      for (let i = 0; i < 40 && !exhausted; i++) {
        try {
          lastPromptTokens = (await complete(small, prompt, 600)).usage.prompt_tokens;
        } catch (err) {
          refusals.push(refusal(err));
          // A refusal while earlier calls' holds are still open is the design working. The
          // balance is exhausted when the same request is refused with nothing held at all.
          await settledBalance(small);
          try {
            lastPromptTokens = (await complete(small, prompt, 600)).usage.prompt_tokens;
          } catch (again) {
            refusals.push(refusal(again));
            exhausted = true;
          }
        }
      }
      expect(exhausted).toBe(true);
      expect(refusals.length).toBeGreaterThan(0);
      expect(refusals.filter((r) => r.status !== 402 || r.code !== 'insufficient_balance')).toEqual(
        [],
      );
      expect(small.requestIds.length).toBeGreaterThan(0);
      // What was answered was charged exactly, and never beyond the $0.01: no debt.
      const balance = await settledBalance(small);
      expect(usd(balance.total).gte(0)).toBe(true);
      expect(balance.topUp).toBe('0');
      expect(plain(usd(balance.bonusAndCompensation))).toBe(
        plain(small.credited.minus(small.spent)),
      );
      // And the last refusal was owed: what is left cannot pay for this request's worst case
      // (the same prompt always counts the same tokens), so no request it could afford was refused.
      const promptTokens = need(lastPromptTokens, 'the prompt tokens of an answered request');
      expect(usd(balance.available).lt(worstCaseOf(promptTokens, 600))).toBe(true);
      const history = foldHolds(await auditEvents(small));
      expect(history.problems).toEqual([]);
      expect(history.holdsPlaced).toBe(small.requestIds.length);
    },
  );

  step(
    'lets 100 concurrent requests spend a small balance without overspending it',
    async () => {
      const p = platform();
      const burst = await newAccount('burst');
      state.burst = burst;
      await grantGift(burst, '0.02');
      await createKey(burst, 'burst');
      const client = openai(burst);

      // Each request costs about $0.0009 and holds about $0.0011 while it runs: the $0.02 pays for
      // about 22 of them even if they ran one after another, so most of the 100 must be refused.
      const prompt = words(300);
      const outcomes = await Promise.all(
        Array.from({ length: 100 }, async () => {
          try {
            const { data, response } = await client.chat.completions
              .create({
                model: MODEL,
                messages: [{ role: 'user', content: prompt }],
                max_tokens: 400,
              })
              .withResponse();
            return {
              kind: 'answered' as const,
              usage: need(data.usage, 'usage'),
              requestId: response.headers.get('x-request-id') ?? '',
            };
          } catch (err) {
            return { kind: 'refused' as const, ...refusal(err) };
          }
        }),
      );
      const answered = outcomes.filter((o) => o.kind === 'answered');
      const refused = outcomes.filter((o) => o.kind === 'refused');
      for (const o of answered) {
        burst.spent = burst.spent.plus(costOf(o.usage));
        burst.requestIds.push(o.requestId);
      }
      expect(refused.filter((r) => r.status !== 402 || r.code !== 'insufficient_balance')).toEqual(
        [],
      );
      expect(answered.length).toBeGreaterThan(0);
      expect(refused.length).toBeGreaterThan(0);
      expect(answered.length + refused.length).toBe(100);

      // "No overspend", precisely:
      // 1. at every version of the account's stream, the holds in force never exceed the Total
      //    (Available >= 0): a hold that would overdraw is refused, however many arrive at once;
      // 2. every charge is covered by the hold it captures (cost <= worst case held), so no
      //    charge can push the Total below zero, and no charge incurs debt;
      // 3. once everything settled, the Total is exactly credits - the priced cost of the
      //    answered requests (a refused request costs nothing, none is billed twice), and >= 0.
      // The design allows debt only for usage beyond its hold (an upstream ignoring max_tokens);
      // the sim honours max_tokens, so here there must be none at all.
      const balance = await settledBalance(burst);
      expect(usd(balance.total).gte(0)).toBe(true);
      expect(burst.spent.lte(burst.credited)).toBe(true);
      expect(balance.available).toBe(balance.total);
      const history = foldHolds(await auditEvents(burst));
      expect(history.problems).toEqual([]);
      expect(history.holdsPlaced).toBe(answered.length);
      expect(history.charges).toBe(answered.length);
      expect(plain(history.total)).toBe(plain(burst.credited.minus(burst.spent)));
      const log = await expectJson<{ data: { requestId: string }[] }>(
        'GET',
        `${p.urls.metering}/v1/accounts/${burst.id}/requests?limit=200`,
        burst.token,
        200,
      );
      expect(log.data.map((r) => r.requestId).sort()).toEqual([...burst.requestIds].sort());
    },
    120_000,
  );

  step(
    'throttles a Builder key at its requests per minute (429 rate_limit_exceeded, Retry-After) while a pay-as-you-go key under the same load is not, and its requests leave the balance unchanged exactly',
    async () => {
      const p = platform();
      const builder = await newAccount('builder');
      state.builder = builder;
      await grantGift(builder, '1');
      // A builder key needs the subscription, which an operator switches on for now.
      await expectJson(
        'POST',
        `${p.urls.keys}/v1/accounts/${builder.id}/api-keys`,
        builder.token,
        403,
        { name: 'hobby', plan: 'builder' },
      );
      await expectJson(
        'PUT',
        `${p.urls.keys}/v1/admin/accounts/${builder.id}/builder-subscription`,
        p.adminToken,
        200,
        { active: true, reference: `e2e-${builder.id}` },
      );
      const builderKey = await expectJson<{ id: string; key: string; plan: string }>(
        'POST',
        `${p.urls.keys}/v1/accounts/${builder.id}/api-keys`,
        builder.token,
        201,
        { name: 'hobby', plan: 'builder' },
      );
      expect(builderKey.plan).toBe('builder');
      await createKey(builder, 'production');
      const paygKey = need(builder.apiKey, 'the pay-as-you-go key');

      const burst = (key: string, n: number) =>
        Promise.all(
          Array.from({ length: n }, async () => {
            const res = await fetch(`${p.urls.gateway}/api/v1/chat/completions`, {
              method: 'POST',
              headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
              body: JSON.stringify({
                model: MODEL,
                messages: [{ role: 'user', content: 'a builder burst' }],
                max_tokens: 8,
              }),
            });
            const body = (await res.json()) as {
              usage?: Parameters<typeof costOf>[0];
              error?: { type: string; code: string };
            };
            return {
              status: res.status,
              retryAfter: res.headers.get('retry-after'),
              requestId: res.headers.get('x-request-id') ?? '',
              body,
            };
          }),
        );
      // A burst must not straddle two minutes: the windows are fixed UTC minutes.
      const intoMinute = Date.now() % 60_000;
      if (intoMinute > 40_000) await new Promise((r) => setTimeout(r, 60_500 - intoMinute));
      const before = await settledBalance(builder);

      const answers = await burst(builderKey.key, BUILDER_RPM * 2);
      const answered = answers.filter((a) => a.status === 200);
      const throttled = answers.filter((a) => a.status === 429);
      expect([answered.length, throttled.length]).toEqual([BUILDER_RPM, BUILDER_RPM]);
      for (const a of throttled) {
        expect(a.body.error).toMatchObject({ type: 'requests', code: 'rate_limit_exceeded' });
        expect(Number(a.retryAfter)).toBeGreaterThanOrEqual(1);
        expect(Number(a.retryAfter)).toBeLessThanOrEqual(60);
      }
      // Each answered builder request reaches the ledger, charged at 0 ...
      for (const a of answered) {
        const explained = await eventually(async () => {
          const res = await call(
            'GET',
            `${p.urls.ledger}/v1/accounts/${builder.id}/requests/${a.requestId}`,
            builder.token,
          );
          return res.status === 200 ? (res.json as { cost: string; apiKeyId: string }) : undefined;
        }, 60_000);
        expect(explained).toMatchObject({ cost: '0', apiKeyId: builderKey.id });
      }
      // ... so the balance is exactly what it was.
      const after = await settledBalance(builder);
      expect([after.total, after.available]).toEqual([before.total, before.available]);

      // The same load on the pay-as-you-go key: every request answered, each billed exactly.
      const payg = await burst(paygKey.key, BUILDER_RPM * 2);
      expect(payg.map((a) => a.status)).toEqual(payg.map(() => 200));
      for (const a of payg) {
        builder.spent = builder.spent.plus(costOf(a.body.usage));
        builder.requestIds.push(a.requestId);
      }
      const billed = await settledBalance(builder);
      expect(billed.total).toBe(plain(builder.credited.minus(builder.spent)));
    },
    180_000,
  );
}
