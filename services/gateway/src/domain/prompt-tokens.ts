// Token counting with a real BPE tokenizer (gpt-tokenizer, o200k_base: the encoding of the GPT-4o
// and GPT-5 families). Other vendors' tokenizers differ by a few percent.
//
// Two counts (issue #10):
// - the exact count (`countTextTokens`, `countPromptTokens`): BPE's merge step is quadratic in the
//   length of one pre-tokenized piece (one unbroken word, one run of spaces), so it is used only on
//   text whose size the gateway controls (the sim's capped reply, tests);
// - the bound (`textTokenBound`, `promptTokenBound`): linear in the text's length, never below the
//   exact count, and equal to it on ordinary text. Admission (the hold), the sim's reported usage
//   and the gateway's own count of generated text use it: the bill uses the provider's usage.
import api, { countTokens } from 'gpt-tokenizer';
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

/** The exact count. Quadratic in the longest unbroken piece: only for text of a bounded size. */
export function countTextTokens(text: string): number {
  return text.length === 0 ? 0 : countTokens(text, AS_TEXT);
}

/**
 * The tokenizer's own pre-tokenizer and per-piece merge. The exact count of a text (special tokens
 * counted as text, as above) is the sum over the pieces the split regex yields of the tokens each
 * piece merges into; the bound below sums the same pieces, so it is exact wherever it merges.
 */
interface PieceCoder {
  readonly tokenSplitRegex: RegExp;
  getBpeRankFromString(piece: string): number | undefined;
  bytePairEncode(piece: string): readonly number[];
}
const coder = (api as unknown as { bytePairEncodingCoreProcessor?: Partial<PieceCoder> })
  .bytePairEncodingCoreProcessor;
if (
  !(coder?.tokenSplitRegex instanceof RegExp) ||
  typeof coder.getBpeRankFromString !== 'function' ||
  typeof coder.bytePairEncode !== 'function'
) {
  // A tokenizer upgrade that moved these must fail loudly at start, not bound wrongly.
  throw new Error('gpt-tokenizer no longer exposes its pre-tokenizer; see prompt-tokens.ts');
}
const pieces = coder as PieceCoder;

/**
 * Pieces up to this many UTF-16 units are merged for real (a merge of n bytes costs O(n²), so a
 * constant here keeps the whole count linear); a longer piece counts as its UTF-8 byte length,
 * which no merge can exceed: every token of a byte-level BPE covers at least one byte. Ordinary
 * words, numbers and punctuation are far shorter, so on ordinary text the bound is the count.
 */
export const MAX_MERGED_PIECE = 48;

function utf8Bytes(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i += 1;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * An upper bound of `countTextTokens(text)`, linear in `text.length`, equal on ordinary text.
 *
 * The split regex can exhaust the stack on a huge unbroken piece (a 4 MiB single word) once V8 has
 * compiled it to native code, which keeps one backtrack entry a character on the machine stack:
 * seen as a `RangeError` in a long test run, never in a short one. The text's UTF-8 byte length
 * is then the bound: every token covers at least one byte, so it is never below the count.
 */
export function textTokenBound(text: string): number {
  if (text.length === 0) return 0;
  try {
    let total = 0;
    for (const [piece] of text.matchAll(pieces.tokenSplitRegex)) {
      if (piece.length > MAX_MERGED_PIECE) total += utf8Bytes(piece);
      else if (pieces.getBpeRankFromString(piece) !== undefined) total += 1;
      else total += pieces.bytePairEncode(piece).length;
    }
    return total;
  } catch (err) {
    if (err instanceof RangeError) return utf8Bytes(text);
    throw err;
  }
}

/** Cuts `piece` into parts of at most MAX_MERGED_PIECE units, never inside a surrogate pair. */
function* chunks(piece: string): Generator<string> {
  let start = 0;
  while (start < piece.length) {
    let end = Math.min(start + MAX_MERGED_PIECE, piece.length);
    const last = piece.charCodeAt(end - 1);
    if (end < piece.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
    yield piece.slice(start, end);
    start = end;
  }
}

/**
 * The text as tokens, in linear time: ordinary pieces as the tokenizer encodes them, a piece longer
 * than MAX_MERGED_PIECE as the tokens of its parts. The tokens always decode to `text`; on ordinary
 * text they are exactly `encode(text)`. For the simulated provider's replies.
 */
export function encodeLinear(text: string): number[] {
  const tokens: number[] = [];
  for (const [piece] of text.matchAll(pieces.tokenSplitRegex)) {
    for (const part of piece.length > MAX_MERGED_PIECE ? chunks(piece) : [piece]) {
      const rank = pieces.getBpeRankFromString(part);
      if (rank !== undefined) tokens.push(rank);
      else for (const token of pieces.bytePairEncode(part)) tokens.push(token);
    }
  }
  return tokens;
}

type Count = (text: string) => number;

function contentTokens(content: unknown, count: Count): number {
  if (typeof content === 'string') return count(content);
  if (!Array.isArray(content)) return 0;
  let total = 0;
  for (const part of content as unknown[]) {
    if (typeof part !== 'object' || part === null) continue;
    const p = part as Record<string, unknown>;
    if (typeof p.text === 'string') total += count(p.text);
    else if (p.type === 'image_url' || p.type === 'input_image') total += TOKENS_PER_IMAGE;
    else total += count(JSON.stringify(p));
  }
  return total;
}

function messageTokens(message: ChatMessage, count: Count): number {
  // Robust to any shape: the worker bounds a body before parseChatRequest has checked it.
  if (typeof message !== 'object' || message === null) return TOKENS_PER_MESSAGE;
  let total = TOKENS_PER_MESSAGE + contentTokens(message.content, count);
  if (typeof message.role === 'string') total += count(message.role);
  if (typeof message.name === 'string') total += TOKENS_PER_NAME + count(message.name);
  if (message.tool_calls !== undefined && message.tool_calls !== null) {
    total += count(JSON.stringify(message.tool_calls) ?? '');
  }
  return total;
}

function promptTokens(request: Pick<ChatRequest, 'messages' | 'tools'>, count: Count): number {
  let total = REPLY_PRIMING_TOKENS;
  for (const message of request.messages) total += messageTokens(message, count);
  if (request.tools !== undefined && request.tools !== null) {
    total += count(JSON.stringify(request.tools) ?? '');
  }
  return total;
}

/**
 * The exact prompt tokens of a chat request: its messages with their framing, and its tool
 * schemas. Quadratic in its longest unbroken piece: never on a client's request (see the bound).
 */
export function countPromptTokens(request: Pick<ChatRequest, 'messages' | 'tools'>): number {
  return promptTokens(request, countTextTokens);
}

/**
 * What admission holds for: never below `countPromptTokens(request)`, linear in the request's
 * size, and equal to it on ordinary text.
 */
export function promptTokenBound(request: Pick<ChatRequest, 'messages' | 'tools'>): number {
  return promptTokens(request, textTokenBound);
}
