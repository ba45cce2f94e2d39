// SIGTERM to a gateway process while 50 streams are in flight (issue #10, "shutdown loses
// nothing"): the gateway stops taking requests (503 shutting_down, /health 503), lets every
// stream finish, writes every one's usage to the outbox exactly as the client was told it, and
// only then closes its pool and exits 0. Then: a stream still running when the grace period ends
// is cut, and recorded as cancelled for what was generated.
// Real: the gateway's own process (`npm run start:gateway`'s command), PostgreSQL (a database of
// this test's own), HTTP. Stand-ins: the ledger's holds, metering's catalog, the keys lookup and
// a simulated upstream (`up/slow` streams one token per chunk). The broker is unreachable on
// purpose: the usage must be in the outbox, which is what survives the process.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateApiKey, lookupHash } from '@billing/api-keys';
import { eventually, freePorts, testDatabaseUrl } from '@billing/testing';
import pg from 'pg';
import { KeysLookupStandIn } from './testing/keys-lookup-stand-in.js';
import { LedgerStandIn } from './testing/ledger-stand-in.js';
import { MeteringCatalogStandIn } from './testing/metering-stand-in.js';
import { SimulatedUpstreamServer } from './testing/simulated-upstream-server.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const SERVICE_TOKEN = `shutdown-test-service-token-${randomBytes(8).toString('hex')}`;
const PEPPER = `shutdown-test-pepper-${randomBytes(12).toString('hex')}`;
const UPSTREAM_KEY = 'sk-upstream-shutdown-test';

const database = `gw_shutdown_${randomBytes(5).toString('hex')}`;
const adminUrl = testDatabaseUrl();
const databaseUrl = (() => {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
})();

const ledger = new LedgerStandIn(SERVICE_TOKEN);
const metering = new MeteringCatalogStandIn();
const upstream = new SimulatedUpstreamServer({ apiKey: UPSTREAM_KEY, slowChunkDelayMs: 100 });
const keysLookup = new KeysLookupStandIn(SERVICE_TOKEN);
const accountId = `acct_${randomUUID().slice(0, 8)}`;
const { key } = generateApiKey();
let db: pg.Pool;

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  await admin(`CREATE DATABASE ${database}`);
  db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  await Promise.all([ledger.start(), metering.start(), upstream.start(), keysLookup.start()]);
  keysLookup.keys.set(lookupHash(key, PEPPER), {
    apiKeyId: 'key_shutdown',
    accountId,
    status: 'enabled',
  });
  ledger.setBalance(accountId, '1000');
});

afterAll(async () => {
  await Promise.all([ledger.stop(), metering.stop(), upstream.stop(), keysLookup.stop()]);
  await db?.end();
  await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
});

interface Gateway {
  readonly url: string;
  readonly child: ChildProcess;
  output(): string;
}

async function startGateway(graceSeconds: number): Promise<Gateway> {
  const [port] = await freePorts(1);
  const child = spawn(
    process.execPath,
    ['--import', '@swc-node/register/esm-register', 'services/gateway/src/main.ts'],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'test',
        NO_COLOR: '1',
        PORT: String(port),
        DATABASE_URL: databaseUrl,
        // Nothing listens there: what is not yet published stays in the outbox.
        KAFKA_BROKERS: '127.0.0.1:1',
        SERVICE_TOKEN,
        API_KEY_PEPPER: PEPPER,
        LEDGER_URL: ledger.url,
        METERING_URL: metering.url,
        KEYS_URL: keysLookup.url,
        UPSTREAM_PROVIDERS: `up=${upstream.baseUrl}`,
        UPSTREAM_UP_API_KEY: UPSTREAM_KEY,
        SHUTDOWN_GRACE_SECONDS: String(graceSeconds),
      },
    },
  );
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  await eventually(
    async () => {
      if (child.exitCode !== null) throw new Error(`the gateway exited:\n${out}`);
      const res = await fetch(`${url}/api/v1/models`, {
        headers: { authorization: `Bearer ${key}` },
      }).catch(() => undefined);
      // Up once the catalog is in: the model list is not empty.
      return res?.ok === true && ((await res.json()) as { data: unknown[] }).data.length > 0
        ? true
        : undefined;
    },
    90_000,
    200,
  );
  return { url, child, output: () => out };
}

interface Streamed {
  readonly status: number;
  readonly requestId: string;
  readonly done: boolean;
  readonly usage: { prompt_tokens: number; completion_tokens: number } | undefined;
  readonly contentChunks: number;
}

/** One stream of `up/slow` (one token per chunk, 100 ms apart); `onFirstChunk` when it flows. */
async function stream(gw: Gateway, words: number, onFirstChunk: () => void): Promise<Streamed> {
  const res = await fetch(`${gw.url}/api/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'up/slow',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: Array.from({ length: words }, () => 'word').join(' ') }],
    }),
  });
  const requestId = res.headers.get('x-request-id') ?? '';
  let text = '';
  let first = true;
  const decoder = new TextDecoder();
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      text += decoder.decode(chunk, { stream: true });
      if (first && text.includes('"content"')) {
        first = false;
        onFirstChunk();
      }
    }
  } catch {
    // Cut by the gateway (the grace period ended): what arrived is what the client saw.
  }
  const events = text
    .split('\n\n')
    .filter((e) => e.startsWith('data: '))
    .map((e) => e.slice('data: '.length));
  const parsed = events
    .filter((e) => e !== '[DONE]')
    .map(
      (e) =>
        JSON.parse(e) as {
          usage?: Streamed['usage'];
          choices?: { delta?: { content?: string } }[];
        },
    );
  return {
    status: res.status,
    requestId,
    done: events.at(-1) === '[DONE]',
    usage: parsed.find((e) => e.usage != null)?.usage ?? undefined,
    // One token per chunk (`up/slow`); the first chunk carries the role and no text.
    contentChunks: parsed.filter((e) => (e.choices?.[0]?.delta?.content ?? '').length > 0).length,
  };
}

interface Recorded {
  readonly requestId: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly status: string;
}

async function recordedUsage(): Promise<Map<string, Recorded[]>> {
  const rows = await db.query<{ value: string }>(
    `SELECT value FROM gateway.outbox WHERE topic = 'usage.observed.v1' ORDER BY id`,
  );
  const byRequest = new Map<string, Recorded[]>();
  for (const row of rows.rows) {
    const data = (JSON.parse(row.value) as { data: Recorded }).data;
    byRequest.set(data.requestId, [...(byRequest.get(data.requestId) ?? []), data]);
  }
  return byRequest;
}

describe('SIGTERM to the gateway', () => {
  it('finishes 50 streams in flight and records every one exactly once before it exits 0', async () => {
    const gw = await startGateway(20);
    const flowing = { count: 0 };
    let allFlowing: () => void = () => undefined;
    const flowingAll = new Promise<void>((resolve) => (allFlowing = resolve));
    // About 40 tokens each at 100 ms a token: every stream runs for about 4 s.
    const streams = Array.from({ length: 50 }, () =>
      stream(gw, 40, () => {
        flowing.count += 1;
        if (flowing.count === 50) allFlowing();
      }),
    );
    await flowingAll;
    const exited = once(gw.child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    const signalledAt = Date.now();
    gw.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));

    // Draining: a new request is refused in OpenAI's shape; /health tells load balancers.
    const refused = await fetch(`${gw.url}/api/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'up/slow', messages: [{ role: 'user', content: 'late' }] }),
    });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
      'shutting_down',
    );
    expect((await fetch(`${gw.url}/health`)).status).toBe(503);

    const answers = await Promise.all(streams);
    const [code, signal] = await exited;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalledAt).toBeLessThan(20_000);
    expect(gw.output()).toContain('SIGTERM: draining');

    // Every stream was answered in full, and is in the outbox once, as the client was told.
    expect(answers.every((a) => a.status === 200 && a.done)).toBe(true);
    const recorded = await recordedUsage();
    for (const a of answers) {
      expect(recorded.get(a.requestId)).toEqual([
        {
          ...recorded.get(a.requestId)?.[0],
          requestId: a.requestId,
          status: 'succeeded',
          inputTokens: a.usage?.prompt_tokens,
          outputTokens: a.usage?.completion_tokens,
        },
      ]);
      expect(a.usage?.completion_tokens).toBeGreaterThanOrEqual(40);
    }
    expect(recorded.size).toBe(50);
    // No request was admitted after the signal: 50 holds, no more.
    expect(ledger.placed).toHaveLength(50);
  }, 120_000);

  it('cuts a stream still running when the grace period ends, and records what it generated as cancelled', async () => {
    const gw = await startGateway(1);
    const before = new Set((await recordedUsage()).keys());
    let flowing: () => void = () => undefined;
    const started = new Promise<void>((resolve) => (flowing = resolve));
    // About 150 tokens at 100 ms a token: 15 s, far past a 1 s grace period.
    const long = stream(gw, 150, () => flowing());
    await started;
    const exited = once(gw.child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    const signalledAt = Date.now();
    gw.child.kill('SIGTERM');
    const answer = await long;
    const [code] = await exited;
    expect(code).toBe(0);
    // The grace period, then about 10 s of kafkajs giving up its connection attempts to the
    // unreachable broker (the consumer's and the relay's; with a broker up they end at once).
    expect(Date.now() - signalledAt).toBeLessThan(30_000);
    expect(answer.done).toBe(false);
    const recorded = [...(await recordedUsage()).entries()].filter(([id]) => !before.has(id));
    expect(recorded).toHaveLength(1);
    const [requestId, rows] = recorded[0] ?? ['', []];
    expect(requestId).toBe(answer.requestId);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.status).toBe('cancelled');
    // Billed for what was generated: never zero, never the whole 150 tokens.
    expect(rows[0]?.outputTokens).toBeGreaterThanOrEqual(answer.contentChunks);
    expect(rows[0]?.outputTokens).toBeGreaterThan(0);
    expect(rows[0]?.outputTokens).toBeLessThan(150);
  }, 120_000);
});
