// Real: PostgreSQL, Kafka (keys topic in, usage topic out through the outbox relay), the HTTP
// server, the official `openai` client, the simulated OpenAI-compatible upstream over HTTP.
// Stand-ins: the ledger's holds API and metering's catalog (in-memory HTTP servers).
import { describe, expect, it, beforeAll, afterAll } from '@jest/globals';
import { eventually } from '@billing/testing';
import OpenAI from 'openai';
import {
  createGatewayTestApp,
  testAccount,
  type GatewayTestApp,
  type TestKey,
} from '../../testing/gateway-test-app.js';
import {
  countPromptTokens,
  simReplyText,
  countTextTokens,
  SIM_BREAK_STREAM_MARKER,
} from '../../domain/index.js';

let t: GatewayTestApp;
let key: TestKey;
let client: OpenAI;

beforeAll(async () => {
  t = await createGatewayTestApp();
  key = await t.createKey(testAccount());
  t.ledger.setBalance(key.accountId, '100');
  client = new OpenAI({ apiKey: key.key, baseURL: t.apiBase, maxRetries: 0 });
}, 60_000);

afterAll(async () => {
  await t?.close();
});

const messages = [{ role: 'user' as const, content: 'What is the meaning of life?' }];

describe('POST /api/v1/chat/completions with the official openai client', () => {
  it('answers a non-streaming sim/echo-1 request with exact usage and records it with its hold', async () => {
    const completion = await client.chat.completions.create({ model: 'sim/echo-1', messages });
    expect(completion.model).toBe('sim/echo-1');
    expect(completion.choices[0]?.message.content).toBe('Echo: What is the meaning of life?');
    const promptTokens = countPromptTokens({ messages, tools: undefined });
    const outputTokens = countTextTokens(simReplyText({ messages }));
    expect(completion.usage).toMatchObject({
      prompt_tokens: promptTokens,
      completion_tokens: outputTokens,
    });
    const requestId = completion.id.replace(/^chatcmpl-/, '');
    const event = await t.usageOf(requestId);
    expect(event.type).toBe('UsageObserved');
    expect(event.accountId).toBe(key.accountId);
    expect(event.data).toMatchObject({
      requestId,
      apiKeyId: key.apiKeyId,
      model: 'sim/echo-1',
      inputTokens: promptTokens,
      outputTokens,
      status: 'succeeded',
      holdId: requestId,
    });
    expect(event.data.estimated).toBeUndefined();
    const hold = t.ledger.placed.find((h) => h.holdId === requestId);
    // Worst case: the prompt at the dearest input price (a cache write, $1.25/M) plus the model's
    // whole 16,384-token output at $2/M, in nano-dollars.
    expect(hold?.amountNanos).toBe(BigInt(promptTokens) * 1_250n + 16_384n * 2_000n);
    expect(hold?.ttlSeconds).toBe(600);
  });
});

/** The data of every SSE event of a streamed answer, read raw (not through a client). */
async function rawStream(
  body: Record<string, unknown>,
  apiKey = key.key,
): Promise<{ status: number; requestId: string; events: string[] }> {
  const res = await fetch(`${t.apiBase}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ ...body, stream: true }),
  });
  const text = await res.text();
  const events = text
    .split('\n\n')
    .filter((e) => e.startsWith('data: '))
    .map((e) => e.slice('data: '.length));
  return { status: res.status, requestId: res.headers.get('x-request-id') ?? '', events };
}

interface ErrorAnswer {
  error: { message: string; type: string; param: string | null; code: string | null };
}

async function post(
  body: unknown,
  apiKey = key.key,
): Promise<{ status: number; body: ErrorAnswer }> {
  const res = await fetch(`${t.apiBase}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as ErrorAnswer };
}

describe('streaming', () => {
  it('streams sim/echo-1 in several chunks, then the usage chunk the client asked for', async () => {
    const stream = await client.chat.completions.create({
      model: 'sim/echo-1',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe('Echo: What is the meaning of life?');
    expect(chunks.filter((c) => (c.choices[0]?.delta.content ?? '') !== '').length).toBeGreaterThan(
      2,
    );
    const last = chunks[chunks.length - 1];
    expect(last?.choices).toEqual([]);
    const promptTokens = countPromptTokens({ messages, tools: undefined });
    const outputTokens = countTextTokens(simReplyText({ messages }));
    expect(last?.usage).toMatchObject({
      prompt_tokens: promptTokens,
      completion_tokens: outputTokens,
    });
    const requestId = last!.id.replace(/^chatcmpl-/, '');
    const event = await t.usageOf(requestId);
    expect(event.data).toMatchObject({
      inputTokens: promptTokens,
      outputTokens,
      status: 'succeeded',
      holdId: requestId,
    });
    expect(event.data.estimated).toBeUndefined();
    // The time to first token of the AI insurance: when the first text went out, within the request.
    const { startedAt, firstTokenAt, completedAt } = event.data;
    expect(firstTokenAt).toBeDefined();
    expect(Date.parse(firstTokenAt ?? '')).toBeGreaterThanOrEqual(Date.parse(startedAt));
    expect(Date.parse(firstTokenAt ?? '')).toBeLessThanOrEqual(Date.parse(completedAt));
  });

  it('records no first token for an answer that was not streamed', async () => {
    const { response } = await client.chat.completions
      .create({ model: 'sim/echo-1', messages })
      .withResponse();
    const event = await t.usageOf(response.headers.get('x-request-id') ?? '');
    expect(event.data.firstTokenAt).toBeUndefined();
  });

  it('breaks a sim stream on its simulation marker: the request is failed and charged for what was sent', async () => {
    const { status, requestId, events } = await rawStream({
      model: 'sim/echo-1',
      messages: [{ role: 'user', content: `a long story ${SIM_BREAK_STREAM_MARKER} to tell` }],
    });
    expect(status).toBe(200);
    expect(events.some((e) => e.includes('"upstream_error"'))).toBe(true);
    expect(events).not.toContain('[DONE]');
    const usage = await t.usageOf(requestId);
    expect(usage.data).toMatchObject({ status: 'failed', estimated: true });
    expect(usage.data.outputTokens).toBeGreaterThan(0);
    expect(usage.data.firstTokenAt).toBeDefined();
  });

  it('strips the usage chunk (and every usage field) when the client did not ask for it, and still bills exactly', async () => {
    const { status, requestId, events } = await rawStream({ model: 'sim/echo-1', messages });
    expect(status).toBe(200);
    expect(events[events.length - 1]).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e) as Record<string, unknown>);
    expect(chunks.length).toBeGreaterThan(3);
    for (const chunk of chunks) {
      expect(chunk).not.toHaveProperty('usage');
      expect((chunk.choices as unknown[]).length).toBe(1);
    }
    const event = await t.usageOf(requestId);
    expect(event.data.outputTokens).toBe(countTextTokens(simReplyText({ messages })));
    expect(event.data.estimated).toBeUndefined();
  });

  it('honours max_tokens: the output is cut there and the hold covers only that much', async () => {
    const completion = await client.chat.completions.create({
      model: 'sim/echo-1',
      messages,
      max_tokens: 3,
    });
    expect(completion.usage?.completion_tokens).toBe(3);
    expect(completion.choices[0]?.finish_reason).toBe('length');
    const requestId = completion.id.replace(/^chatcmpl-/, '');
    const hold = t.ledger.placed.find((h) => h.holdId === requestId);
    const promptTokens = BigInt(countPromptTokens({ messages, tools: undefined }));
    expect(hold?.amountNanos).toBe(promptTokens * 1_250n + 3n * 2_000n);
    expect((await t.usageOf(requestId)).data.outputTokens).toBe(3);
  });
});

describe('admission and errors, in the OpenAI error shape', () => {
  it('answers 402 insufficient_balance when the ledger refuses the hold, and calls no upstream', async () => {
    const poor = await t.createKey(testAccount());
    t.ledger.setBalance(poor.accountId, '0.00001');
    const poorClient = new OpenAI({ apiKey: poor.key, baseURL: t.apiBase, maxRetries: 0 });
    const before = t.upstream.received.length;
    const error = await poorClient.chat.completions
      .create({ model: 'up/echo', messages })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(402);
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('insufficient_balance');
    expect(t.upstream.received.length).toBe(before);
    // A small request that fits the balance is admitted.
    const ok = await poorClient.chat.completions.create({
      model: 'sim/echo-mini',
      messages,
      max_tokens: 5,
    });
    expect(ok.usage?.completion_tokens).toBe(5);
  });

  it('answers 404 model_not_found for an unknown model, an unknown provider and an unpriced model', async () => {
    for (const model of ['sim/nope', 'nobody/gpt-5', 'sim/unpriced', 'no-slash']) {
      const error = await client.chat.completions
        .create({ model, messages })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.NotFoundError);
      expect((error as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
    }
  });

  it('answers 400 invalid_request_error naming the field at fault', async () => {
    const noMessages = await post({ model: 'sim/echo-1' });
    expect(noMessages.status).toBe(400);
    expect(noMessages.body.error).toMatchObject({
      type: 'invalid_request_error',
      code: 'invalid_request_error',
      param: 'messages',
    });
    const badMax = await post({ model: 'sim/echo-1', messages, max_tokens: -1 });
    expect(badMax.status).toBe(400);
    expect(badMax.body.error.param).toBe('max_tokens');
    const notJson = await fetch(`${t.apiBase}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
      body: '{"model": ',
    });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { error: { type: string } }).error.type).toBe(
      'invalid_request_error',
    );
  });

  it('answers 503 ledger_unavailable, without calling the upstream, when the ledger cannot be reached', async () => {
    t.ledger.down = true;
    try {
      const before = t.upstream.received.length;
      const answer = await post({ model: 'up/echo', messages });
      expect(answer.status).toBe(503);
      expect(answer.body.error.code).toBe('ledger_unavailable');
      expect(t.upstream.received.length).toBe(before);
    } finally {
      t.ledger.down = false;
    }
  });

  it('releases a hold the ledger placed although its answer was lost, instead of keeping the money unavailable for the whole TTL', async () => {
    t.ledger.failAfterPlacing = true;
    try {
      const before = t.upstream.received.length;
      const answer = await post({ model: 'up/echo', messages });
      expect(answer.status).toBe(503);
      expect(answer.body.error.code).toBe('ledger_unavailable');
      expect(t.upstream.received.length).toBe(before);
      const placed = t.ledger.placed.at(-1);
      expect(placed?.accountId).toBe(key.accountId);
      await eventually(() => {
        expect(t.ledger.released).toContain(placed?.holdId);
        expect(t.ledger.holds.has(placed?.holdId ?? '')).toBe(false);
        return true;
      });
    } finally {
      t.ledger.failAfterPlacing = false;
    }
  });

  it('answers an unknown /api/v1 route with an OpenAI-shaped 404', async () => {
    const res = await fetch(`${t.apiBase}/embeddings`, { method: 'POST' });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe(
      'invalid_request_error',
    );
  });
});

describe('GET /api/v1/models', () => {
  it('lists the priced, routable models in OpenAI list shape, with their prices', async () => {
    const ids = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual(expect.arrayContaining(['sim/echo-1', 'sim/echo-mini', 'up/echo']));
    expect(ids).not.toContain('sim/unpriced');
    const one = await client.models.retrieve('sim/echo-1');
    expect(one).toMatchObject({ id: 'sim/echo-1', object: 'model', owned_by: 'sim' });
    expect((one as unknown as { pricing: unknown }).pricing).toEqual({
      input: '1',
      output: '2',
      cached_input: '0.1',
      cache_write: '1.25',
    });
  });

  it('needs a valid API key', async () => {
    const res = await fetch(`${t.apiBase}/models`);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_api_key');
  });
});

describe('forwarding to an OpenAI-compatible upstream (the simulated upstream server)', () => {
  it('sends the upstream its own model name and the provider key, and relays the answer under the gateway model id', async () => {
    const { data: completion, response } = await client.chat.completions
      .create({ model: 'up/echo', messages })
      .withResponse();
    expect(completion.model).toBe('up/echo');
    expect(completion.choices[0]?.message.content).toBe('Echo: What is the meaning of life?');
    const sent = t.upstream.received[t.upstream.received.length - 1];
    expect(sent?.body.model).toBe('echo');
    expect(sent?.authorization).toBe('Bearer sk-upstream-test-key');
    expect(sent?.authorization).not.toContain(key.key);
    // The upstream's completion id is kept; the gateway's request id is in a header.
    expect(completion.id).toMatch(/^chatcmpl-up/);
    const event = await t.usageOf(response.headers.get('x-request-id') ?? '');
    expect(event.data).toMatchObject({
      model: 'up/echo',
      inputTokens: completion.usage?.prompt_tokens,
      outputTokens: completion.usage?.completion_tokens,
      status: 'succeeded',
    });
    expect(event.data.estimated).toBeUndefined();
  });

  it('always asks the upstream for usage on streams, and hides it from a client that did not ask', async () => {
    const { status, requestId, events } = await rawStream({ model: 'up/echo', messages });
    expect(status).toBe(200);
    const sent = t.upstream.received[t.upstream.received.length - 1];
    expect(sent?.body.stream_options).toEqual({ include_usage: true });
    for (const e of events.slice(0, -1)) {
      const chunk = JSON.parse(e) as Record<string, unknown>;
      expect(chunk).not.toHaveProperty('usage');
      expect(chunk.model).toBe('up/echo');
    }
    const usage = await t.usageOf(requestId);
    expect(usage.data.estimated).toBeUndefined();
    expect(usage.data.outputTokens).toBe(countTextTokens(simReplyText({ messages })));
  });

  it('counts the tokens and marks the usage estimated when the upstream reports none (whole and streamed)', async () => {
    const whole = await fetch(`${t.apiBase}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'up/no-usage', messages }),
    });
    expect(whole.status).toBe(200);
    const wholeBody = (await whole.json()) as { usage?: unknown };
    expect(wholeBody.usage).toBeUndefined();
    const wholeUsage = await t.usageOf(whole.headers.get('x-request-id') ?? '');
    const streamed = await rawStream({
      model: 'up/no-usage',
      messages,
      stream_options: { include_usage: true },
    });
    const streamedUsage = await t.usageOf(streamed.requestId);
    for (const usage of [wholeUsage, streamedUsage]) {
      expect(usage.data).toMatchObject({
        status: 'succeeded',
        estimated: true,
        inputTokens: countPromptTokens({ messages, tools: undefined }),
        outputTokens: countTextTokens(simReplyText({ messages })),
      });
    }
  });

  it('bills a client that disconnects mid-stream for what was generated (never zero), estimated, and stops the upstream', async () => {
    const long = [
      { role: 'user', content: 'one two three four five six seven eight nine ten '.repeat(8) },
    ];
    const controller = new AbortController();
    const res = await fetch(`${t.apiBase}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'up/slow', messages: long, stream: true }),
      signal: controller.signal,
    });
    const requestId = res.headers.get('x-request-id') ?? '';
    const reader = res.body!.getReader();
    let received = '';
    while ((received.match(/"content":"[^"]+"/g) ?? []).length < 4) {
      const { value } = (await reader.read()) as { value?: Uint8Array };
      received += new TextDecoder().decode(value);
    }
    controller.abort();
    const usage = await t.usageOf(requestId);
    const full = countTextTokens(simReplyText({ messages: long }));
    expect(usage.data.status).toBe('cancelled');
    expect(usage.data.estimated).toBe(true);
    expect(usage.data.inputTokens).toBe(countPromptTokens({ messages: long, tools: undefined }));
    expect(usage.data.outputTokens).toBeGreaterThan(0);
    expect(usage.data.outputTokens).toBeLessThan(full);
    expect(usage.data.holdId).toBe(requestId);
    await eventually(() => (t.upstream.abortedStreams > 0 ? true : undefined), 5_000);
  });

  it('answers 502 when the upstream fails, releases the hold and records the failure at zero tokens', async () => {
    const error = await client.chat.completions
      .create({ model: 'up/fail', messages })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    const events = await eventually(async () => {
      const found = (await t.outboxUsage()).filter((e) => e.data.model === 'up/fail');
      return found.length > 0 ? found : undefined;
    });
    const failed = events[0]!;
    expect(failed.data).toMatchObject({ status: 'failed', inputTokens: 0, outputTokens: 0 });
    await eventually(() => (t.ledger.released.includes(failed.data.requestId) ? true : undefined));
    expect(t.ledger.holds.has(failed.data.requestId)).toBe(false);
  });

  it("passes an upstream 400 on as the client's invalid_request_error, with the upstream's param", async () => {
    const answer = await post({ model: 'up/reject', messages, temperature: 7 });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({
      type: 'invalid_request_error',
      param: 'temperature',
    });
  });

  it('ends a stream the upstream breaks off with an error event, billing what was sent as failed and estimated', async () => {
    const { status, requestId, events } = await rawStream({ model: 'up/broken', messages });
    expect(status).toBe(200);
    expect(events.some((e) => e.includes('"error"'))).toBe(true);
    const usage = await t.usageOf(requestId);
    expect(usage.data).toMatchObject({ status: 'failed', estimated: true });
    expect(usage.data.outputTokens).toBeGreaterThan(0);
  });
});

describe('an answer is complete only once its usage is in the outbox (issue #11)', () => {
  // A crash between the answer and the outbox write would lose a charge the client was answered
  // for. The outbox is locked against writes here: the answer must wait for the lock, and the
  // usage must be there the moment the answer is.
  it.each([
    ['whole', false],
    ['streamed', true],
  ])('holds back a %s answer until its usage is committed to the outbox', async (_, stream) => {
    const locker = await t.db.connect();
    try {
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE ${t.schema}.outbox IN SHARE MODE`);
      let answeredAt: number | undefined;
      let headAt: number | undefined;
      const answer = fetch(`${t.apiBase}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'sim/echo-1', messages, stream }),
      }).then(async (res) => {
        headAt = Date.now();
        const text = await res.text();
        answeredAt = Date.now();
        return { res, text };
      });
      await new Promise((r) => setTimeout(r, 1_500));
      // A stream's head (200) may go out at once; its [DONE], like a whole answer, may not.
      expect(headAt === undefined).toBe(!stream);
      expect(answeredAt).toBeUndefined();
      const releasedAt = Date.now();
      await locker.query('COMMIT');
      const { res, text } = await answer;
      expect(res.status).toBe(200);
      expect(answeredAt).toBeGreaterThanOrEqual(releasedAt);
      const complete = stream
        ? text.trimEnd().endsWith('data: [DONE]')
        : text.includes('Echo: What is the meaning of life?');
      expect(complete).toBe(true);
      const requestId = res.headers.get('x-request-id');
      const recorded = (await t.outboxUsage()).filter((e) => e.data.requestId === requestId);
      expect(recorded).toHaveLength(1);
      expect(recorded[0]?.data.status).toBe('succeeded');
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      locker.release();
    }
  });
});
