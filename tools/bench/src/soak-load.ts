import { mulRatio, parseUsd, priceUsage, type NanoUsd } from '@billing/money';
import type { DistributedPlatform } from '../../../tests/e2e/distributed.js';

/**
 * The soak bench's load (soak.bench.ts): a fixed rate of mixed operations against the distributed
 * platform, through its public surfaces only, and the books this side keeps to check the
 * platform's at the end. Every amount is a bigint of nano-dollars (libs/money): what each account
 * was credited (top-ups and their bonus, BONUS_RATE of payments' default) and what each request
 * answered 200 must cost (the usage the client received times metering's list price, priced
 * with libs/money's `priceUsage`, rounded once per request as metering does).
 */

export type OpKind = 'completion' | 'stream' | 'topUp' | 'keyChange';

/** Nine operations: 6 completions, 2 streams... the half of the cycle that comes twice. */
const HALF_CYCLE: readonly OpKind[] = [
  'completion',
  'stream',
  'completion',
  'completion',
  'stream',
  'completion',
  'keyChange',
  'completion',
  'stream',
];

/**
 * One cycle of twenty operations, repeated at the offered rate: 11 whole completions, 6 streams,
 * 2 key changes, 1 top-up. Interleaved so that every second sees each kind.
 */
export const OP_CYCLE: readonly OpKind[] = [...HALF_CYCLE, 'completion', 'topUp', ...HALF_CYCLE];

const MODELS = ['sim/echo-1', 'sim/echo-mini'] as const;
/** payments' default BONUS_RATE (the platform is started without one). */
const BONUS_RATE = '0.20';
const WORDS =
  'the ledger settles every request once while the gateway streams tokens and metering prices them'.split(
    ' ',
  );

export interface SoakLoadOptions {
  readonly accounts: number;
  readonly rps: number;
  readonly requestTimeoutMs: number;
  readonly maxInFlight: number;
  readonly seed: number;
}

/** One finished operation, as the bench's per-second series and summary count it. */
export interface Outcome {
  readonly kind: OpKind;
  /** The operation in detail: `completion`, `stream`, `topUp`, `topUp:replay`, `key:create`, ... */
  readonly op: string;
  /** The HTTP status, or `error` (network, malformed answer) or `timeout`. */
  readonly status: string;
  readonly ms: number;
  readonly detail?: string;
}

interface Price {
  readonly input: NanoUsd;
  readonly output: NanoUsd;
  readonly cachedInput: NanoUsd;
  readonly cacheWrite: NanoUsd;
}

interface ChurnKey {
  readonly id: string;
  status: 'enabled' | 'disabled';
  busy: boolean;
}

export interface SoakAccount {
  readonly id: string;
  readonly token: string;
  /** The key every chat is sent with; the key changes touch only `churn`. */
  readonly key: string;
  readonly churn: ChurnKey[];
  credited: NanoUsd;
  spent: NanoUsd;
  /** Requests answered 200 (each must be billed exactly once). */
  answered: number;
  /** A request answered 200 whose cost this side cannot know (a stream cut short): no exact check. */
  unknownCost: number;
}

interface Usage {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly prompt_tokens_details?: {
    readonly cached_tokens?: number;
    readonly cache_write_tokens?: number;
  } | null;
}

/** mulberry32: a small seeded generator, so that two runs offer the same sequence. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An operation that did not end as expected: `status` is what the outcome reports. */
class OpFailure extends Error {
  constructor(
    readonly status: string,
    message: string,
  ) {
    super(message);
  }
}

export class SoakLoad {
  readonly accounts: SoakAccount[] = [];
  private readonly prices = new Map<string, Price>();
  private readonly random: () => number;
  private readonly inFlight = new Set<Promise<void>>();
  /** Top-ups still settling after their operation timed out. */
  private readonly late = new Set<Promise<unknown>>();
  /** Operations not started because `maxInFlight` were still running (the platform fell behind). */
  skipped = 0;
  offered = 0;

  constructor(
    private readonly platform: DistributedPlatform,
    private readonly options: SoakLoadOptions,
    private readonly onOutcome: (o: Outcome) => void,
  ) {
    this.random = seeded(options.seed);
  }

  /** Reads the list prices, creates the accounts with a key each and a settled $50 top-up. */
  async setup(): Promise<void> {
    const p = this.platform;
    const catalog = (await this.json('GET', `${p.urls.metering}/v1/models`, undefined, 200)) as {
      data: {
        id: string;
        price: {
          perMillionTokens: Record<'input' | 'output' | 'cachedInput' | 'cacheWrite', string>;
        } | null;
      }[];
    };
    for (const model of MODELS) {
      const price = catalog.data.find((m) => m.id === model)?.price?.perMillionTokens;
      if (price === undefined) throw new Error(`no list price for ${model} in GET /v1/models`);
      this.prices.set(model, {
        input: parseUsd(price.input),
        output: parseUsd(price.output),
        cachedInput: parseUsd(price.cachedInput),
        cacheWrite: parseUsd(price.cacheWrite),
      });
    }
    const run = Math.floor(Date.now() / 1000).toString(36);
    for (let i = 0; i < this.options.accounts; i++) {
      const id = `acct_soak_${run}_${i}`;
      const token = await p.accountToken(id, 24 * 3600);
      const created = (await this.json(
        'POST',
        `${p.urls.keys}/v1/accounts/${id}/api-keys`,
        token,
        201,
        { name: 'soak' },
      )) as { key: string };
      const account: SoakAccount = {
        id,
        token,
        key: created.key,
        churn: [],
        credited: 0n,
        spent: 0n,
        answered: 0,
        unknownCost: 0,
      };
      const settled = await p.settleTopUp(id, '50');
      if (settled.settlement.status !== 200) {
        throw new Error(`the first top-up of ${id} answered ${JSON.stringify(settled.settlement)}`);
      }
      account.credited += credit(parseUsd('50'));
      this.accounts.push(account);
    }
    // The gateway learns of a key from keys.v1 and the ledger of a top-up from payments.v1: wait
    // for both before the clock starts (listing the models costs nothing and needs a valid key).
    const deadline = Date.now() + 60_000;
    for (const a of this.accounts) {
      for (;;) {
        const models = await fetch(`${p.urls.gateway}/api/v1/models`, {
          headers: { authorization: `Bearer ${a.key}` },
        });
        await models.arrayBuffer();
        const balance = await this.balanceOf(a).catch(() => undefined);
        if (models.status === 200 && balance !== undefined && parseUsd(balance.available) > 0n) {
          break;
        }
        if (Date.now() > deadline) throw new Error(`${a.id}: key or top-up not known after 60 s`);
        await sleep(250);
      }
    }
  }

  /** Offers operations at the fixed rate until `durationMs` has passed (open loop). */
  async run(durationMs: number): Promise<void> {
    const intervalMs = 1000 / this.options.rps;
    const started = performance.now();
    for (let i = 0; ; i++) {
      const due = started + i * intervalMs;
      if (due - started >= durationMs) break;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      this.offered++;
      if (this.inFlight.size >= this.options.maxInFlight) {
        this.skipped++;
        continue;
      }
      const kind = OP_CYCLE[i % OP_CYCLE.length] ?? 'completion';
      const op = this.operate(kind);
      this.inFlight.add(op);
      void op.finally(() => this.inFlight.delete(op));
    }
  }

  /** Waits for the operations still running (each is bounded by its own timeout). */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0 || this.late.size > 0) {
      await Promise.allSettled([...this.inFlight, ...this.late]);
    }
  }

  get running(): number {
    return this.inFlight.size;
  }

  async balanceOf(a: SoakAccount): Promise<{ total: string; held: string; available: string }> {
    return (await this.json(
      'GET',
      `${this.platform.urls.ledger}/v1/accounts/${a.id}/balance`,
      a.token,
      200,
    )) as { total: string; held: string; available: string };
  }

  /** The requests the ledger's usage analytics count for the account (all days of the run). */
  async billedRequests(a: SoakAccount): Promise<number> {
    const view = (await this.json(
      'GET',
      `${this.platform.urls.ledger}/v1/accounts/${a.id}/usage?groupBy=model`,
      a.token,
      200,
    )) as { total: { requests: number } };
    return view.total.requests;
  }

  // ---- operations -----------------------------------------------------------------------------

  private async operate(kind: OpKind): Promise<void> {
    const account = this.pick(this.accounts);
    const started = performance.now();
    let op: string = kind;
    try {
      switch (kind) {
        case 'completion':
        case 'stream': {
          const status = await this.chat(account, kind === 'stream');
          this.report(kind, op, status, started);
          return;
        }
        case 'topUp': {
          op = 'topUp';
          await this.topUp(account, started);
          return;
        }
        case 'keyChange': {
          const change = this.chooseKeyChange(account);
          op = `key:${change.name}`;
          this.report(kind, op, await change.run(), started);
          return;
        }
      }
    } catch (err) {
      const status = err instanceof OpFailure ? err.status : 'error';
      this.report(kind, op, status, started, err instanceof Error ? err.message : String(err));
    }
  }

  private report(kind: OpKind, op: string, status: string, started: number, detail?: string) {
    this.onOutcome({
      kind,
      op,
      status,
      ms: performance.now() - started,
      ...(detail === undefined ? {} : { detail }),
    });
  }

  /** A chat completion, whole or streamed; a 200 adds its cost to what the account has spent. */
  private async chat(a: SoakAccount, stream: boolean): Promise<string> {
    const model = this.pick(MODELS);
    const words = 5 + Math.floor(this.random() * 120);
    const content = Array.from({ length: words }, () => this.pick(WORDS)).join(' ');
    const body = {
      model,
      messages: [{ role: 'user', content }],
      max_tokens: 16 + Math.floor(this.random() * 112),
      ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
    };
    const res = await this.fetch(`${this.platform.urls.gateway}/api/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${a.key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await this.text(res);
    if (res.status !== 200) throw new OpFailure(String(res.status), text.slice(0, 300));
    // From here the platform has answered 200: the request must be billed, whatever follows.
    a.answered++;
    const usage = stream ? streamUsage(text) : (JSON.parse(text) as { usage?: Usage }).usage;
    if (usage === undefined) {
      a.unknownCost++;
      throw new OpFailure('200 without usage', text.slice(-300));
    }
    a.spent += this.costOf(model, usage);
    return '200';
  }

  private costOf(model: string, usage: Usage): NanoUsd {
    const price = this.prices.get(model);
    if (price === undefined) throw new Error(`no price for ${model}`);
    const cached = BigInt(usage.prompt_tokens_details?.cached_tokens ?? 0);
    const written = BigInt(usage.prompt_tokens_details?.cache_write_tokens ?? 0);
    return priceUsage([
      { pricePerMillionNanos: price.input, tokens: BigInt(usage.prompt_tokens) - cached - written },
      { pricePerMillionNanos: price.cachedInput, tokens: cached },
      { pricePerMillionNanos: price.cacheWrite, tokens: written },
      { pricePerMillionNanos: price.output, tokens: BigInt(usage.completion_tokens) },
    ]);
  }

  /**
   * A top-up settled by a signed `checkout.session.completed` (the platform's `settleTopUp`);
   * one in four is delivered a second time, as Stripe's retries are, and must credit nothing.
   */
  private async topUp(a: SoakAccount, started: number): Promise<void> {
    const amount = String(5 + Math.floor(this.random() * 21));
    // settleTopUp has no deadline of its own (the stripe client's is 80 s): a late settlement is
    // still credited, and drain() waits for it, but the operation counts as timed out.
    const settling = this.platform.settleTopUp(a.id, amount).then((settled) => {
      const { status, body } = settled.settlement;
      if (status === 200 && body.includes('"applied"')) a.credited += credit(parseUsd(amount));
      return settled;
    });
    this.late.add(settling);
    void settling.finally(() => this.late.delete(settling)).catch(() => undefined);
    const settled = await deadline(settling, this.options.requestTimeoutMs, 'top-up');
    const { status, body } = settled.settlement;
    this.report(
      'topUp',
      'topUp',
      String(status),
      started,
      status === 200 ? undefined : body.slice(0, 300),
    );
    if (settled.event === undefined || this.platform.deliverStripeWebhook === undefined) return;
    if (this.random() >= 0.25) return;
    const replayStarted = performance.now();
    const again = await this.platform.deliverStripeWebhook(settled.event);
    const duplicate = again.status === 200 && again.body.includes('"duplicate"');
    this.report(
      'topUp',
      'topUp:replay',
      duplicate ? '200' : `${again.status} (not a duplicate)`,
      replayStarted,
      duplicate ? undefined : again.body.slice(0, 300),
    );
  }

  /**
   * One change to an account's other keys (never the key its chats use): create one while it has
   * fewer than two idle ones, otherwise disable, enable or delete an idle one (delete once it
   * has six). A key is changed by one operation at a time.
   */
  private chooseKeyChange(a: SoakAccount): { name: string; run: () => Promise<string> } {
    const base = `${this.platform.urls.keys}/v1/accounts/${a.id}/api-keys`;
    const idle = a.churn.filter((k) => !k.busy);
    if (idle.length < 2 && a.churn.length < 6) {
      return {
        name: 'create',
        run: async () => {
          const res = await this.call('POST', base, a.token, { name: `churn-${a.churn.length}` });
          if (res.status === 201) {
            const { id } = JSON.parse(res.text) as { id: string };
            a.churn.push({ id, status: 'enabled', busy: false });
          }
          return statusOf(res, 201);
        },
      };
    }
    if (idle.length === 0) return { name: 'none idle', run: () => Promise.resolve('skipped') };
    const key = this.pick(idle);
    const busy = async (change: () => Promise<string>): Promise<string> => {
      key.busy = true;
      try {
        return await change();
      } finally {
        key.busy = false;
      }
    };
    if (a.churn.length >= 6 || this.random() < 0.3) {
      return {
        name: 'delete',
        run: () =>
          busy(async () => {
            const res = await this.call('DELETE', `${base}/${key.id}`, a.token);
            if (res.status === 204) a.churn.splice(a.churn.indexOf(key), 1);
            return statusOf(res, 204);
          }),
      };
    }
    const next = key.status === 'enabled' ? 'disabled' : 'enabled';
    return {
      name: next === 'disabled' ? 'disable' : 'enable',
      run: () =>
        busy(async () => {
          const res = await this.call('PATCH', `${base}/${key.id}`, a.token, { status: next });
          if (res.status === 200) key.status = next;
          return statusOf(res, 200);
        }),
    };
  }

  // ---- HTTP -----------------------------------------------------------------------------------

  private async fetch(url: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(url, {
        ...init,
        signal: AbortSignal.timeout(this.options.requestTimeoutMs),
      });
    } catch (err) {
      throw asOpFailure(err, `${init.method ?? 'GET'} ${url}`);
    }
  }

  private async text(res: Response): Promise<string> {
    try {
      return await res.text();
    } catch (err) {
      throw asOpFailure(err, `reading ${res.url}`);
    }
  }

  private async call(
    method: string,
    url: string,
    token: string | undefined,
    body?: unknown,
  ): Promise<{ status: number; text: string }> {
    const res = await this.fetch(url, {
      method,
      headers: {
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, text: await this.text(res) };
  }

  private async json(
    method: string,
    url: string,
    token: string | undefined,
    status: number,
    body?: unknown,
  ): Promise<unknown> {
    const res = await this.call(method, url, token, body);
    if (res.status !== status) {
      throw new Error(`${method} ${url} answered ${res.status} (expected ${status}): ${res.text}`);
    }
    return JSON.parse(res.text) as unknown;
  }

  private pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.random() * items.length)];
    if (item === undefined) throw new Error('nothing to pick from');
    return item;
  }
}

/** A settled top-up credits its amount plus the bonus, exact (payments' `bonusFor`). */
export function credit(amount: NanoUsd): NanoUsd {
  return amount + mulRatio(amount, BONUS_RATE);
}

/** The usage of a streamed answer: its last chunk with usage, once `[DONE]` has arrived. */
export function streamUsage(sse: string): Usage | undefined {
  let usage: Usage | undefined;
  let done = false;
  for (const line of sse.split('\n')) {
    if (!line.startsWith('data: ')) continue;
    const data = line.slice('data: '.length).trim();
    if (data === '[DONE]') {
      done = true;
      continue;
    }
    const chunk = JSON.parse(data) as { usage?: Usage | null };
    if (chunk.usage) usage = chunk.usage;
  }
  return done ? usage : undefined;
}

function statusOf(res: { status: number; text: string }, expected: number): string {
  if (res.status === expected) return String(res.status);
  throw new OpFailure(String(res.status), `expected ${expected}: ${res.text.slice(0, 300)}`);
}

function asOpFailure(err: unknown, what: string): OpFailure {
  const name = err instanceof Error ? err.name : '';
  if (name === 'TimeoutError') return new OpFailure('timeout', `${what}: timed out`);
  const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return new OpFailure('error', `${what}: ${err instanceof Error ? err.message : ''}${cause}`);
}

/** `promise`, or an OpFailure('timeout') after `ms` (the promise itself runs on). */
function deadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new OpFailure('timeout', `${what}: no answer in ${ms} ms`)),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
