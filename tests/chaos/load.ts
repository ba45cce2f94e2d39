/**
 * Steady load on the gateway from a few concurrent clients, with a record of what each request's
 * client saw. The record is what the books are checked against (books.ts), so it is strict about
 * what counts as answered:
 *
 * - `answered`: a whole answer with status 200 and its `usage`, or a stream (status 200) whose
 *   client received `data: [DONE]`, with the usage chunk before it (every stream asks for
 *   `include_usage`). The client got what it paid for: it must be billed exactly once.
 * - `refused`: a complete answer that is not 200 (a 503 while a dependency is away, a 402), or a
 *   connection the server never accepted (ECONNREFUSED: the request never reached it). Nothing
 *   was served; a request id it names must cost nothing.
 * - `unknown`: the connection broke after the request was sent, or a stream stopped before
 *   `[DONE]`, or the client gave up waiting. The client cannot know whether it was served: it
 *   may be billed once, never twice (books.ts bounds how many such charges there may be).
 *
 * Requests are plain `fetch` calls, not the `openai` client: the client must see exactly what
 * came over the wire (a stream cut off before `[DONE]` is not an answer), with no retry.
 */

export const MODEL = 'sim/echo-1';

export interface Usage {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly prompt_tokens_details?: { readonly cached_tokens?: number } | null;
}

export type Outcome =
  | {
      readonly kind: 'answered';
      readonly requestId: string;
      readonly stream: boolean;
      readonly usage: Usage;
      /** performance.now() when the answer was complete. */
      readonly at: number;
    }
  | {
      readonly kind: 'refused';
      readonly status: number;
      readonly code: string | undefined;
      readonly requestId: string | undefined;
      readonly at: number;
    }
  | {
      readonly kind: 'unknown';
      readonly requestId: string | undefined;
      readonly reason: string;
      readonly at: number;
    };

export interface LoadOptions {
  /** The gateway's base URL (read before every request: a restarted process may move). */
  readonly gatewayUrl: () => string;
  readonly apiKey: string;
  /** Concurrent clients, each sending one request after another. */
  readonly clients?: number;
  /** Pause between two requests of one client (ms), so that a loaded machine keeps up. */
  readonly pauseMs?: number;
  /** A tag in every prompt, so that logs can be told apart. */
  readonly tag: string;
  /** The longest a client waits for one answer before it gives up (an `unknown` outcome). */
  readonly requestTimeoutMs?: number;
}

export interface LoadSummary {
  readonly answered: number;
  readonly refused: number;
  readonly unknown: number;
  /** Refusals by status and code, e.g. `503 ledger_unavailable: 12`. */
  readonly refusals: Readonly<Record<string, number>>;
}

/** A running load; `stop()` lets every request in flight finish and returns the record. */
export class Load {
  private readonly outcomes: Outcome[] = [];
  private running = true;
  private readonly clients: Promise<void>[];

  private constructor(private readonly options: LoadOptions) {
    this.clients = Array.from({ length: options.clients ?? 3 }, (_, c) => this.client(c));
  }

  static start(options: LoadOptions): Load {
    return new Load(options);
  }

  /** Everything recorded so far. */
  record(): readonly Outcome[] {
    return this.outcomes;
  }

  /** Request ids of the requests answered so far. */
  answeredIds(): string[] {
    return this.outcomes.flatMap((o) => (o.kind === 'answered' ? [o.requestId] : []));
  }

  async stop(): Promise<readonly Outcome[]> {
    this.running = false;
    await Promise.all(this.clients);
    return this.outcomes;
  }

  private async client(c: number): Promise<void> {
    const pauseMs = this.options.pauseMs ?? 150;
    for (let i = 0; this.running; i++) {
      // Half the requests stream; answers are short (the sim echoes the prompt, max_tokens cuts
      // it), and their lengths vary so that costs differ from request to request.
      const outcome = await this.request(
        i % 2 === 1,
        `${this.options.tag} c${c} r${i}`,
        8 + (i % 5) * 4,
      );
      this.outcomes.push(outcome);
      const answered = outcome.kind === 'answered';
      await sleep(answered ? pauseMs : Math.max(pauseMs, 250));
    }
  }

  private async request(stream: boolean, content: string, maxTokens: number): Promise<Outcome> {
    let requestId: string | undefined;
    try {
      const res = await fetch(`${this.options.gatewayUrl()}/api/v1/chat/completions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${this.options.apiKey}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({
          model: MODEL,
          messages: [{ role: 'user', content: `${content}: alpha bravo charlie delta echo` }],
          max_tokens: maxTokens,
          ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
        }),
        signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 30_000),
      });
      requestId = res.headers.get('x-request-id') ?? undefined;
      const text = await res.text();
      const at = performance.now();
      if (res.status !== 200) {
        return { kind: 'refused', status: res.status, code: errorCode(text), requestId, at };
      }
      if (requestId === undefined) {
        return { kind: 'unknown', requestId, reason: 'a 200 without x-request-id', at };
      }
      if (!stream) {
        const usage = (JSON.parse(text) as { usage?: Usage }).usage;
        if (usage === undefined) return { kind: 'unknown', requestId, reason: 'no usage', at };
        return { kind: 'answered', requestId, stream, usage, at };
      }
      return streamOutcome(text, requestId, at);
    } catch (err) {
      const at = performance.now();
      const code = causeCode(err);
      // Nothing listened: the request was never sent, so it cannot have been served.
      if (code === 'ECONNREFUSED') {
        return { kind: 'refused', status: 0, code, requestId, at };
      }
      return { kind: 'unknown', requestId, reason: code ?? causeMessage(err), at };
    }
  }
}

/** What the client of a stream received: `[DONE]` after a usage chunk, or not. */
function streamOutcome(text: string, requestId: string, at: number): Outcome {
  let usage: Usage | undefined;
  let done = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith('data: ')) continue;
    const data = line.slice('data: '.length).trim();
    if (data === '[DONE]') {
      done = true;
      continue;
    }
    try {
      const chunk = JSON.parse(data) as { usage?: Usage | null; error?: unknown };
      if (chunk.error !== undefined) {
        return { kind: 'unknown', requestId, reason: `error event: ${data}`, at };
      }
      if (chunk.usage) usage = chunk.usage;
    } catch {
      return { kind: 'unknown', requestId, reason: `unreadable event: ${data}`, at };
    }
  }
  if (!done) return { kind: 'unknown', requestId, reason: 'stream ended before [DONE]', at };
  if (usage === undefined) {
    return { kind: 'unknown', requestId, reason: '[DONE] without a usage chunk', at };
  }
  return { kind: 'answered', requestId, stream: true, usage, at };
}

export function summarize(outcomes: readonly Outcome[]): LoadSummary {
  const refusals: Record<string, number> = {};
  let answered = 0;
  let refused = 0;
  let unknown = 0;
  for (const o of outcomes) {
    if (o.kind === 'answered') answered++;
    else if (o.kind === 'unknown') unknown++;
    else {
      refused++;
      const key = `${o.status} ${o.code ?? ''}`.trim();
      refusals[key] = (refusals[key] ?? 0) + 1;
    }
  }
  return { answered, refused, unknown, refusals };
}

function errorCode(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown } };
    const code = body.error?.code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

/** The innermost message under fetch's `TypeError: fetch failed` ("other side closed", ...). */
function causeMessage(err: unknown): string {
  let e = asErrorLike(err);
  for (let depth = 0; depth < 4 && e !== undefined; depth++) {
    const inner = asErrorLike(e.cause);
    if (inner === undefined) return String(e.message ?? err);
    e = inner;
  }
  return String(err);
}

interface ErrorLike {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly code?: unknown;
  readonly cause?: unknown;
}

/**
 * Errors from fetch come from Node's own realm, not the test's (Jest runs tests in a vm context),
 * so `instanceof Error` is false for them: they are read by shape.
 */
function asErrorLike(value: unknown): ErrorLike | undefined {
  return typeof value === 'object' && value !== null ? value : undefined;
}

/** The system error code under fetch's TypeError (`ECONNREFUSED`, `ECONNRESET`, ...). */
function causeCode(err: unknown): string | undefined {
  let e = asErrorLike(err);
  for (let depth = 0; depth < 4 && e !== undefined; depth++) {
    const code = e.code;
    if (typeof code === 'string' && !code.startsWith('UND_ERR_') && code !== 'ABORT_ERR') {
      return code;
    }
    if (e.name === 'TimeoutError') return 'client timeout';
    e = asErrorLike(e.cause);
  }
  return undefined;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
