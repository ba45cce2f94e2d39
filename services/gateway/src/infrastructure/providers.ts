import type http from 'node:http';
import {
  simResponseBody,
  simBreaksStream,
  simBrokenStream,
  simStreamEvents,
  simulateCompletion,
  SseDecoder,
  type CatalogModel,
  type ChatRequest,
  type Route,
} from '../domain/index.js';
import { httpRequest, readBody, type Agents } from './http-json.js';

/** The span of a request's upstream step, whichever provider answers it (traces, ADR 010). */
export const UPSTREAM_SPAN = 'upstream chat completion';

export interface ProviderCall {
  readonly route: Route;
  readonly request: ChatRequest;
  readonly model: CatalogModel;
  /** The gateway's request id, used as the sim's completion id. */
  readonly requestId: string;
  readonly nowMs: number;
  /** The prompt's tokens as admission bounded them: the sim reports them as its usage. */
  readonly promptTokens: number;
  /** Aborted when the gateway gives up on the call (the client went away mid-stream). */
  readonly signal: AbortSignal;
}

export type ProviderAnswer =
  | { readonly ok: true; readonly body: unknown }
  | { readonly ok: false; readonly status: number; readonly body: unknown };

export type ProviderStream =
  | { readonly ok: true; readonly events: AsyncIterable<string> | Iterable<string> }
  | { readonly ok: false; readonly status: number; readonly body: unknown };

/** Something that answers chat completions: the sim in process, or an upstream over HTTP. */
export interface ChatProvider {
  complete(call: ProviderCall): Promise<ProviderAnswer>;
  stream(call: ProviderCall): Promise<ProviderStream>;
}

/** The built-in `sim/` provider: the pure simulation, served without any I/O. */
export class SimProvider implements ChatProvider {
  complete(call: ProviderCall): Promise<ProviderAnswer> {
    return Promise.resolve({ ok: true, body: simResponseBody(simulate(call), envelope(call)) });
  }

  stream(call: ProviderCall): Promise<ProviderStream> {
    const events = simStreamEvents(simulate(call), envelope(call));
    // The AI insurance's demonstration: a stream that fails after its first chunks, on request.
    if (simBreaksStream(call.request))
      return Promise.resolve({ ok: true, events: simBrokenStream(events) });
    return Promise.resolve({ ok: true, events });
  }
}

/** The simulated completion of a call: its request, bounded by the model and the admitted prompt. */
function simulate(call: ProviderCall): ReturnType<typeof simulateCompletion> {
  return simulateCompletion(call.request, call.model.maxOutputTokens, call.promptTokens);
}

function envelope(call: ProviderCall): { id: string; createdSeconds: number; model: string } {
  return {
    id: `chatcmpl-${call.requestId}`,
    createdSeconds: Math.floor(call.nowMs / 1000),
    model: call.route.modelId,
  };
}

/**
 * An OpenAI-compatible upstream (`POST {baseUrl}/chat/completions`), over pooled keep-alive
 * connections. The body is the client's with the upstream's model name and, on streams,
 * `stream_options.include_usage` forced on: usage must be known to bill the request.
 */
export class HttpProvider implements ChatProvider {
  constructor(
    private readonly agents: Agents,
    private readonly idleTimeoutMs: number,
  ) {}

  async complete(call: ProviderCall): Promise<ProviderAnswer> {
    const res = await this.send(call, false);
    const text = await readBody(res);
    const body = parseJson(text);
    if (res.statusCode === 200 && body !== undefined) return { ok: true, body };
    return { ok: false, status: res.statusCode ?? 0, body };
  }

  async stream(call: ProviderCall): Promise<ProviderStream> {
    const res = await this.send(call, true);
    if (res.statusCode !== 200) {
      return { ok: false, status: res.statusCode ?? 0, body: parseJson(await readBody(res)) };
    }
    return { ok: true, events: sseEvents(res) };
  }

  private send(call: ProviderCall, stream: boolean): Promise<http.IncomingMessage> {
    if (call.route.kind !== 'upstream') throw new Error('HttpProvider called for a sim model');
    const { provider, upstreamModel } = call.route;
    const body: Record<string, unknown> = { ...call.request.body, model: upstreamModel };
    if (stream) {
      const given = call.request.body.stream_options;
      body.stream_options = {
        ...(typeof given === 'object' && given !== null ? given : {}),
        include_usage: true,
      };
    }
    return httpRequest(this.agents, {
      method: 'POST',
      url: `${provider.baseUrl}/chat/completions`,
      headers: {
        accept: stream ? 'text/event-stream' : 'application/json',
        ...(provider.apiKey !== undefined && { authorization: `Bearer ${provider.apiKey}` }),
      },
      body: JSON.stringify(body),
      idleTimeoutMs: this.idleTimeoutMs,
      signal: call.signal,
      // The upstream step of the request's trace: this call's own span, not one around it.
      span: { name: UPSTREAM_SPAN, attributes: { 'gateway.upstream': provider.prefix } },
    });
  }
}

async function* sseEvents(res: http.IncomingMessage): AsyncGenerator<string> {
  const decoder = new SseDecoder();
  try {
    for await (const chunk of res) yield* decoder.push(chunk as Buffer);
    yield* decoder.end();
  } finally {
    // The consumer stopped early (the client went away): close the upstream connection, which
    // is what stops the upstream generating (and billing) tokens.
    if (!res.complete) res.destroy();
  }
}

function parseJson(text: string): unknown {
  try {
    return text.length > 0 ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    return undefined;
  }
}
