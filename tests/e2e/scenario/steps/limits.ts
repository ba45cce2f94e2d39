import { expect } from '@jest/globals';
import type { ScenarioContext, Step } from '../context.js';
import { MODEL, type Refusal, foldHolds, need, plain, usd, words } from '../support.js';

/** A balance is never overdrawn, one request at a time or a hundred at once. */
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
}
