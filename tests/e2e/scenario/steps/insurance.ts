import { expect } from '@jest/globals';
import { eventually } from '@billing/testing';
import type { ScenarioContext, Step } from '../context.js';
import { MODEL, SETTLE_MS, type TransactionRow, plain, usd } from '../support.js';

/** The marker of the `sim/` provider's simulated mid-stream failure (services/gateway, sim-provider.ts). */
const SIM_BREAK_STREAM_MARKER = '[simulate:upstream-break]';

/** How long the claim may take to appear: one evaluation interval of metering's default, and some. */
const CLAIM_MS = 75_000;

interface Claim {
  readonly claimId: string;
  readonly compensationId: string;
  readonly rule: string;
  readonly amount: string;
  readonly requestIds: readonly string[];
  readonly requests: readonly { requestId: string; status: string; cost: string }[];
}

/** The AI insurance: a request that failed after it was charged comes back as compensation. */
export function insuranceSteps(ctx: ScenarioContext, step: Step): void {
  const { platform, state, expectJson, settledBalance, openai, newAccount, createKey, grantGift } =
    ctx;

  step(
    'refunds a streamed request that the upstream broke off after it was charged, as an AI-insurance claim',
    async () => {
      const p = platform();
      const insured = await newAccount('insured');
      state.insured = insured;
      await grantGift(insured, '1');
      await createKey(insured, 'insured');

      // The sim provider sends a few chunks, then its stream breaks (a simulation, on request).
      const stream = await openai(insured)
        .chat.completions.create({
          model: MODEL,
          messages: [
            { role: 'user', content: `Tell me a long story ${SIM_BREAK_STREAM_MARKER} please.` },
          ],
          max_tokens: 64,
          stream: true,
        })
        .withResponse();
      const requestId = stream.response.headers.get('x-request-id') ?? '';
      let received = '';
      const broke = await (async () => {
        try {
          for await (const chunk of stream.data) received += chunk.choices[0]?.delta.content ?? '';
          return false;
        } catch {
          return true;
        }
      })();
      expect({ broke, received: received.length > 0 }).toEqual({ broke: true, received: true });

      // Metering charged what was sent (its request log says failed, at a cost above zero).
      const logged = await eventually(async () => {
        const log = await expectJson<{
          data: { requestId: string; status: string; cost: string }[];
        }>(
          'GET',
          `${p.urls.metering}/v1/accounts/${insured.id}/requests?limit=10`,
          insured.token,
          200,
        );
        return log.data.find((r) => r.requestId === requestId);
      }, SETTLE_MS);
      expect(logged.status).toBe('failed');
      expect(usd(logged.cost).gt(0)).toBe(true);
      insured.spent = insured.spent.plus(logged.cost);
      insured.requestIds.push(requestId);

      // The evaluation claims it once: the whole cost back, with the request named.
      const claims = await eventually(async () => {
        const page = await expectJson<{ data: Claim[] }>(
          'GET',
          `${p.urls.metering}/v1/accounts/${insured.id}/claims`,
          insured.token,
          200,
        );
        return page.data.length > 0 ? page.data : undefined;
        // A platform on metering's defaults evaluates once a minute (the harnesses set 1 s).
      }, CLAIM_MS);
      expect(claims).toEqual([
        expect.objectContaining({
          rule: 'failed_charged',
          amount: logged.cost,
          requestIds: [requestId],
          requests: [expect.objectContaining({ requestId, status: 'failed', cost: logged.cost })],
        }),
      ]);
      insured.credited = insured.credited.plus(logged.cost);
      const balance = await settledBalance(insured);
      expect(balance).toMatchObject({ total: '1', bonusAndCompensation: '1' });

      const history = await expectJson<{ data: TransactionRow[] }>(
        'GET',
        `${p.urls.ledger}/v1/accounts/${insured.id}/transactions?limit=50`,
        insured.token,
        200,
      );
      expect(history.data.filter((r) => r.type === 'compensation').map((r) => r.amount)).toEqual([
        plain(usd(logged.cost)),
      ]);
      // Another account cannot read the claims.
      const other = await newAccount('insured_other');
      const refused = await ctx.call(
        'GET',
        `${p.urls.metering}/v1/accounts/${insured.id}/claims`,
        other.token,
      );
      expect(refused.status).toBe(403);
    },
    CLAIM_MS + 60_000,
  );
}
