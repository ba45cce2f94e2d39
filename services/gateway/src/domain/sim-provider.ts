// The built-in simulated provider (CONTRACTS.md, "the simulated upstream provider"): models under
// `sim/` answer without any network, deterministically, with exact usage. The reply echoes the
// last user message, so a test (or a newcomer with curl) can predict it; it is cut at the output
// limit like a real model's (`finish_reason: "length"`). Its prompt tokens are the gateway's own
// admission bound (equal to the tokenizer's count on ordinary text), so the admission estimate and
// the usage agree exactly. Everything here is linear in the request's size (issue #10): the echo
// is cut at SIM_ECHO_MAX_CHARS and encoded piece by piece.
import { decodeGenerator } from 'gpt-tokenizer';
import type { ChatRequest } from './chat-request.js';
import { encodeLinear, promptTokenBound } from './prompt-tokens.js';
import { openAiUsage, type TokenUsage } from './usage.js';

export interface SimChoice {
  readonly text: string;
  /** The reply in streaming pieces, a few tokens each. */
  readonly pieces: readonly string[];
  readonly tokens: number;
  readonly finishReason: 'stop' | 'length';
}

export interface SimCompletion {
  readonly choices: readonly SimChoice[];
  readonly usage: TokenUsage;
}

/** Tokens per streamed chunk: enough chunks to exercise streaming, few enough to stay cheap. */
export const SIM_TOKENS_PER_CHUNK = 4;

/** The longest echo: a 4 MiB prompt is answered with its first few thousand characters. */
export const SIM_ECHO_MAX_CHARS = 4_000;

function capped(text: string): string {
  if (text.length <= SIM_ECHO_MAX_CHARS) return text;
  const last = text.charCodeAt(SIM_ECHO_MAX_CHARS - 1);
  const end = last >= 0xd800 && last <= 0xdbff ? SIM_ECHO_MAX_CHARS - 1 : SIM_ECHO_MAX_CHARS;
  return text.slice(0, end);
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return (content as unknown[])
    .map((p) =>
      typeof p === 'object' && p !== null && typeof (p as { text?: unknown }).text === 'string'
        ? (p as { text: string }).text
        : '',
    )
    .join('');
}

/** The reply before any limit: the last user message, echoed. */
export function simReplyText(request: Pick<ChatRequest, 'messages'>): string {
  for (let i = request.messages.length - 1; i >= 0; i--) {
    const message = request.messages[i];
    if (message?.role === 'user') {
      const text = capped(textOf(message.content));
      return text.length > 0 ? `Echo: ${text}` : 'Echo: (an empty message)';
    }
  }
  return 'Echo: (no user message)';
}

export function simulateCompletion(
  request: Pick<ChatRequest, 'messages' | 'tools' | 'maxOutputTokens' | 'choices'>,
  maxOutputTokens: number,
  /** The prompt's tokens when the caller has them already (the gateway's admission bound). */
  promptTokens?: number,
): SimCompletion {
  const limit = Math.min(request.maxOutputTokens ?? maxOutputTokens, maxOutputTokens);
  const all = encodeLinear(simReplyText(request));
  const kept = all.length > limit ? all.slice(0, limit) : all;
  const finishReason = kept.length < all.length ? 'length' : 'stop';
  const perToken = [...decodeGenerator(kept)];
  const pieces: string[] = [];
  for (let i = 0; i < perToken.length; i += SIM_TOKENS_PER_CHUNK) {
    pieces.push(perToken.slice(i, i + SIM_TOKENS_PER_CHUNK).join(''));
  }
  const choice: SimChoice = { text: pieces.join(''), pieces, tokens: kept.length, finishReason };
  const choices = Array.from({ length: request.choices }, () => choice);
  return {
    choices,
    usage: {
      inputTokens: promptTokens ?? promptTokenBound(request),
      outputTokens: kept.length * request.choices,
    },
  };
}

export interface SimEnvelope {
  /** The completion id (`chatcmpl-...`) and creation time, from the caller: no clock in here. */
  readonly id: string;
  readonly createdSeconds: number;
  readonly model: string;
}

/** The non-streamed answer, in OpenAI's `chat.completion` shape. */
export function simResponseBody(
  completion: SimCompletion,
  e: SimEnvelope,
): Record<string, unknown> {
  return {
    id: e.id,
    object: 'chat.completion',
    created: e.createdSeconds,
    model: e.model,
    choices: completion.choices.map((c, index) => ({
      index,
      message: { role: 'assistant', content: c.text, refusal: null },
      logprobs: null,
      finish_reason: c.finishReason,
    })),
    usage: openAiUsage(completion.usage),
    system_fingerprint: 'sim',
  };
}

/**
 * The streamed answer as the SSE `data` of each event, the way OpenAI streams with
 * `include_usage`: a role chunk, content chunks, a finish chunk per choice, the usage chunk
 * (empty `choices`), then `[DONE]`. The gateway strips the usage chunk like any upstream's.
 */
export function simStreamEvents(completion: SimCompletion, e: SimEnvelope): string[] {
  const base = {
    id: e.id,
    object: 'chat.completion.chunk',
    created: e.createdSeconds,
    model: e.model,
  };
  const chunk = (choices: unknown[], usage: unknown = null): string =>
    JSON.stringify({ ...base, system_fingerprint: 'sim', choices, usage });
  const events: string[] = [];
  completion.choices.forEach((c, index) => {
    events.push(
      chunk([
        { index, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null },
      ]),
    );
    for (const piece of c.pieces) {
      events.push(
        chunk([{ index, delta: { content: piece }, logprobs: null, finish_reason: null }]),
      );
    }
    events.push(chunk([{ index, delta: {}, logprobs: null, finish_reason: c.finishReason }]));
  });
  events.push(chunk([], openAiUsage(completion.usage)));
  events.push('[DONE]');
  return events;
}

/**
 * A simulation of an upstream that fails mid-stream: a streamed request to a `sim/` model whose
 * last user message contains this marker gets the role chunk and the first two content chunks,
 * then the stream breaks (the gateway records the request as failed and charges what was sent).
 * For tests and demonstrations of the AI insurance; a real upstream fails on its own.
 */
export const SIM_BREAK_STREAM_MARKER = '[simulate:upstream-break]';

/** The content chunks a broken simulated stream sends before it breaks. */
export const SIM_BREAK_AFTER_CHUNKS = 2;

export function simBreaksStream(request: Pick<ChatRequest, 'messages'>): boolean {
  for (let i = request.messages.length - 1; i >= 0; i--) {
    const message = request.messages[i];
    if (message?.role === 'user') return textOf(message.content).includes(SIM_BREAK_STREAM_MARKER);
  }
  return false;
}

/** Thrown by a broken simulated stream where a real one's connection would drop. */
export class SimulatedUpstreamBreak extends Error {
  constructor() {
    super('simulated upstream failure: the stream broke off (sim break marker)');
    this.name = 'SimulatedUpstreamBreak';
  }
}

/** The events of `events` up to the break: the role chunk and SIM_BREAK_AFTER_CHUNKS more. */
export function* simBrokenStream(events: readonly string[]): Generator<string> {
  yield* events.slice(0, 1 + SIM_BREAK_AFTER_CHUNKS);
  throw new SimulatedUpstreamBreak();
}
