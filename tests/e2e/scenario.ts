import { randomBytes } from 'node:crypto';
import { expect, it } from '@jest/globals';
import { eventually } from '@billing/testing';
import { Decimal as DecimalJs } from 'decimal.js';
import OpenAI, { APIError } from 'openai';
import type { Platform } from './platform.js';

/**
 * The billing scenario of issue 7, driven only through the platform's public surfaces: the
 * management HTTP APIs with account and admin tokens, signed Stripe webhooks, the official
 * `openai` client against the gateway, and the ledger's ops CLI. It registers one `it` per step,
 * in order, so a report reads as the story of one customer (and three smaller accounts for the
 * edges: the bonus/top-up boundary, an exhausted balance, a burst of concurrent requests).
 *
 * `platform` is a getter because the steps are registered when the file is collected, before
 * `beforeAll` has started anything.
 *
 * Every amount the platform shows is checked against a figure this file computes on its own: the
 * list price of `sim/echo-1` read from metering's public catalog, times the tokens the gateway
 * reported to the client, in decimal.js, rounded once per request half-up to the nano-dollar
 * (the rule of DESIGN.md "Money"), never with the platform's money code.
 */

/** Precision wide enough that no intermediate product is ever rounded. */
const Decimal = DecimalJs.clone({ precision: 60, rounding: DecimalJs.ROUND_HALF_UP });
type Decimal = InstanceType<typeof Decimal>;

const MODEL = 'sim/echo-1';
/** How long an asynchronous effect (Kafka hop, projection) may take on a loaded machine. */
const SETTLE_MS = 30_000;

interface ModelPrice {
  readonly input: string;
  readonly output: string;
  readonly cachedInput: string;
  readonly cacheWrite: string;
}

interface Usage {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly prompt_tokens_details?: { readonly cached_tokens?: number } | null;
}

interface Balance {
  readonly total: string;
  readonly topUp: string;
  readonly bonusAndCompensation: string;
  readonly held: string;
  readonly available: string;
}

interface ApiKeyRow {
  readonly id: string;
  readonly name: string;
  readonly prefix: string;
  readonly status: string;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  readonly used: string;
}

interface TransactionRow {
  readonly id: string;
  readonly occurredAt: string;
  readonly amount: string;
  readonly type: string;
  readonly method?: string;
  readonly description: string;
  readonly invoiceId?: string;
  readonly apiKeyId?: string;
  readonly requestCount?: number;
}

interface Refusal {
  readonly status: number | undefined;
  readonly code: string | null | undefined;
  readonly type: string | undefined;
  readonly message: string;
}

interface Account {
  readonly id: string;
  readonly token: string;
  apiKey?: { readonly id: string; readonly key: string };
  /** Money credited, as this test granted it. */
  credited: Decimal;
  /** Σ of what every answered request must cost, computed here. */
  spent: Decimal;
  /** Request ids (x-request-id) of the answered requests. */
  readonly requestIds: string[];
}

export interface ScenarioRun {
  /** Whether any step failed so far (a harness keeps the logs then). */
  failed(): boolean;
}

export function runBillingScenario(platform: () => Platform): ScenarioRun {
  const run = hex(4);
  let failures = 0;
  const state: {
    price?: ModelPrice;
    customer?: Account;
    topUpId?: string;
    invoiceId?: string;
    lastCallAt?: number;
    boundary?: Account;
    /** The usage the client received for the request that crossed the bonus/top-up boundary. */
    boundaryUsage?: Usage;
    small?: Account;
    burst?: Account;
  } = {};
  const accounts = (): Account[] =>
    [state.customer, state.boundary, state.small, state.burst].filter(
      (a): a is Account => a !== undefined,
    );

  /**
   * One step of the story. A failing step carries the tail of every process's log in its
   * message, where the cause of an asynchronous failure usually is.
   */
  const step = (name: string, fn: () => Promise<void>, timeoutMs?: number): void => {
    it(
      name,
      async () => {
        try {
          await fn();
        } catch (err) {
          failures++;
          let tail = '';
          try {
            tail = platform().logTail(25);
          } catch {
            tail = '(no platform)';
          }
          if (err instanceof Error) {
            err.message = `${err.message}\n\n--- platform logs (last lines) ---\n${tail}`;
            throw err;
          }
          throw new Error(`${String(err)}\n\n--- platform logs (last lines) ---\n${tail}`);
        }
      },
      timeoutMs,
    );
  };

  // ---- HTTP helpers ---------------------------------------------------------------------------

  const call = async (
    method: string,
    url: string,
    token: string | undefined,
    body?: unknown,
  ): Promise<{ status: number; text: string; json: unknown; headers: Headers }> => {
    const headers: Record<string, string> = {};
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(url, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, text, json, headers: res.headers };
  };

  /** A JSON answer with the expected status, or an error that shows the whole exchange. */
  const expectJson = async <T>(
    method: string,
    url: string,
    token: string | undefined,
    status: number,
    body?: unknown,
  ): Promise<T> => {
    const res = await call(method, url, token, body);
    if (res.status !== status) {
      throw new Error(
        `${method} ${url}${body === undefined ? '' : ` ${JSON.stringify(body)}`} answered ` +
          `${res.status} (expected ${status}): ${res.text}`,
      );
    }
    return res.json as T;
  };

  const balanceOf = (a: Account): Promise<Balance> =>
    expectJson<Balance>(
      'GET',
      `${platform().urls.ledger}/v1/accounts/${a.id}/balance`,
      a.token,
      200,
    );

  /**
   * Waits until nothing is held and the total is what this test expects: every admitted
   * request's usage has been priced by metering and captured its hold on the ledger.
   */
  const settledBalance = (a: Account): Promise<Balance> =>
    eventually(async () => {
      const b = await balanceOf(a);
      return b.held === '0' && usd(b.total).equals(a.credited.minus(a.spent)) ? b : undefined;
    }, SETTLE_MS).catch(async (err: unknown) => {
      const last = await balanceOf(a).catch((e: unknown) => String(e));
      throw new Error(
        `${a.id}: expected total ${a.credited.minus(a.spent).toFixed()} with nothing held, ` +
          `last balance ${JSON.stringify(last)}: ${String(err)}`,
      );
    });

  const openai = (a: Account): OpenAI =>
    new OpenAI({
      baseURL: `${platform().urls.gateway}/api/v1`,
      apiKey: need(a.apiKey, `${a.id}'s API key`).key,
      // Every outcome must be the platform's own answer: no hidden retry of a 402 or a 5xx.
      maxRetries: 0,
      timeout: 30_000,
    });

  const newAccount = async (label: string): Promise<Account> => {
    const id = `acct_e2e_${run}_${label}`;
    return {
      id,
      token: await platform().accountToken(id),
      credited: new Decimal(0),
      spent: new Decimal(0),
      requestIds: [],
    };
  };

  const createKey = async (a: Account, name: string): Promise<{ id: string; key: string }> => {
    const created = await expectJson<{ id: string; key: string }>(
      'POST',
      `${platform().urls.keys}/v1/accounts/${a.id}/api-keys`,
      a.token,
      201,
      { name },
    );
    a.apiKey = { id: created.id, key: created.key };
    // The gateway learns of the key from keys.v1; listing the models needs a valid key and
    // costs nothing, so it tells when the key has arrived without spending anything.
    await eventually(async () => {
      await openai(a).models.list();
      return true;
    }, SETTLE_MS);
    return a.apiKey;
  };

  const grantGift = async (a: Account, amount: string): Promise<void> => {
    await expectJson(
      'POST',
      `${platform().urls.payments}/v1/admin/accounts/${a.id}/credits`,
      platform().adminToken,
      201,
      { type: 'gift', amount, reason: 'e2e small balance', reference: `e2e-gift-${a.id}` },
    );
    a.credited = a.credited.plus(amount);
    await settledBalance(a);
  };

  const costOf = (usage: Usage | null | undefined): Decimal => {
    const price = need(state.price, `the price of ${MODEL}`);
    if (!usage) throw new Error('the gateway answered without usage');
    const cached = usage.prompt_tokens_details?.cached_tokens ?? 0;
    return new Decimal(usage.prompt_tokens - cached)
      .mul(price.input)
      .plus(new Decimal(cached).mul(price.cachedInput))
      .plus(new Decimal(usage.completion_tokens).mul(price.output))
      .div(1_000_000)
      .toDecimalPlaces(9, Decimal.ROUND_HALF_UP);
  };

  /** One non-streaming completion; its cost is added to what the account must have spent. */
  const complete = async (
    a: Account,
    content: string,
    maxTokens: number,
  ): Promise<{ text: string; usage: Usage; requestId: string }> => {
    const { data, response } = await openai(a)
      .chat.completions.create({
        model: MODEL,
        messages: [{ role: 'user', content }],
        max_tokens: maxTokens,
      })
      .withResponse();
    const usage = need(data.usage, 'usage in a non-streaming answer');
    const requestId = response.headers.get('x-request-id') ?? '';
    a.spent = a.spent.plus(costOf(usage));
    a.requestIds.push(requestId);
    return { text: data.choices[0]?.message.content ?? '', usage, requestId };
  };

  /** A refused request: the OpenAI-shaped error as the official client raises it. */
  const refusal = (err: unknown): Refusal => {
    if (!(err instanceof APIError)) throw err;
    // instanceof narrows to APIError<any>: read the status as what it is at run time.
    const raw: unknown = err.status;
    const status = typeof raw === 'number' ? raw : undefined;
    const code: string | null | undefined = err.code;
    const type: string | undefined = err.type;
    return { status, code, type, message: err.message };
  };

  /**
   * Calls as a client would, back to back, from `since` (a performance.now() instant) until the
   * first refusal, for at most 3 s. What is answered before it is billed like any other request.
   */
  const firstRefusal = async (
    a: Account,
    since: number,
  ): Promise<{ refusal: Refusal | undefined; afterMs: number | undefined }> => {
    while (performance.now() - since < 3_000) {
      try {
        await complete(a, 'still there?', 8);
      } catch (err) {
        return { refusal: refusal(err), afterMs: performance.now() - since };
      }
    }
    return { refusal: undefined, afterMs: undefined };
  };

  /** The account's whole event stream, as the auditor's route pages it. */
  const auditEvents = async (a: Account): Promise<AuditEvent[]> => {
    const p = platform();
    const events: AuditEvent[] = [];
    let fromVersion = 1;
    for (;;) {
      const page = await expectJson<{ data: AuditEvent[]; nextFromVersion?: number | null }>(
        'GET',
        `${p.urls.ledger}/v1/audit/accounts/${a.id}/events?fromVersion=${fromVersion}&limit=500`,
        p.adminToken,
        200,
      );
      events.push(...page.data);
      if (page.data.length === 0 || page.nextFromVersion == null) return events;
      fromVersion = page.nextFromVersion;
    }
  };

  /**
   * The worst case the gateway must hold for one request (gateway README, "Admission"): the
   * prompt at the model's dearest input price plus the output budget at the output price.
   */
  const worstCaseOf = (promptTokens: number, maxTokens: number): Decimal => {
    const price = need(state.price, `the price of ${MODEL}`);
    const dearestInput = Decimal.max(price.input, price.cachedInput, price.cacheWrite);
    return new Decimal(promptTokens)
      .mul(dearestInput)
      .plus(new Decimal(maxTokens).mul(price.output))
      .div(1_000_000)
      .toDecimalPlaces(9, Decimal.ROUND_UP);
  };

  // ---- the steps ------------------------------------------------------------------------------

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

  step('answers a chat completion through the official openai client (non-streaming)', async () => {
    const customer = need(state.customer, 'a funded account');
    const answer = await complete(customer, 'What is the meaning of life?', 64);
    expect(answer.text).toBe('Echo: What is the meaning of life?');
    expect(answer.usage.prompt_tokens).toBeGreaterThan(0);
    expect(answer.usage.completion_tokens).toBeGreaterThan(0);
    expect(answer.requestId).toMatch(/^req_[0-9a-f]{32}$/);
  });

  step('streams a chat completion, with usage only when the client asks for it', async () => {
    const customer = need(state.customer, 'a funded account');
    const client = openai(customer);
    const question = 'Stream me a short answer, please.';
    state.lastCallAt = Date.now();

    const withUsage = await client.chat.completions
      .create({
        model: MODEL,
        messages: [{ role: 'user', content: question }],
        max_tokens: 64,
        stream: true,
        stream_options: { include_usage: true },
      })
      .withResponse();
    let text = '';
    let usage: Usage | undefined;
    let chunks = 0;
    for await (const chunk of withUsage.data) {
      chunks++;
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(chunks).toBeGreaterThan(2);
    expect(text).toBe(`Echo: ${question}`);
    customer.spent = customer.spent.plus(costOf(usage));
    customer.requestIds.push(withUsage.response.headers.get('x-request-id') ?? '');

    // The same question without include_usage: the gateway asks the upstream for usage anyway
    // (it bills from it) but must not pass it on. Same prompt, same deterministic answer, so
    // the same tokens and the same cost.
    const withoutUsage = await client.chat.completions
      .create({
        model: MODEL,
        messages: [{ role: 'user', content: question }],
        max_tokens: 64,
        stream: true,
      })
      .withResponse();
    let text2 = '';
    for await (const chunk of withoutUsage.data) {
      text2 += chunk.choices[0]?.delta.content ?? '';
      expect(chunk.usage ?? null).toBeNull();
    }
    expect(text2).toBe(text);
    customer.spent = customer.spent.plus(costOf(usage));
    customer.requestIds.push(withoutUsage.response.headers.get('x-request-id') ?? '');
  });

  step(
    "refuses the customer's own token and the admin token on its request's hold (issue #10), but lists its holds",
    async () => {
      const p = platform();
      const customer = need(state.customer, 'an account that made calls');
      // The hold id is the request id the gateway returned in x-request-id.
      const holdId = need(customer.requestIds.at(-1), 'a request id');
      const holds = `${p.urls.ledger}/v1/accounts/${customer.id}/holds`;
      for (const token of [customer.token, p.adminToken]) {
        expect((await call('DELETE', `${holds}/${holdId}`, token)).status).toBe(403);
        expect(
          (await call('POST', `${holds}/${holdId}/extend`, token, { ttlSeconds: 1 })).status,
        ).toBe(403);
        expect(
          (await call('POST', holds, token, { holdId: `${holdId}_x`, amount: '1', ttlSeconds: 1 }))
            .status,
        ).toBe(403);
      }
      const listed = await expectJson<{ accountId: string; data: unknown[]; held: string }>(
        'GET',
        holds,
        customer.token,
        200,
      );
      expect(listed.accountId).toBe(customer.id);
      // The next step checks that the money is exactly what the requests cost.
    },
  );

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

  step('refuses a disabled key with 401 within one second', async () => {
    const p = platform();
    const customer = need(state.customer, 'an account with a key');
    const key = need(customer.apiKey, 'the key');
    const client = openai(customer);

    const patched = await call(
      'PATCH',
      `${p.urls.keys}/v1/accounts/${customer.id}/api-keys/${key.id}`,
      customer.token,
      { status: 'disabled' },
    );
    const disabledAt = performance.now();
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({ id: key.id, status: 'disabled' });

    const { refusal: first, afterMs } = await firstRefusal(customer, disabledAt);
    expect(first).toMatchObject({ status: 401, code: 'invalid_api_key' });
    expect(afterMs).toBeLessThan(1_000);
    // And it stays refused, on every route of the gateway.
    await expect(client.models.list()).rejects.toMatchObject({ status: 401 });
    await expect(
      client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toMatchObject({ status: 401, code: 'invalid_api_key' });
    // The calls answered while the change travelled were billed like any other.
    await settledBalance(customer);
  });

  step('refuses a deleted key with 401 within one second', async () => {
    const p = platform();
    const customer = need(state.customer, 'a funded account');
    const key = await createKey(customer, 'short-lived');
    const url = `${p.urls.keys}/v1/accounts/${customer.id}/api-keys/${key.id}`;
    const deleted = await call('DELETE', url, customer.token);
    const deletedAt = performance.now();
    expect(deleted.status).toBe(204);

    const { refusal: first, afterMs } = await firstRefusal(customer, deletedAt);
    expect(first).toMatchObject({ status: 401, code: 'invalid_api_key' });
    expect(afterMs).toBeLessThan(1_000);
    // Deletion is final: the key is gone from the keys API as well.
    expect((await call('GET', url, customer.token)).status).toBe(404);
    const list = await expectJson<{ data: ApiKeyRow[] }>(
      'GET',
      `${p.urls.keys}/v1/accounts/${customer.id}/api-keys`,
      customer.token,
      200,
    );
    expect(list.data.map((k) => k.id)).not.toContain(key.id);
    await settledBalance(customer);
  });

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
    "keeps every account's balance explained by what it was credited and what it used",
    async () => {
      for (const a of accounts()) {
        const balance = await settledBalance(a);
        expect({ account: a.id, total: balance.total }).toEqual({
          account: a.id,
          total: plain(a.credited.minus(a.spent)),
        });
      }
      expect(accounts()).toHaveLength(4);
    },
  );

  step(
    "verifies every account's hash chain (auditor's route, and audit:verify over the whole log)",
    async () => {
      const p = platform();
      expect(accounts()).toHaveLength(4);
      for (const a of accounts()) {
        const verdict = await expectJson<{ ok: boolean; events: number; headHash: string }>(
          'GET',
          `${p.urls.ledger}/v1/audit/accounts/${a.id}/verify`,
          p.adminToken,
          200,
        );
        expect({ account: a.id, ok: verdict.ok }).toEqual({ account: a.id, ok: true });
        // The verdict is about the history the auditor can read: same length, same head, and
        // each event links to the one before it.
        const events = await auditEvents(a);
        expect(verdict.events).toBe(events.length);
        expect(verdict.headHash).toBe(events.at(-1)?.hash);
        expect(events.map((e) => e.version)).toEqual(events.map((_, i) => i + 1));
        expect(events[0]?.prevHash).toBe('0'.repeat(64));
        const broken = events.filter((e, i) => i > 0 && e.prevHash !== events[i - 1]?.hash);
        expect(broken.map((e) => e.version)).toEqual([]);
        // The auditor's route is admin only.
        const res = await call('GET', `${p.urls.ledger}/v1/audit/accounts/${a.id}/verify`, a.token);
        expect(res.status).toBe(403);
      }
      const cli = await p.auditVerify();
      expect({ exitCode: cli.exitCode, stdout: cli.stdout, stderr: cli.stderr }).toEqual({
        exitCode: 0,
        stdout: expect.stringContaining('hash chains intact'),
        stderr: expect.any(String),
      });
    },
    120_000,
  );

  step(
    'passes projections:verify (projections == fold of the event log)',
    async () => {
      const result = await platform().projectionsVerify();
      expect({ exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr }).toEqual({
        exitCode: 0,
        stdout: expect.stringContaining('projections match the event log'),
        stderr: expect.any(String),
      });
    },
    120_000,
  );

  return { failed: () => failures > 0 };
}

interface EventRef {
  readonly eventId: string;
  readonly type: string;
  readonly streamVersion: number;
  readonly position: string;
}

/** GET /v1/accounts/{accountId}/requests/{requestId}: the parts this test reads. */
interface Explanation {
  readonly accountId: string;
  readonly requestId: string;
  readonly tokens: {
    readonly input: number;
    readonly cachedInput: number;
    readonly cacheWrite: number;
    readonly output: number;
  };
  readonly price: { readonly version: string; readonly perMillionTokens: ModelPrice | null };
  readonly cost: string;
  readonly draws: readonly {
    readonly kind: string;
    readonly amount: string;
    readonly lotOpenedBy: EventRef | null;
  }[];
  readonly hold: { readonly captured: string | null; readonly placedBy: EventRef | null } | null;
  readonly chargedBy: EventRef;
}

interface AuditEvent {
  readonly eventId: string;
  readonly position: string;
  readonly version: number;
  readonly type: string;
  readonly data: Record<string, unknown>;
  readonly prevHash: string;
  readonly hash: string;
}

const CREDITS = new Set([
  'TopUpCredited',
  'BonusCredited',
  'GiftCredited',
  'ReferralCredited',
  'CompensationCredited',
]);

/**
 * Folds an account's audited events on our own (not the ledger's code): the Total and the holds
 * in force after each event, listing every point where the account was overdrawn, a charge
 * exceeded the hold it captured, or debt was incurred. Only the event types this scenario can
 * cause are known; any other is reported, not guessed at.
 */
function foldHolds(events: readonly AuditEvent[]): {
  total: Decimal;
  holdsPlaced: number;
  charges: number;
  problems: string[];
} {
  let total = new Decimal(0);
  let held = new Decimal(0);
  let holdsPlaced = 0;
  let charges = 0;
  const problems: string[] = [];
  const money = (e: AuditEvent, field: string): Decimal => {
    const value = e.data[field];
    return new Decimal(typeof value === 'string' ? value : '0');
  };
  for (const e of events) {
    if (CREDITS.has(e.type)) {
      total = total.plus(money(e, 'amount'));
    } else if (e.type === 'HoldPlaced') {
      holdsPlaced++;
      held = held.plus(money(e, 'amount'));
    } else if (e.type === 'HoldReleased' || e.type === 'HoldExpired') {
      held = held.minus(money(e, 'amount'));
    } else if (e.type === 'HoldExtended') {
      // A later expiry for the same amount: nothing held changes.
    } else if (e.type === 'UsageCharged') {
      charges++;
      const cost = money(e, 'cost');
      const captured = money(e, 'capturedHold');
      total = total.minus(cost);
      held = held.minus(captured);
      if (cost.gt(captured))
        problems.push(`v${e.version}: charge ${plain(cost)} > its hold ${plain(captured)}`);
      if (!money(e, 'debtIncurred').isZero()) problems.push(`v${e.version}: debt incurred`);
    } else {
      problems.push(`v${e.version}: unexpected ${e.type}`);
    }
    if (total.minus(held).isNeg()) {
      problems.push(
        `v${e.version} ${e.type}: overdrawn, total ${plain(total)} held ${plain(held)}`,
      );
    }
  }
  if (!held.isZero()) problems.push(`still held at the end: ${plain(held)}`);
  return { total, holdsPlaced, charges, problems };
}

// ---- small pure helpers ---------------------------------------------------------------------------

/** Throws a message naming what an earlier step should have produced. */
export function need<T>(value: T | undefined | null, what: string): T {
  if (value === undefined || value === null) {
    throw new Error(`missing ${what} (an earlier step failed or did not run)`);
  }
  return value;
}

/** A money string as the platform writes it: plain decimal, no exponent, no trailing zeros. */
function plain(d: Decimal): string {
  const s = d.toFixed(9).replace(/\.?0+$/, '');
  return s === '-0' || s === '' ? '0' : s;
}

function usd(s: string): Decimal {
  return new Decimal(s);
}

function pick<T extends object, K extends keyof T & string>(o: T, keys: readonly K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((k) => [k, o[k]])) as Pick<T, K>;
}

/** `n` distinct short words: o200k_base counts each (with its leading space) as about one token. */
function words(n: number): string {
  const vocabulary = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel'];
  return Array.from({ length: n }, (_, i) => vocabulary[i % vocabulary.length]).join(' ');
}

function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}
