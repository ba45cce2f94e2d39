// Admission against hostile requests (issue #10, items 1, 7 and 8), at the gateway with real
// bodies over real HTTP: the key is checked before a byte of the body is read, bodies over the
// limit are refused while they stream in, large bodies are parsed off the event loop with a
// linear prompt bound, made-up model names never become metrics labels, upstream error text never
// reaches the client, and a key the cache does not know yet is looked up authoritatively.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateApiKey, lookupHash } from '@billing/api-keys';
import { countPromptTokens, promptTokenBound, type ChatMessage } from '../domain/index.js';
import {
  createGatewayTestApp,
  PEPPER,
  testAccount,
  UPSTREAM_KEY,
  type GatewayTestApp,
  type TestKey,
} from '../testing/gateway-test-app.js';

let t: GatewayTestApp;
let key: TestKey;
const MIB = 1024 * 1024;

beforeAll(async () => {
  t = await createGatewayTestApp({ keyNegativeCacheMs: 60_000 });
  key = await t.createKey(testAccount());
  t.ledger.setBalance(key.accountId, '1000');
}, 60_000);

afterAll(async () => {
  await t?.close();
});

interface RawAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: { error?: { code?: string; message?: string; param?: string | null } } & Record<
    string,
    unknown
  >;
  /** Bytes of the body the client had written when the answer arrived. */
  readonly sentWhenAnswered: number;
}

const PIECE = 64 * 1024;

/**
 * Sends `total` bytes of body in 64 KiB pieces, as fast as the server reads them, and resolves
 * with the answer as soon as it arrives, without waiting for the rest of the body to be sent.
 * With `waitAfterFirstPiece`, it sends one piece and then waits for an answer (at most 15 s)
 * before sending the rest: a server that waits for the whole body answers only after the wait.
 */
function send(options: {
  readonly authorization?: string;
  readonly waitAfterFirstPiece?: boolean;
  readonly total: number;
  readonly chunked?: boolean;
  readonly headers?: Record<string, string>;
}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const url = new URL(`${t.apiBase}/chat/completions`);
    const req = http.request(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(options.authorization !== undefined && { authorization: options.authorization }),
        ...(options.chunked === true
          ? { 'transfer-encoding': 'chunked' }
          : { 'content-length': String(options.total) }),
        ...options.headers,
      },
    });
    let sent = 0;
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      const sentWhenAnswered = sent;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: text.length > 0 ? (JSON.parse(text) as RawAnswer['body']) : {},
          sentWhenAnswered,
        });
        req.destroy();
      });
    });
    // The server may close the connection while the client is still writing: that is the point.
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    const filler = Buffer.alloc(PIECE, 0x61);
    const write = (): void => {
      while (!answered && sent < options.total) {
        const piece = filler.subarray(0, Math.min(filler.length, options.total - sent));
        sent += piece.length;
        const more = req.write(piece);
        if (options.waitAfterFirstPiece === true && sent === piece.length) {
          setTimeout(write, 15_000).unref();
          return;
        }
        if (!more) {
          req.once('drain', write);
          return;
        }
      }
      if (!answered && sent >= options.total) req.end();
    };
    write();
  });
}

/** A whole JSON body over HTTP, read back. */
async function post(
  body: string | Buffer,
  authorization = `Bearer ${key.key}`,
): Promise<{ status: number; body: RawAnswer['body']; headers: Headers }> {
  const res = await fetch(`${t.apiBase}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization },
    body,
  });
  return {
    status: res.status,
    body: (await res.json()) as RawAnswer['body'],
    headers: res.headers,
  };
}

/** A key that checks out (valid checksum) but that no one created. */
function madeUpKey(): string {
  return generateApiKey().key;
}

describe('the API key is checked before the body is read', () => {
  it('answers an unknown key with a declared 4 MiB body 401 without reading it, and closes the connection', async () => {
    const answer = await send({
      authorization: `Bearer ${madeUpKey()}`,
      total: 4 * MIB - 1,
      waitAfterFirstPiece: true,
    });
    expect(answer.status).toBe(401);
    expect(answer.body.error?.code).toBe('invalid_api_key');
    expect(answer.headers.connection).toBe('close');
    // The answer came while all but the first piece of the body was unsent: nothing waited for it.
    expect(answer.sentWhenAnswered).toBe(PIECE);
  });

  it('answers a missing key 401 with a chunked body of no declared size, unread', async () => {
    const answer = await send({ total: 8 * MIB, chunked: true, waitAfterFirstPiece: true });
    expect(answer.status).toBe(401);
    expect(answer.sentWhenAnswered).toBe(PIECE);
  });
});

describe('bodies over MAX_BODY_BYTES (4 MiB) are refused with 413 in the OpenAI shape', () => {
  it('refuses a declared Content-Length over the limit before reading a byte of it', async () => {
    const answer = await send({
      authorization: `Bearer ${key.key}`,
      total: 4 * MIB + 1,
      waitAfterFirstPiece: true,
    });
    expect(answer.status).toBe(413);
    expect(answer.body.error).toMatchObject({
      code: 'request_too_large',
      type: 'invalid_request_error',
    });
    expect(answer.headers.connection).toBe('close');
    expect(answer.sentWhenAnswered).toBe(PIECE);
  });

  it('refuses a chunked body that grows past the limit as soon as it passes it, not at its end', async () => {
    const answer = await send({
      authorization: `Bearer ${key.key}`,
      total: 64 * MIB,
      chunked: true,
    });
    expect(answer.status).toBe(413);
    expect(answer.body.error?.code).toBe('request_too_large');
    // Refused shortly after 4 MiB, never buffered to its 64 MiB end.
    expect(answer.sentWhenAnswered).toBeLessThan(32 * MIB);
  });

  it('refuses a compressed body (a small gzip can inflate without bound)', async () => {
    const answer = await send({
      authorization: `Bearer ${key.key}`,
      total: 1024,
      headers: { 'content-encoding': 'gzip' },
    });
    expect(answer.status).toBe(415);
  });
});

describe('large prompts are admitted in linear time, off the event loop', () => {
  it('refuses a 4 MiB single-word prompt from an account with $0 with 402, holding an upper bound of its tokens, and /health keeps answering', async () => {
    const poor = await t.createKey(testAccount());
    t.ledger.setBalance(poor.accountId, '0');
    const word = 'a'.repeat(4 * MIB - 200);
    const body = JSON.stringify({
      model: 'sim/echo-1',
      messages: [{ role: 'user', content: word }],
    });
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(4 * MIB);
    const health = (async () => {
      const answers: number[] = [];
      for (let i = 0; i < 5; i++) answers.push((await fetch(`${t.url}/health`)).status);
      return answers;
    })();
    const answers = await Promise.all(
      Array.from({ length: 3 }, () => post(body, `Bearer ${poor.key}`)),
    );
    for (const answer of answers) {
      expect(answer.status).toBe(402);
      expect(answer.body.error?.code).toBe('insufficient_balance');
      // The bound, not the quadratic count: one piece longer than a merge counts its bytes.
      const bound = promptTokenBound({
        messages: [{ role: 'user', content: word }],
        tools: undefined,
      });
      expect(bound).toBeGreaterThanOrEqual(word.length);
      expect(answer.body.error?.message).toContain(`(${bound} prompt tokens`);
    }
    expect(await health).toEqual([200, 200, 200, 200, 200]);
  });

  it('admits a 300 KiB ordinary-text prompt parsed on a worker, billing exactly the tokenizer count', async () => {
    const words = 'the ledger holds what the gateway admits, and bills what the provider reports. ';
    const messages: ChatMessage[] = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: words.repeat(Math.ceil((300 * 1024) / words.length)) },
    ];
    const answer = await post(JSON.stringify({ model: 'sim/echo-1', messages, max_tokens: 8 }));
    expect(answer.status).toBe(200);
    const exact = countPromptTokens({ messages, tools: undefined });
    expect((answer.body.usage as { prompt_tokens: number }).prompt_tokens).toBe(exact);
    const requestId = answer.headers.get('x-request-id') ?? '';
    expect((await t.usageOf(requestId)).data.inputTokens).toBe(exact);
  });

  it('answers 400 to a large body that is not JSON (worker path) and to a small one', async () => {
    const large = await post(`{"model":"sim/echo-1","messages":[${'"x",'.repeat(4096)}`);
    expect(large.status).toBe(400);
    expect(large.body.error?.code).toBe('invalid_request_error');
    const small = await post('{"model":');
    expect(small.status).toBe(400);
    expect(small.body.error?.code).toBe('invalid_request_error');
  });

  it('refuses a body nested two million levels deep with 400 (the worker refuses it; nothing deep reaches the event loop)', async () => {
    for (const deep of [
      `${'['.repeat(2 * MIB)}${']'.repeat(2 * MIB)}`,
      `{"model":"sim/echo-1","messages":[{"role":"user","content":"hi","x":${'['.repeat(MIB)}${']'.repeat(MIB)}}]}`,
    ]) {
      const answer = await post(deep);
      expect(answer.status).toBe(400);
    }
    expect((await fetch(`${t.url}/health`)).status).toBe(200);
  });
});

describe('metrics labels', () => {
  it('never turns a made-up model name into a metrics label: it is counted as `other`', async () => {
    const invented = 'made-up/model_label_injection_9f3a';
    const answer = await post(
      JSON.stringify({ model: invented, messages: [{ role: 'user', content: 'hi' }] }),
    );
    expect(answer.status).toBe(404);
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    expect(metrics).not.toContain('model_label_injection_9f3a');
    expect(metrics).toMatch(/gateway_requests_total\{[^}]*model="other"[^}]*status="404"/);
  });
});

describe('upstream error text never reaches the client', () => {
  it('answers an upstream 500 naming an internal host and quoting the provider key with a fixed 502 message', async () => {
    const answer = await post(
      JSON.stringify({ model: 'up/leak', messages: [{ role: 'user', content: 'hi' }] }),
    );
    expect(answer.status).toBe(502);
    const text = JSON.stringify(answer.body);
    expect(text).not.toContain('internal.example');
    expect(text).not.toContain(UPSTREAM_KEY);
    expect(answer.body.error).toMatchObject({
      code: 'upstream_error',
      message: 'The upstream provider failed (it answered 500).',
    });
  });

  it('answers an upstream 400 with such text as a fixed invalid_request_error, dropping a param that is not a field name', async () => {
    const answer = await post(
      JSON.stringify({ model: 'up/leak-reject', messages: [{ role: 'user', content: 'hi' }] }),
    );
    expect(answer.status).toBe(400);
    const text = JSON.stringify(answer.body);
    expect(text).not.toContain('internal.example');
    expect(text).not.toContain(UPSTREAM_KEY);
    expect(answer.body.error).toMatchObject({
      code: 'invalid_request_error',
      param: null,
      message: 'The upstream provider refused the request as invalid.',
    });
  });
});

describe('a key the cache does not know yet is looked up at the keys service', () => {
  const chat = JSON.stringify({ model: 'sim/echo-1', messages: [{ role: 'user', content: 'hi' }] });

  it('admits a key created a moment ago, before its ApiKeyCreated reached the gateway', async () => {
    const { key: fresh } = generateApiKey();
    const accountId = testAccount();
    t.ledger.setBalance(accountId, '10');
    t.keysLookup.keys.set(lookupHash(fresh, PEPPER), {
      apiKeyId: 'key_fresh',
      accountId,
      status: 'enabled',
    });
    // Never published on keys.v1: only the authoritative lookup knows it.
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => post(chat, `Bearer ${fresh}`)),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    const usage = await t.usageOf(answers[0]?.headers.get('x-request-id') ?? '');
    expect(usage).toMatchObject({ accountId, data: { apiKeyId: 'key_fresh' } });
  });

  it('refuses a disabled key the keys service reports, with 401', async () => {
    const { key: disabled } = generateApiKey();
    t.keysLookup.keys.set(lookupHash(disabled, PEPPER), {
      apiKeyId: 'key_disabled',
      accountId: testAccount(),
      status: 'disabled',
    });
    const answer = await post(chat, `Bearer ${disabled}`);
    expect(answer.status).toBe(401);
    expect(answer.body.error?.message).toBe('This API key is disabled.');
  });

  it('cannot hammer the keys service with an unknown key: concurrent and repeated misses cost one lookup', async () => {
    const unknown = madeUpKey();
    const hash = lookupHash(unknown, PEPPER);
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => post(chat, `Bearer ${unknown}`)),
    );
    for (let i = 0; i < 20; i++) answers.push(await post(chat, `Bearer ${unknown}`));
    expect(answers.every((a) => a.status === 401)).toBe(true);
    expect(t.keysLookup.asked.filter((h) => h === hash)).toHaveLength(1);
  });

  it('answers 503 key_lookup_unavailable, never 401, when the keys service cannot answer; cached keys keep working', async () => {
    t.keysLookup.down = true;
    try {
      const answer = await post(chat, `Bearer ${madeUpKey()}`);
      expect(answer.status).toBe(503);
      expect(answer.body.error).toMatchObject({
        code: 'key_lookup_unavailable',
        type: 'service_unavailable',
      });
      expect((await post(chat)).status).toBe(200);
    } finally {
      t.keysLookup.down = false;
    }
  });
});
