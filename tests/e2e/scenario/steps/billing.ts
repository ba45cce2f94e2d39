import { expect } from '@jest/globals';
import { eventually } from '@billing/testing';
import type { ScenarioContext, Step } from '../context.js';
import {
  type ApiKeyRow,
  type EventRef,
  type Explanation,
  Decimal,
  MODEL,
  SETTLE_MS,
  type TransactionRow,
  need,
  pick,
  plain,
  usd,
  words,
} from '../support.js';

/** What the calls cost, whose credits pay for them, and the history and invoice that show it. */
export function billingSteps(ctx: ScenarioContext, step: Step): void {
  const {
    run,
    platform,
    state,
    expectJson,
    settledBalance,
    newAccount,
    createKey,
    costOf,
    complete,
    call,
    auditEvents,
  } = ctx;

  step(
    'charges exactly the priced cost, from the bonus credits before the top-up credits',
    async () => {
      const p = platform();
      const customer = need(state.customer, 'an account that made calls');
      expect(customer.spent.gt(0)).toBe(true);
      const balance = await settledBalance(customer);
      expect(
        pick(balance, ['total', 'topUp', 'bonusAndCompensation', 'held', 'available']),
      ).toEqual({
        total: plain(new Decimal(120).minus(customer.spent)),
        topUp: '100',
        bonusAndCompensation: plain(new Decimal(20).minus(customer.spent)),
        held: '0',
        available: plain(new Decimal(120).minus(customer.spent)),
      });
      const breakdown = await expectJson<Record<string, string>>(
        'GET',
        `${p.urls.ledger}/v1/accounts/${customer.id}/credits-breakdown`,
        customer.token,
        200,
      );
      expect(pick(breakdown, ['topUps', 'bonuses', 'usage', 'totalBalance'])).toEqual({
        topUps: '100',
        bonuses: '20',
        usage: plain(customer.spent),
        totalBalance: plain(new Decimal(120).minus(customer.spent)),
      });
      // The cost analytics tell the same: every request, priced the same, under the model.
      const analytics = await expectJson<{
        data: { model: string; cost: string; requests: number }[];
        total: { cost: string; requests: number };
      }>(
        'GET',
        `${p.urls.ledger}/v1/accounts/${customer.id}/usage?groupBy=model`,
        customer.token,
        200,
      );
      expect(analytics.data).toEqual([
        expect.objectContaining({
          model: MODEL,
          cost: plain(customer.spent),
          requests: customer.requestIds.length,
        }),
      ]);
      expect(analytics.total).toMatchObject({
        cost: plain(customer.spent),
        requests: customer.requestIds.length,
      });
      // Metering's request log agrees request by request, and with nothing else.
      const log = await expectJson<{ data: { requestId: string; cost: string }[] }>(
        'GET',
        `${p.urls.metering}/v1/accounts/${customer.id}/requests?limit=200`,
        customer.token,
        200,
      );
      expect(log.data.map((r) => r.requestId).sort()).toEqual([...customer.requestIds].sort());
      expect(plain(log.data.reduce((s, r) => s.plus(r.cost), new Decimal(0)))).toBe(
        plain(customer.spent),
      );
    },
  );

  step('spends the last of the bonus before the first of the top-up credits', async () => {
    const p = platform();
    // A $5 top-up earns $1 of bonus; an operator's negative adjustment of $0.9999 (it debits
    // like usage, bonus first) leaves $0.0001 of bonus, so the next request crosses from the
    // bonus class into the top-up class and the split shows exactly where.
    const boundary = await newAccount('boundary');
    state.boundary = boundary;
    const settled = await p.settleTopUp(boundary.id, '5');
    expect(settled.settlement.status).toBe(p.mode === 'distributed' ? 200 : 201);
    boundary.credited = new Decimal(6);
    await settledBalance(boundary);
    await expectJson(
      'POST',
      `${p.urls.payments}/v1/admin/accounts/${boundary.id}/credits`,
      p.adminToken,
      201,
      { type: 'adjustment', amount: '-0.9999', reason: 'e2e', reference: `e2e-adj-${boundary.id}` },
    );
    boundary.credited = new Decimal('5.0001');
    const before = await settledBalance(boundary);
    expect(pick(before, ['topUp', 'bonusAndCompensation'])).toEqual({
      topUp: '5',
      bonusAndCompensation: '0.0001',
    });

    await createKey(boundary, 'boundary');
    const { usage } = await complete(boundary, words(100), 200);
    state.boundaryUsage = usage;
    const cost = costOf(usage);
    expect(cost.gt('0.0001')).toBe(true);
    const after = await settledBalance(boundary);
    expect(pick(after, ['total', 'topUp', 'bonusAndCompensation'])).toEqual({
      total: plain(new Decimal('5.0001').minus(cost)),
      topUp: plain(new Decimal(5).minus(cost.minus('0.0001'))),
      bonusAndCompensation: '0',
    });
  });

  step(
    'explains the charge that crossed the boundary: tokens, unit prices, cost, both lots and the events',
    async () => {
      const p = platform();
      const boundary = need(state.boundary, 'the boundary account');
      const usage = need(state.boundaryUsage, 'the usage of the boundary request');
      const requestId = need(boundary.requestIds.at(-1), 'the x-request-id of that request');
      const price = need(state.price, `the price of ${MODEL}`);
      const base = `${p.urls.ledger}/v1/accounts/${boundary.id}/requests`;
      const view = await expectJson<Explanation>(
        'GET',
        `${base}/${requestId}`,
        boundary.token,
        200,
      );

      const cached = usage.prompt_tokens_details?.cached_tokens ?? 0;
      expect(view).toMatchObject({
        accountId: boundary.id,
        requestId,
        apiKeyId: need(boundary.apiKey, 'the key').id,
        model: MODEL,
        tokens: {
          input: usage.prompt_tokens,
          cachedInput: cached,
          output: usage.completion_tokens,
        },
        price: { perMillionTokens: price },
        debtIncurred: '0',
      });
      expect(view.price.version).toMatch(new RegExp(`^${MODEL}@`));
      // The unit prices times the tokens, summed exactly and rounded once half-up, are the cost,
      // and the cost is what this test computed from the list price (all the account spent).
      const t = view.tokens;
      const prices = need(view.price.perMillionTokens, 'the unit prices');
      const priced = new Decimal(t.input - t.cachedInput - t.cacheWrite)
        .mul(prices.input)
        .plus(new Decimal(t.cachedInput).mul(prices.cachedInput))
        .plus(new Decimal(t.cacheWrite).mul(prices.cacheWrite))
        .plus(new Decimal(t.output).mul(prices.output))
        .div(1_000_000)
        .toDecimalPlaces(9, Decimal.ROUND_HALF_UP);
      expect(view.cost).toBe(plain(priced));
      expect(view.cost).toBe(plain(boundary.spent));
      // The last $0.0001 of bonus first, the rest from the top-up.
      expect(view.draws.map((d) => [d.kind, d.amount])).toEqual([
        ['bonus', '0.0001'],
        ['top_up', plain(usd(view.cost).minus('0.0001'))],
      ]);

      // Every event it names is in the auditor's stream, at that version and position.
      const audit = await auditEvents(boundary);
      const named = (ref: EventRef | null) => {
        const found = audit.find((e) => e.eventId === need(ref, 'an event reference').eventId);
        return found && { type: found.type, version: found.version, position: found.position };
      };
      const expected = (ref: EventRef | null) => {
        const r = need(ref, 'an event reference');
        return { type: r.type, version: r.streamVersion, position: r.position };
      };
      expect(view.chargedBy.type).toBe('UsageCharged');
      expect(named(view.chargedBy)).toEqual(expected(view.chargedBy));
      expect(view.draws.map((d) => d.lotOpenedBy?.type)).toEqual([
        'BonusCredited',
        'TopUpCredited',
      ]);
      for (const d of view.draws) expect(named(d.lotOpenedBy)).toEqual(expected(d.lotOpenedBy));
      const hold = need(view.hold, 'the hold the request was admitted with');
      expect(hold.captured).not.toBeNull();
      expect(hold.placedBy?.type).toBe('HoldPlaced');
      expect(named(hold.placedBy)).toEqual(expected(hold.placedBy));

      // Another account's token: 403; another account's request under one's own: 404; bad id: 400.
      const customer = need(state.customer, 'the customer');
      const theirs = need(customer.requestIds.at(-1), "the customer's request");
      expect((await call('GET', `${base}/${requestId}`, customer.token)).status).toBe(403);
      const notMine = await call('GET', `${base}/${theirs}`, boundary.token);
      expect([notMine.status, notMine.json]).toEqual([
        404,
        { error: { code: 'LEDGER.REQUEST_NOT_FOUND', message: expect.any(String) } },
      ]);
      expect((await call('GET', `${base}/${'r'.repeat(201)}`, boundary.token)).status).toBe(400);
    },
  );

  step("moves the key's used and lastUsedAt in the keys list", async () => {
    const p = platform();
    const customer = need(state.customer, 'an account that made calls');
    const key = need(customer.apiKey, 'the key');
    const row = await eventually(async () => {
      const list = await expectJson<{ data: ApiKeyRow[] }>(
        'GET',
        `${p.urls.keys}/v1/accounts/${customer.id}/api-keys`,
        customer.token,
        200,
      );
      const r = list.data.find((k) => k.id === key.id);
      return r && usd(r.used).equals(customer.spent) ? r : undefined;
    }, SETTLE_MS);
    expect(plain(usd(row.used))).toBe(plain(customer.spent));
    const lastUsedAt = Date.parse(need(row.lastUsedAt ?? undefined, 'lastUsedAt'));
    // The latest request (the second stream) completed after the streaming step began.
    expect(lastUsedAt).toBeGreaterThanOrEqual(need(state.lastCallAt, 'the streaming step') - 1000);
    expect(lastUsedAt).toBeLessThanOrEqual(Date.now() + 1000);
  });

  step(
    'shows the top-up (with its invoice id), the bonus and the usage in the transaction history',
    async () => {
      const p = platform();
      const customer = need(state.customer, 'an account that made calls');
      const key = need(customer.apiKey, 'the key');
      const history = await expectJson<{ data: TransactionRow[]; nextCursor: string | null }>(
        'GET',
        `${p.urls.ledger}/v1/accounts/${customer.id}/transactions?limit=100`,
        customer.token,
        200,
      );
      const topUp = history.data.filter((t) => t.type === 'top_up');
      const bonus = history.data.filter((t) => t.type === 'bonus');
      const usage = history.data.filter((t) => t.type === 'usage');
      expect(topUp).toEqual([
        expect.objectContaining({ amount: '100', method: 'card', invoiceId: expect.any(String) }),
      ]);
      expect(bonus).toEqual([expect.objectContaining({ amount: '20' })]);
      expect(usage.length).toBeGreaterThan(0);
      expect(usage.every((u) => u.apiKeyId === key.id)).toBe(true);
      expect(plain(usage.reduce((s, u) => s.plus(u.amount), new Decimal(0)))).toBe(
        plain(customer.spent.neg()),
      );
      expect(usage.reduce((n, u) => n + (u.requestCount ?? 0), 0)).toBe(customer.requestIds.length);
      // The rows explain the balance: they add up to the Total Balance.
      expect(plain(history.data.reduce((s, t) => s.plus(t.amount), new Decimal(0)))).toBe(
        plain(customer.credited.minus(customer.spent)),
      );
      state.invoiceId = need(topUp[0]?.invoiceId, 'an invoice id on the top-up row');

      // Payments tells the same story: the top-up settled, with that invoice.
      const topUps = await expectJson<{ data: Record<string, unknown>[] }>(
        'GET',
        `${p.urls.payments}/v1/accounts/${customer.id}/top-ups`,
        customer.token,
        200,
      );
      expect(topUps.data).toEqual([
        expect.objectContaining({
          topUpId: state.topUpId,
          status: 'settled',
          invoiceId: state.invoiceId,
        }),
      ]);
    },
  );

  step('downloads the invoice of the top-up as a PDF (another account: refused)', async () => {
    const p = platform();
    const customer = need(state.customer, 'a funded account');
    const invoiceId = need(state.invoiceId, 'the invoice id from the history');
    const invoices = await expectJson<{ data: Record<string, unknown>[] }>(
      'GET',
      `${p.urls.payments}/v1/accounts/${customer.id}/invoices`,
      customer.token,
      200,
    );
    expect(invoices.data).toEqual([
      expect.objectContaining({ invoiceId, topUpId: state.topUpId, amount: '100', bonus: '20' }),
    ]);
    const url = `${p.urls.payments}/v1/accounts/${customer.id}/invoices/${invoiceId}/pdf`;
    const res = await fetch(url, { headers: { authorization: `Bearer ${customer.token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/pdf/);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(bytes.length).toBeGreaterThan(500);

    const stranger = await p.accountToken(`acct_e2e_${run}_stranger`);
    const refused = await fetch(url, { headers: { authorization: `Bearer ${stranger}` } });
    expect(refused.status).toBe(403);
  });
}
