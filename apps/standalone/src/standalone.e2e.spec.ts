import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatUsd, parseUsd } from '@billing/money';
import OpenAI from 'openai';
import { expectWalkthrough } from '../../../tests/e2e/readme-walkthrough.js';
import { runBillingScenario } from '../../../tests/e2e/scenario.js';
import { StandalonePlatform } from './testing/standalone-platform.js';
import { StandaloneProcess, type Banner } from './testing/standalone-process.js';

// `npm start` as a user runs it: one child process on a fresh data folder, driven only through
// what it prints and its one HTTP port, then stopped and started again on the same folder.

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  ms = 30_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${String(last)}`);
    await sleep(100);
  }
}

interface Balance {
  total: string;
  topUp: string;
  bonusAndCompensation: string;
  held: string;
  available: string;
}

describe('npm start (the standalone mode)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'standalone-e2e-'));
  let running: StandaloneProcess | undefined;
  let banner: Banner;
  /** Σ of the metering cost of every request this file made, in nano-dollars. */
  let spent = 0n;

  const call = async <T>(
    method: string,
    path: string,
    token: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${banner.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text === '' ? undefined : JSON.parse(text)) as T };
  };
  const get = async <T>(path: string, token = banner.accountToken): Promise<T> => {
    const answer = await call<T>('GET', path, token);
    if (answer.status !== 200)
      throw new Error(`GET ${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    return answer.body;
  };
  const balance = (): Promise<Balance> => get<Balance>('/v1/accounts/acct_demo/balance');
  const openai = (): OpenAI =>
    new OpenAI({ baseURL: `${banner.baseUrl}/api/v1`, apiKey: banner.apiKey, maxRetries: 0 });

  /** The cost metering recorded for a request (its request log), once the usage has arrived. */
  const costOf = (requestId: string): Promise<bigint> =>
    eventually(`the request log of ${requestId}`, async () => {
      const log = await get<{ data: { requestId: string; cost: string }[] }>(
        '/v1/accounts/acct_demo/requests?limit=100',
      );
      const entry = log.data.find((r) => r.requestId === requestId);
      return entry === undefined ? undefined : parseUsd(entry.cost);
    });

  /** Waits until nothing is held and the ledger total is `total`. */
  const settledAt = (total: bigint): Promise<Balance> =>
    eventually(`a settled balance of ${formatUsd(total)}`, async () => {
      const b = await balance();
      return b.held === '0' && parseUsd(b.total) === total ? b : undefined;
    });

  beforeAll(async () => {
    ({ process: running, banner } = await StandaloneProcess.start({
      dataDir,
      env: { BUILDER_MONTHLY_PRICE_USD: '19.99' },
    }));
  }, 180_000);

  afterAll(async () => {
    await running?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('starts on a fresh data folder with a demo account funded by a $10 top-up and its 20% bonus', async () => {
    expect(banner.firstRun).toBe(true);
    expect(banner.apiKey).toMatch(/^sk-payg-/);
    expect(banner.baseUrl).toMatch(/^http:\/\/localhost:\d+$/);
    expect(statSync(join(dataDir, 'secrets.json')).mode & 0o777).toBe(0o600);
    const breakdown = await get<Record<string, string>>('/v1/accounts/acct_demo/credits-breakdown');
    expect(breakdown).toMatchObject({ topUps: '10', bonuses: '2', usage: '0', totalBalance: '12' });
    expect(await balance()).toMatchObject({ total: '12', topUp: '10', bonusAndCompensation: '2' });
  });

  it('answers the printed key through the official openai client, and the balance falls by the priced cost', async () => {
    const before = parseUsd((await balance()).total);
    const { data, response } = await openai()
      .chat.completions.create({
        model: 'sim/echo-1',
        messages: [{ role: 'user', content: 'What is the meaning of life?' }],
      })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe('Echo: What is the meaning of life?');
    expect(data.usage?.prompt_tokens).toBeGreaterThan(0);
    const cost = await costOf(response.headers.get('x-request-id') ?? '');
    expect(cost).toBeGreaterThan(0n);
    spent += cost;
    await settledAt(before - cost);
  });

  it('streams through the official openai client, and the balance falls by the priced cost', async () => {
    const before = parseUsd((await balance()).total);
    const { data: stream, response } = await openai()
      .chat.completions.create({
        model: 'sim/echo-1',
        messages: [{ role: 'user', content: 'Stream, please.' }],
        stream: true,
        stream_options: { include_usage: true },
      })
      .withResponse();
    let text = '';
    let completionTokens = 0;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      completionTokens = chunk.usage?.completion_tokens ?? completionTokens;
    }
    expect(text).toBe('Echo: Stream, please.');
    expect(completionTokens).toBeGreaterThan(0);
    const cost = await costOf(response.headers.get('x-request-id') ?? '');
    spent += cost;
    await settledAt(before - cost);
  });

  it('tops up through the simulated payment provider at once, and the breakdown shows the 20% bonus', async () => {
    const before = parseUsd((await balance()).total);
    const created = await call<{ topUpId: string }>(
      'POST',
      '/v1/accounts/acct_demo/top-ups',
      banner.accountToken,
      {
        amount: '20',
      },
    );
    expect(created.status).toBe(201);
    await settledAt(before + parseUsd('24'));
    const breakdown = await get<Record<string, string>>('/v1/accounts/acct_demo/credits-breakdown');
    expect(breakdown).toMatchObject({
      topUps: '30',
      bonuses: '6',
      usage: formatUsd(spent),
      totalBalance: formatUsd(parseUsd('36') - spent),
    });
    const transactions = await get<{ data: { type: string; amount: string }[] }>(
      '/v1/accounts/acct_demo/transactions',
    );
    expect(transactions.data).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'top_up', amount: '20' }),
        expect.objectContaining({ type: 'bonus', amount: '4' }),
        expect.objectContaining({ type: 'usage' }),
      ]),
    );
  });

  it('starts a Builder subscription through the simulated provider at once: invoiced $19.99, the balance untouched, builder keys allowed', async () => {
    const before = await balance();
    const started = await call<{ status: string }>(
      'POST',
      '/v1/accounts/acct_demo/builder-subscription',
      banner.accountToken,
    );
    expect([started.status, started.body.status]).toEqual([201, 'active']);
    const view = await get<{ active: boolean; invoices: { amount: string }[] }>(
      '/v1/accounts/acct_demo/builder-subscription',
    );
    expect(view).toMatchObject({ active: true, invoices: [{ amount: '19.99' }] });
    const key = await eventually('a builder key', async () => {
      const created = await call<{ plan: string }>(
        'POST',
        '/v1/accounts/acct_demo/api-keys',
        banner.accountToken,
        { name: 'builder', plan: 'builder' },
      );
      return created.status === 201 ? created.body : undefined;
    });
    expect(key.plan).toBe('builder');
    expect((await balance()).total).toBe(before.total);
  });

  it('shows in the key list what the key has used and when it was last used', async () => {
    const keys = await eventually('the key usage', async () => {
      const list = await get<{ data: { name: string; used: string; lastUsedAt: string | null }[] }>(
        '/v1/accounts/acct_demo/api-keys',
      );
      const demo = list.data.find((k) => k.name === 'demo');
      return demo !== undefined && parseUsd(demo.used) === spent ? demo : undefined;
    });
    expect(keys.lastUsedAt).not.toBeNull();
  });

  it('answers /health for the five services, and /docs with one OpenAPI document for all', async () => {
    const health = await fetch(`${banner.baseUrl}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({
      status: 'ok',
      service: 'standalone',
      checks: {
        database: 'up',
        metering: 'up',
        ledger: 'up',
        keys: 'up',
        payments: 'up',
        gateway: 'up',
      },
    });
    const docs = (await (await fetch(`${banner.baseUrl}/docs/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(docs.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/chat/completions',
        '/v1/accounts/{accountId}/api-keys',
        '/v1/models',
        '/v1/accounts/{accountId}/credits-breakdown',
        '/v1/accounts/{accountId}/top-ups',
      ]),
    );
  });

  it("runs the README's walkthrough as printed, with the banner's key and account token", async () => {
    // The same check as tests/compose/walkthrough.compose.spec.ts, on the one port of npm start.
    const scratch = mkdtempSync(join(tmpdir(), 'standalone-walkthrough-'));
    try {
      const answers = await expectWalkthrough({
        baseUrl: banner.baseUrl,
        key: banner.apiKey,
        account: banner.accountToken,
        cwd: scratch,
      });
      const completion = answers.find((a) => a.command.includes('/api/v1/chat/completions'));
      spent += await costOf(completion?.requestId ?? '');
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }, 120_000);

  it('refuses a second process on the same data folder', async () => {
    const second = StandaloneProcess.spawn({ dataDir });
    expect((await second.exited()).code).toBe(1);
    expect(second.log()).toContain('another standalone process');
  }, 60_000);

  it('keeps the data, the secrets and the key across a restart', async () => {
    const before = await balance();
    const stopped = await running!.stop('SIGTERM');
    expect(stopped).toEqual({ code: 0, signal: null });

    const restarted = await StandaloneProcess.start({ dataDir });
    running = restarted.process;
    const first = banner;
    banner = restarted.banner;
    expect(banner.firstRun).toBe(false);
    expect(banner.apiKey).toBe(first.apiKey);
    expect(banner.adminToken).toBe(first.adminToken);
    expect(banner.auditorToken).toBe(first.auditorToken);
    expect(banner.auditorToken).not.toBe(banner.adminToken);
    expect(await balance()).toEqual({ ...before, asOf: expect.any(String) as string });

    // The ledger's in-memory state is gone; the next charge folds the account's stream again.
    const { response } = await openai()
      .chat.completions.create({
        model: 'sim/echo-1',
        messages: [{ role: 'user', content: 'again' }],
      })
      .withResponse();
    const cost = await costOf(response.headers.get('x-request-id') ?? '');
    spent += cost;
    await settledAt(parseUsd(before.total) - cost);
  }, 180_000);
});

describe('npm start with NODE_ENV=production', () => {
  it('refuses to start, and says why', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'standalone-prod-'));
    try {
      const p = StandaloneProcess.spawn({ dataDir, env: { NODE_ENV: 'production' } });
      expect((await p.exited()).code).toBe(1);
      expect(p.log()).toMatch(/NODE_ENV=production: `npm start` is the standalone mode/);
      expect(p.log()).toContain('not for production');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('the billing scenario against the standalone mode', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'standalone-scenario-'));
  let platform: StandalonePlatform | undefined;
  let running: StandaloneProcess | undefined;

  beforeAll(async () => {
    // The AI insurance evaluates every second, so the scenario sees its claim at once.
    const started = await StandaloneProcess.start({
      dataDir,
      env: { INSURANCE_EVALUATE_EVERY_SECONDS: '1' },
    });
    running = started.process;
    platform = new StandalonePlatform(started.process, started.banner);
  }, 180_000);

  afterAll(async () => {
    await running?.stop();
    if (!scenario.failed()) rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  const scenario = runBillingScenario(() => {
    if (platform === undefined)
      throw new Error('the standalone process did not start (see beforeAll)');
    return platform;
  });
});
