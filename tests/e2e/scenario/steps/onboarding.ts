import { expect } from '@jest/globals';
import { eventually } from '@billing/testing';
import type { ScenarioContext, Step } from '../context.js';
import {
  type ApiKeyRow,
  Decimal,
  MODEL,
  type ModelPrice,
  SETTLE_MS,
  need,
  pick,
} from '../support.js';

/** An account is born: the catalog, an API key with its console token, a top-up through Stripe. */
export function onboardingSteps(ctx: ScenarioContext, step: Step): void {
  const { run, platform, state, call, expectJson, settledBalance, openai, newAccount } = ctx;

  step(
    'serves /health on every service and lists sim/echo-1 with its price in the public catalog',
    async () => {
      const p = platform();
      for (const [name, base] of Object.entries(p.urls)) {
        const res = await call('GET', `${base}/health`, undefined);
        expect({ name, status: res.status }).toEqual({ name, status: 200 });
      }
      const catalog = await expectJson<{
        data: { id: string; price: { perMillionTokens: ModelPrice } | null }[];
      }>('GET', `${p.urls.metering}/v1/models`, undefined, 200);
      const model = catalog.data.find((m) => m.id === MODEL);
      state.price = need(model?.price?.perMillionTokens, `a price for ${MODEL} in GET /v1/models`);
      expect(new Decimal(state.price.input).gt(0)).toBe(true);
      expect(new Decimal(state.price.output).gt(0)).toBe(true);
    },
  );

  step(
    'creates an API key for a new account with its console token (another account: 403)',
    async () => {
      const p = platform();
      const customer = await newAccount('customer');
      const stranger = await p.accountToken(`acct_e2e_${run}_stranger`);
      const url = `${p.urls.keys}/v1/accounts/${customer.id}/api-keys`;

      const refused = await call('POST', url, stranger, { name: 'not mine' });
      expect(refused.status).toBe(403);
      expect(await call('GET', url, undefined)).toMatchObject({ status: 401 });

      const res = await call('POST', url, customer.token, { name: 'production' });
      expect(res.status).toBe(201);
      expect(res.headers.get('cache-control')).toContain('no-store');
      const created = res.json as { id: string; key: string; prefix: string; status: string };
      expect(created).toMatchObject({ name: 'production', status: 'enabled' });
      expect(created.key.startsWith(created.prefix)).toBe(true);
      customer.apiKey = { id: created.id, key: created.key };
      state.customer = customer;

      const list = await expectJson<{ data: ApiKeyRow[] }>('GET', url, customer.token, 200);
      expect(list.data).toEqual([
        expect.objectContaining({ id: created.id, status: 'enabled', used: '0', lastUsedAt: null }),
      ]);
      // The gateway knows the key once keys.v1 has reached it (listing models costs nothing).
      await eventually(async () => {
        await openai(customer).models.list();
        return true;
      }, SETTLE_MS);
    },
  );

  step(
    'tops up $100 through a signed Stripe webhook and shows $100 + $20 bonus and a balance of 120',
    async () => {
      const p = platform();
      const customer = need(state.customer, 'the account of the first step');
      const settled = await p.settleTopUp(customer.id, '100');
      // Distributed: the answer of the signed webhook; standalone: the simulated provider's
      // answer to the top-up request, which settles at once.
      expect(settled.settlement).toEqual(
        p.mode === 'distributed'
          ? { status: 200, body: expect.stringContaining('"applied"') as unknown }
          : { status: 201, body: expect.stringContaining('"settled"') as unknown },
      );
      state.topUpId = settled.topUpId;
      customer.credited = new Decimal(120);

      // Stripe delivers at least once: the same event again (signed anew, as Stripe's retries
      // are) is acknowledged and credits nothing; the exact totals below and later prove it.
      if (settled.event && p.deliverStripeWebhook) {
        const again = await p.deliverStripeWebhook(settled.event);
        expect(again).toEqual({ status: 200, body: expect.stringContaining('"duplicate"') });
      }

      // TopUpSettled and BonusGranted are two events: wait for both, then read the breakdown,
      // which the ledger writes in the same transaction as the balance.
      const balance = await settledBalance(customer);
      const breakdown = await expectJson<Record<string, string>>(
        'GET',
        `${p.urls.ledger}/v1/accounts/${customer.id}/credits-breakdown`,
        customer.token,
        200,
      );
      expect(
        pick(breakdown, ['topUps', 'bonuses', 'gifts', 'usage', 'expired', 'totalBalance']),
      ).toEqual({
        topUps: '100',
        bonuses: '20',
        gifts: '0',
        usage: '0',
        expired: '0',
        totalBalance: '120',
      });
      expect(
        pick(balance, ['total', 'topUp', 'bonusAndCompensation', 'held', 'available']),
      ).toEqual({
        total: '120',
        topUp: '100',
        bonusAndCompensation: '20',
        held: '0',
        available: '120',
      });
    },
  );
}
