// Usage accounting: turning what an upstream reported (or did not report) into the token fields
// of UsageObserved, following metering's convention (services/metering/src/domain/pricing.ts):
// inputTokens include cached and cache-write tokens; outputTokens include reasoning tokens.
import type { UsageStatus } from '@billing/contracts';
import { textTokenBound } from './prompt-tokens.js';

export interface TokenUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cachedInputTokens?: number;
  readonly cacheWriteTokens?: number;
  readonly reasoningTokens?: number;
}

function tokens(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

function field(obj: unknown, name: string): unknown {
  return typeof obj === 'object' && obj !== null
    ? (obj as Record<string, unknown>)[name]
    : undefined;
}

/**
 * An OpenAI-style `usage` object (`prompt_tokens`, `completion_tokens`, their `_details`), or
 * undefined when there is none or it is unusable. Providers that report cache reads and writes
 * the Anthropic way on their OpenAI-compatible surface (`cache_read_input_tokens`,
 * `cache_creation_input_tokens`) are read too. The parts are clamped to their totals, so a
 * provider's rounding can never produce usage that metering would refuse.
 */
export function normaliseUpstreamUsage(raw: unknown): TokenUsage | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const input = tokens(field(raw, 'prompt_tokens'));
  const output = tokens(field(raw, 'completion_tokens'));
  if (input === undefined || output === undefined) return undefined;
  const promptDetails = field(raw, 'prompt_tokens_details');
  const completionDetails = field(raw, 'completion_tokens_details');
  const cached =
    tokens(field(promptDetails, 'cached_tokens')) ?? tokens(field(raw, 'cache_read_input_tokens'));
  const cacheWrite =
    tokens(field(promptDetails, 'cache_write_tokens')) ??
    tokens(field(raw, 'cache_creation_input_tokens'));
  const reasoning = tokens(field(completionDetails, 'reasoning_tokens'));
  const cachedIn = cached === undefined ? undefined : Math.min(cached, input);
  const writeIn =
    cacheWrite === undefined ? undefined : Math.min(cacheWrite, input - (cachedIn ?? 0));
  return {
    inputTokens: input,
    outputTokens: output,
    ...(cachedIn !== undefined && cachedIn > 0 && { cachedInputTokens: cachedIn }),
    ...(writeIn !== undefined && writeIn > 0 && { cacheWriteTokens: writeIn }),
    ...(reasoning !== undefined &&
      reasoning > 0 && { reasoningTokens: Math.min(reasoning, output) }),
  };
}

/** The OpenAI `usage` object of a response the gateway produces itself (the sim provider). */
export function openAiUsage(usage: TokenUsage): Record<string, unknown> {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedInputTokens ?? 0 },
    completion_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
  };
}

/**
 * The generated text of a response, per choice, so that a response whose upstream reported no
 * usage (or was cut short) can be counted: message or delta content, refusals, reasoning text and
 * tool calls all consumed output tokens.
 */
export class OutputText {
  private readonly parts = new Map<number, string[]>();

  add(choiceIndex: number, text: string): void {
    if (text.length === 0) return;
    let list = this.parts.get(choiceIndex);
    if (list === undefined) this.parts.set(choiceIndex, (list = []));
    list.push(text);
  }

  /** Everything a choice of a complete response (`message`) or of a chunk (`delta`) carries. */
  addFrom(choiceIndex: number, messageOrDelta: unknown): void {
    if (typeof messageOrDelta !== 'object' || messageOrDelta === null) return;
    const m = messageOrDelta as Record<string, unknown>;
    for (const name of ['content', 'refusal', 'reasoning_content', 'reasoning']) {
      const value = m[name];
      if (typeof value === 'string') this.add(choiceIndex, value);
    }
    const calls = m.tool_calls;
    if (Array.isArray(calls)) {
      for (const call of calls as unknown[]) {
        const fn = field(call, 'function');
        const name = field(fn, 'name');
        const args = field(fn, 'arguments');
        if (typeof name === 'string') this.add(choiceIndex, name);
        if (typeof args === 'string') this.add(choiceIndex, args);
      }
    }
  }

  get isEmpty(): boolean {
    return this.parts.size === 0;
  }

  /**
   * Tokens of the text generated so far, each choice counted on its own: the linear bound, so that
   * an upstream that generates one endless word cannot stall the gateway counting it.
   */
  countTokens(): number {
    let total = 0;
    for (const list of this.parts.values()) total += textTokenBound(list.join(''));
    return total;
  }
}

export interface SettleInput {
  readonly status: UsageStatus;
  /** The gateway's own count of the prompt. */
  readonly promptTokens: number;
  /** What the upstream reported, if it did. */
  readonly reported: TokenUsage | undefined;
  /** The gateway's count of what was generated (and, when streaming, sent). */
  readonly countedOutputTokens: number;
}

export interface SettledUsage {
  readonly status: UsageStatus;
  readonly usage: TokenUsage;
  readonly estimated: boolean;
}

/**
 * What a finished request is billed for:
 *
 * - completed, with the upstream's usage: that usage, exact;
 * - completed, without usage: the gateway's counts, `estimated`;
 * - cancelled (the client went away mid-stream): the prompt and what was generated up to then,
 *   `estimated` (the upstream's usage, if it came, still wins). Never zero: the prompt was read;
 * - failed before any output: nothing (the hold is released, the request is logged at zero);
 * - failed after some output: the prompt and that output, `estimated`: it was generated and sent.
 */
export function settleUsage(input: SettleInput): SettledUsage {
  const { status, reported, promptTokens, countedOutputTokens } = input;
  if (reported !== undefined) return { status, usage: reported, estimated: false };
  if (status === 'failed' && countedOutputTokens === 0) {
    return { status, usage: { inputTokens: 0, outputTokens: 0 }, estimated: false };
  }
  return {
    status,
    usage: { inputTokens: Math.max(promptTokens, 1), outputTokens: countedOutputTokens },
    estimated: true,
  };
}
