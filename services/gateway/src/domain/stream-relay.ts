// What the gateway does to each event of a streamed chat completion on its way to the client:
// it counts what was generated (for a client that disconnects, or an upstream that reports no
// usage), keeps the usage chunk it always asks for, and strips it again when the client did not
// ask for it itself (OpenAI only sends it on `stream_options.include_usage`).
import { errorBody, failures } from './errors.js';
import { DONE } from './sse.js';
import { normaliseUpstreamUsage, OutputText, type TokenUsage } from './usage.js';

export interface StreamRelayOptions {
  /** The gateway's model id, written over the upstream's (which lacks the provider prefix). */
  readonly modelId: string;
  readonly clientWantsUsage: boolean;
}

export class StreamRelay {
  readonly output = new OutputText();
  /** The upstream's usage chunk, once seen. */
  reported: TokenUsage | undefined;
  /** Whether the upstream ended the stream properly (`data: [DONE]`). */
  done = false;
  /** Whether the upstream sent an error event instead of (or after) chunks. */
  upstreamError = false;

  constructor(private readonly options: StreamRelayOptions) {}

  /** The data of one upstream event → the data to send to the client, or undefined to drop it. */
  /** The upstream's error event as it came, for the log only. */
  upstreamErrorDetail: string | undefined;

  handle(data: string): string | undefined {
    if (data.trim() === DONE) {
      this.done = true;
      return DONE;
    }
    let chunk: unknown;
    try {
      chunk = JSON.parse(data);
    } catch {
      return data; // Not ours to judge: pass it on as it came.
    }
    if (typeof chunk !== 'object' || chunk === null || Array.isArray(chunk)) return data;
    const c = chunk as Record<string, unknown>;
    if (c.error !== undefined) {
      // Never the upstream's text to the client (issue #10): it can name internal hosts or quote
      // the platform's provider key. The handler logs it, redacted.
      this.upstreamError = true;
      this.upstreamErrorDetail = data.slice(0, 500);
      return JSON.stringify(
        errorBody(failures.upstream('The upstream provider reported an error during the stream.')),
      );
    }
    const choices = Array.isArray(c.choices) ? (c.choices as unknown[]) : [];
    for (const [position, choice] of choices.entries()) {
      if (typeof choice !== 'object' || choice === null) continue;
      const ch = choice as Record<string, unknown>;
      const index = typeof ch.index === 'number' ? ch.index : position;
      this.output.addFrom(index, ch.delta);
    }
    const hasUsage = typeof c.usage === 'object' && c.usage !== null;
    if (hasUsage) this.reported = normaliseUpstreamUsage(c.usage) ?? this.reported;
    if (typeof c.model === 'string') c.model = this.options.modelId;
    if (!this.options.clientWantsUsage) {
      if (hasUsage && choices.length === 0) return undefined;
      delete c.usage;
    }
    return JSON.stringify(c);
  }
}

/**
 * The client's copy of a non-streamed completion: the gateway's model id, and the generated text
 * collected for counting in case the upstream reported no usage.
 */
export function relayCompletion(
  body: unknown,
  modelId: string,
): { body: unknown; output: OutputText; reported: TokenUsage | undefined } {
  const output = new OutputText();
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { body, output, reported: undefined };
  }
  const b = body as Record<string, unknown>;
  const choices = Array.isArray(b.choices) ? (b.choices as unknown[]) : [];
  for (const [position, choice] of choices.entries()) {
    if (typeof choice !== 'object' || choice === null) continue;
    const ch = choice as Record<string, unknown>;
    output.addFrom(typeof ch.index === 'number' ? ch.index : position, ch.message);
  }
  if (typeof b.model === 'string') b.model = modelId;
  return { body: b, output, reported: normaliseUpstreamUsage(b.usage) };
}
