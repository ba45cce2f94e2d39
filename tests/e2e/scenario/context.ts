import { eventually } from '@billing/testing';
import OpenAI, { APIError } from 'openai';
import type { Platform } from '../platform.js';
import {
  type Account,
  type AuditEvent,
  type Balance,
  Decimal,
  MODEL,
  type ModelPrice,
  type Refusal,
  SETTLE_MS,
  type Usage,
  hex,
  need,
  usd,
} from './support.js';

/** One step of the story: an `it`, named for what it checks. */
export type Step = (name: string, fn: () => Promise<void>, timeoutMs?: number) => void;

/**
 * What every step of the scenario shares: the run's id, the accounts and figures earlier steps
 * leave for later ones (`state`), and the helpers that call the platform's public surfaces and
 * compute, on their own, what it must answer.
 */
export function createScenarioContext(platform: () => Platform) {
  const run = hex(4);
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
    /** A referrer and the account that signed up with its code (steps/referrals.ts). */
    referrer?: Account;
    referred?: Account;
    /** The account with a Builder subscription, a builder key and a pay-as-you-go key. */
    builder?: Account;
    /** The account whose broken request the AI insurance refunded (steps/insurance.ts). */
    insured?: Account;
  } = {};
  const accounts = (): Account[] =>
    [
      state.customer,
      state.boundary,
      state.small,
      state.burst,
      state.referrer,
      state.referred,
      state.builder,
      state.insured,
    ].filter((a): a is Account => a !== undefined);

  /**
   * One step of the story. A failing step carries the tail of every process's log in its
   * message, where the cause of an asynchronous failure usually is.
   */

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

  return {
    run,
    platform,
    state,
    accounts,
    call,
    expectJson,
    balanceOf,
    settledBalance,
    openai,
    newAccount,
    createKey,
    grantGift,
    costOf,
    complete,
    refusal,
    firstRefusal,
    auditEvents,
    worstCaseOf,
  };
}

export type ScenarioContext = ReturnType<typeof createScenarioContext>;
