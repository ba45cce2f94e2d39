// Token counting with a real BPE tokenizer (gpt-tokenizer, o200k_base: the encoding of the GPT-4o
// and GPT-5 families). Other vendors' tokenizers differ by a few percent; the count is used for
// the admission estimate (the hold), for the simulated provider's exact usage, and for the usage
// of a request whose upstream reported none (then marked `estimated`).
import { countTokens } from 'gpt-tokenizer';
import type { ChatMessage, ChatRequest } from './chat-request.js';

/**
 * Special-token strings in user text (`<|endoftext|>`) are counted as plain text, never refused:
 * that is how the providers treat text, and a prompt must not be able to crash the count.
 */
const AS_TEXT = { disallowedSpecial: new Set<string>() };

/** OpenAI's documented chat framing: about 3 tokens per message, plus 3 to prime the reply. */
export const TOKENS_PER_MESSAGE = 3;
export const TOKENS_PER_NAME = 1;
export const REPLY_PRIMING_TOKENS = 3;

/**
 * An image costs between 85 (low detail) and about 1,100 tokens (a high-detail 512px-tiled image
 * at the usual size); without decoding the image the admission assumes the upper figure, so the
 * hold is never short because of images.
 */
export const TOKENS_PER_IMAGE = 1_105;

export function countTextTokens(text: string): number {
  return text.length === 0 ? 0 : countTokens(text, AS_TEXT);
}

function contentTokens(content: unknown): number {
  if (typeof content === 'string') return countTextTokens(content);
  if (!Array.isArray(content)) return 0;
  let total = 0;
  for (const part of content as unknown[]) {
    if (typeof part !== 'object' || part === null) continue;
    const p = part as Record<string, unknown>;
    if (typeof p.text === 'string') total += countTextTokens(p.text);
    else if (p.type === 'image_url' || p.type === 'input_image') total += TOKENS_PER_IMAGE;
    else total += countTextTokens(JSON.stringify(p));
  }
  return total;
}

function messageTokens(message: ChatMessage): number {
  let total = TOKENS_PER_MESSAGE + countTextTokens(message.role) + contentTokens(message.content);
  if (typeof message.name === 'string') total += TOKENS_PER_NAME + countTextTokens(message.name);
  if (message.tool_calls !== undefined && message.tool_calls !== null) {
    total += countTextTokens(JSON.stringify(message.tool_calls));
  }
  return total;
}

/** The prompt tokens of a chat request: its messages with their framing, and its tool schemas. */
export function countPromptTokens(request: Pick<ChatRequest, 'messages' | 'tools'>): number {
  let total = REPLY_PRIMING_TOKENS;
  for (const message of request.messages) total += messageTokens(message);
  if (request.tools !== undefined && request.tools !== null) {
    total += countTextTokens(JSON.stringify(request.tools));
  }
  return total;
}
