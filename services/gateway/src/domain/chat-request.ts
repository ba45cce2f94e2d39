// The parts of an OpenAI chat completion request the gateway must understand to admit, route and
// bill it. Everything else in the body is passed to the upstream untouched: the gateway is a
// billing proxy, not a second implementation of the API's validation.
import { fail, failures, ok, type Result } from './errors.js';

/** A chat message as sent by the client; only the fields that carry tokens are typed. */
export interface ChatMessage {
  readonly role: string;
  readonly content?: unknown;
  readonly name?: unknown;
  readonly tool_calls?: unknown;
  readonly [field: string]: unknown;
}

export interface ChatRequest {
  /** The gateway's model id, `<provider>/<name>` (`openai/gpt-5`, `sim/echo-1`). */
  readonly model: string;
  readonly messages: readonly ChatMessage[];
  readonly stream: boolean;
  /** Whether the client asked for the usage chunk (`stream_options.include_usage`). */
  readonly clientWantsUsage: boolean;
  /** `max_completion_tokens`, else `max_tokens`, else undefined (the model's limit applies). */
  readonly maxOutputTokens: number | undefined;
  /** How many choices (`n`); the worst case is n times the output limit. */
  readonly choices: number;
  /** `tools` / `functions` definitions: they are part of the prompt. */
  readonly tools: unknown;
  /** The body as received, to forward. */
  readonly body: Readonly<Record<string, unknown>>;
}

const MAX_CHOICES = 128;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function positiveInteger(body: Record<string, unknown>, field: string): Result<number | undefined> {
  const value = body[field];
  if (value === undefined || value === null) return ok(undefined);
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    return fail(
      failures.invalidRequest(
        `\`${field}\` must be a positive integer, got ${show(value)}.`,
        field,
      ),
    );
  }
  return ok(value);
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}

/** Checks what the gateway relies on and returns the typed request, or a 400 that says why. */
export function parseChatRequest(body: unknown): Result<ChatRequest> {
  if (!isRecord(body)) {
    return fail(failures.invalidRequest('The request body must be a JSON object.'));
  }
  const model = body.model;
  if (typeof model !== 'string' || model.length === 0) {
    return fail(failures.invalidRequest('`model` is required and must be a string.', 'model'));
  }
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) {
    return fail(
      failures.invalidRequest('`messages` must be a non-empty array of messages.', 'messages'),
    );
  }
  for (const [index, message] of messages.entries()) {
    if (!isRecord(message) || typeof message.role !== 'string') {
      return fail(
        failures.invalidRequest(
          `\`messages[${index}]\` must be an object with a string \`role\`.`,
          `messages[${index}]`,
        ),
      );
    }
    const content = message.content;
    if (
      content !== undefined &&
      content !== null &&
      typeof content !== 'string' &&
      !Array.isArray(content)
    ) {
      return fail(
        failures.invalidRequest(
          `\`messages[${index}].content\` must be a string or an array of content parts.`,
          `messages[${index}].content`,
        ),
      );
    }
  }
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') {
    return fail(failures.invalidRequest('`stream` must be a boolean.', 'stream'));
  }
  const streamOptions = body.stream_options;
  if (streamOptions !== undefined && streamOptions !== null && !isRecord(streamOptions)) {
    return fail(failures.invalidRequest('`stream_options` must be an object.', 'stream_options'));
  }
  const maxCompletion = positiveInteger(body, 'max_completion_tokens');
  if (!maxCompletion.ok) return maxCompletion;
  const maxTokens = positiveInteger(body, 'max_tokens');
  if (!maxTokens.ok) return maxTokens;
  const n = positiveInteger(body, 'n');
  if (!n.ok) return n;
  if ((n.value ?? 1) > MAX_CHOICES) {
    return fail(failures.invalidRequest(`\`n\` must be at most ${MAX_CHOICES}.`, 'n'));
  }
  return ok({
    model,
    messages: messages as ChatMessage[],
    stream: body.stream === true,
    clientWantsUsage: isRecord(streamOptions) && streamOptions.include_usage === true,
    maxOutputTokens: maxCompletion.value ?? maxTokens.value,
    choices: n.value ?? 1,
    tools: body.tools ?? body.functions,
    body,
  });
}
