// A request never runs past its hold (issue #10). Real: PostgreSQL, Kafka, the HTTP server, the
// simulated OpenAI-compatible upstream streaming one token every 40 ms. Stand-in: the ledger's
// holds API, which lets a hold expire at its TTL exactly as the ledger does, and extends it.
import { describe, expect, it, beforeAll, afterAll } from '@jest/globals';
import { parseUsd } from '@billing/money';
import { eventually } from '@billing/testing';
import {
  costOfUsage,
  countPromptTokens,
  countTextTokens,
  simReplyText,
  type ModelPrices,
} from '../../domain/index.js';
import { TEST_CATALOG } from '../../testing/metering-stand-in.js';
import {
  createGatewayTestApp,
  testAccount,
  type GatewayTestApp,
  type TestKey,
} from '../../testing/gateway-test-app.js';

// The `up/*` price of the test catalog: $1/M input, $2/M output, $0.1/M cached, $1.25/M writes.
const UP_PRICES: ModelPrices = {
  version: 'v',
  effectiveFromMs: 0,
  inputNanos: parseUsd('1'),
  outputNanos: parseUsd('2'),
  cachedInputNanos: parseUsd('0.1'),
  cacheWriteNanos: parseUsd('1.25'),
};

// About 120 words: the slow upstream streams the echo for about five seconds.
const long = [
  { role: 'user', content: 'one two three four five six seven eight nine ten '.repeat(12) },
];

/** Streams a request raw, with the time it took and every SSE data line. */
async function stream(
  t: GatewayTestApp,
  key: TestKey,
  body: Record<string, unknown>,
  onFirstContent?: (requestId: string) => void,
): Promise<{ requestId: string; events: string[]; elapsedMs: number }> {
  const started = Date.now();
  const res = await fetch(`${t.apiBase}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ ...body, stream: true }),
  });
  expect(res.status).toBe(200);
  const requestId = res.headers.get('x-request-id') ?? '';
  const reader = res.body!.getReader();
  let text = '';
  let notified = false;
  for (;;) {
    const chunk = (await reader.read()) as { value?: Uint8Array; done: boolean };
    if (chunk.done) break;
    text += new TextDecoder().decode(chunk.value);
    if (!notified && /"content":"[^"]+"/.test(text)) {
      notified = true;
      onFirstContent?.(requestId);
    }
  }
  const events = text
    .split('\n\n')
    .filter((e) => e.startsWith('data: '))
    .map((e) => e.slice('data: '.length));
  return { requestId, events, elapsedMs: Date.now() - started };
}

function errorOf(events: string[]): { code: string; message: string } | undefined {
  for (const e of events) {
    if (!e.includes('"error"')) continue;
    return (JSON.parse(e) as { error: { code: string; message: string } }).error;
  }
  return undefined;
}

describe('a stream that outlives its hold TTL (HOLD_TTL_SECONDS=1)', () => {
  let t: GatewayTestApp;
  let key: TestKey;

  beforeAll(async () => {
    // up/echo answers whole, with the upstream's exact usage, up to 4,096 tokens; the catalog
    // says the model stops at 4, so the hold covers 4 output tokens and the upstream sends more.
    const catalog = {
      ...TEST_CATALOG,
      data: TEST_CATALOG.data.map((m) =>
        (m as { id: string }).id === 'up/echo' ? { ...m, maxOutputTokens: 4 } : m,
      ),
    };
    t = await createGatewayTestApp({ holdTtlSeconds: 1, requestDeadlineSeconds: 60, catalog });
    key = await t.createKey(testAccount());
    t.ledger.setBalance(key.accountId, '100');
  }, 60_000);

  afterAll(async () => {
    await t?.close();
  });

  it('keeps its hold: extended every third of the TTL, never expired, and the stream completes', async () => {
    const { requestId, events, elapsedMs } = await stream(t, key, {
      model: 'up/slow',
      messages: long,
    });
    expect(events[events.length - 1]).toBe('[DONE]');
    expect(errorOf(events)).toBeUndefined();
    // Several TTLs long, yet the stand-in (which drops holds at their TTL) never expired it.
    expect(elapsedMs).toBeGreaterThan(2_500);
    const extensions = t.ledger.extended.filter((e) => e.holdId === requestId);
    expect(extensions.length).toBeGreaterThanOrEqual(Math.floor(elapsedMs / 1_000));
    expect(t.ledger.expired).not.toContain(requestId);
    expect(t.ledger.holds.has(requestId)).toBe(true);
    const usage = await t.usageOf(requestId);
    expect(usage.data).toMatchObject({
      status: 'succeeded',
      outputTokens: countTextTokens(simReplyText({ messages: long })),
    });
    // Once the request is over nothing extends it any more: it expires unless its usage is charged.
    const extendedAtEnd = t.ledger.extended.filter((e) => e.holdId === requestId).length;
    await eventually(() => {
      t.ledger.expireDue();
      return t.ledger.expired.includes(requestId) ? true : undefined;
    }, 10_000);
    expect(t.ledger.extended.filter((e) => e.holdId === requestId).length).toBe(extendedAtEnd);
  }, 60_000);

  it('ends the stream with a hold_lost SSE error when the ledger no longer holds its hold, billing only what was sent', async () => {
    const { requestId, events } = await stream(t, key, { model: 'up/slow', messages: long }, (id) =>
      t.ledger.closeHold(id),
    );
    expect(events).not.toContain('[DONE]');
    expect(errorOf(events)).toEqual({
      code: 'hold_lost',
      message: expect.stringContaining('could no longer be kept') as unknown as string,
      type: 'service_unavailable',
      param: null,
    });
    const usage = await t.usageOf(requestId);
    expect(usage.data).toMatchObject({ status: 'failed', estimated: true });
    expect(usage.data.outputTokens).toBeGreaterThan(0);
    expect(usage.data.outputTokens).toBeLessThan(countTextTokens(simReplyText({ messages: long })));
    await eventually(() => (t.upstream.abortedStreams > 0 ? true : undefined), 5_000);
  }, 60_000);

  it('never reports more usage than the hold covers, even when the upstream generates past the limit the hold assumed', async () => {
    const messages = [
      { role: 'user', content: 'please repeat these words back to me verbatim now' },
    ];
    const res = await fetch(`${t.apiBase}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'up/echo', messages }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { usage: { completion_tokens: number } };
    const requestId = res.headers.get('x-request-id') ?? '';
    const hold = t.ledger.placed.find((h) => h.holdId === requestId);
    const promptTokens = countPromptTokens({ messages, tools: undefined });
    // The hold: the prompt at the dearest input price plus the catalog's 4 output tokens.
    expect(hold?.amountNanos).toBe(BigInt(promptTokens) * 1_250n + 4n * 2_000n);
    // The upstream really generated (and reported) more than that.
    expect(body.usage.completion_tokens).toBeGreaterThan(4);
    const usage = await t.usageOf(requestId);
    expect(usage.data.estimated).toBe(true);
    expect(usage.data.outputTokens).toBeLessThan(body.usage.completion_tokens);
    const charged = costOfUsage(usage.data, UP_PRICES);
    expect(charged).toBeLessThanOrEqual(hold!.amountNanos);
    // The most the hold pays for: one more output token would not fit.
    expect(
      costOfUsage({ ...usage.data, outputTokens: usage.data.outputTokens + 1 }, UP_PRICES),
    ).toBeGreaterThan(hold!.amountNanos);
  }, 30_000);
});

describe('a stream that reaches the overall deadline (REQUEST_DEADLINE_SECONDS=1)', () => {
  let t: GatewayTestApp;
  let key: TestKey;

  beforeAll(async () => {
    t = await createGatewayTestApp({ requestDeadlineSeconds: 1 });
    key = await t.createKey(testAccount());
    t.ledger.setBalance(key.accountId, '100');
  }, 60_000);

  afterAll(async () => {
    await t?.close();
  });

  it('is ended at the deadline with a request_deadline_exceeded SSE error, the upstream stopped, and billed for what was sent within its hold', async () => {
    const { requestId, events, elapsedMs } = await stream(t, key, {
      model: 'up/slow',
      messages: long,
    });
    expect(events).not.toContain('[DONE]');
    expect(errorOf(events)).toEqual({
      code: 'request_deadline_exceeded',
      message: expect.stringContaining('maximum of 1 seconds') as unknown as string,
      type: 'timeout_error',
      param: null,
    });
    // The whole answer takes about five seconds; the deadline cut it after one.
    expect(elapsedMs).toBeLessThan(4_000);
    await eventually(() => (t.upstream.abortedStreams > 0 ? true : undefined), 5_000);
    const usage = await t.usageOf(requestId);
    expect(usage.data).toMatchObject({
      status: 'failed',
      estimated: true,
      inputTokens: countPromptTokens({ messages: long, tools: undefined }),
    });
    expect(usage.data.outputTokens).toBeGreaterThan(0);
    expect(usage.data.outputTokens).toBeLessThan(countTextTokens(simReplyText({ messages: long })));
    const hold = t.ledger.placed.find((h) => h.holdId === requestId);
    expect(costOfUsage(usage.data, UP_PRICES)).toBeLessThanOrEqual(hold!.amountNanos);
  }, 60_000);
});
