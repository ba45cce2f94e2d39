import { describe, expect, it, jest } from '@jest/globals';
import fc from 'fast-check';
import { decode, encode } from 'gpt-tokenizer';
import {
  countPromptTokens,
  countTextTokens,
  encodeLinear,
  promptTokenBound,
  textTokenBound,
  TOKENS_PER_IMAGE,
} from './prompt-tokens.js';

describe('countPromptTokens', () => {
  it('counts each message with its framing, and the reply priming', () => {
    const one = countPromptTokens({
      messages: [{ role: 'user', content: 'hello world' }],
      tools: undefined,
    });
    // 3 priming + 3 per message + "user" (1) + "hello world" (2)
    expect(one).toBe(3 + 3 + countTextTokens('user') + countTextTokens('hello world'));
    const two = countPromptTokens({
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hello world', name: 'bob' },
      ],
      tools: undefined,
    });
    expect(two).toBeGreaterThan(one + 3);
  });

  it('counts text parts, assumes the upper figure for images, and counts tool schemas and calls', () => {
    const parts = countPromptTokens({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what is this?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
          ],
        },
      ],
      tools: undefined,
    });
    expect(parts).toBeGreaterThan(TOKENS_PER_IMAGE);
    const withTools = countPromptTokens({
      messages: [{ role: 'user', content: 'x' }],
      tools: [
        { type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } },
      ],
    });
    expect(withTools).toBeGreaterThan(
      countPromptTokens({ messages: [{ role: 'user', content: 'x' }], tools: undefined }),
    );
  });

  it('counts special-token text as plain text instead of throwing', () => {
    expect(countTextTokens('<|endoftext|>')).toBeGreaterThan(1);
    expect(countTextTokens('')).toBe(0);
  });
});

describe('promptTokenBound: linear, never below the tokenizer, equal on ordinary text', () => {
  const WORDS = [
    'the',
    'ledger',
    'holds',
    'what',
    'gateway',
    'admits',
    'internationalization',
    "don't",
    "it's",
    'naïve',
    'café',
    '日本語',
    'テキスト',
    'Straße',
    '2026',
    '12345678',
    '3.14159',
    '€42',
    'GPT-5',
    'e-mail',
    'hello,',
    'world!',
    '(parens)',
    '"quotes"',
    'x_y_z',
    'CamelCase',
    '🙂',
    'tab\there',
    'line\nbreak',
    '  ',
    '\r\n',
    '...',
    '—',
    'https://example.com/a?b=c',
    '<|endoftext|>',
    '<|im_start|>',
  ];
  const ordinaryText = fc
    .array(fc.constantFrom(...WORDS), { minLength: 0, maxLength: 200 })
    .chain((words) =>
      fc
        .array(fc.constantFrom(' ', ' ', ' ', '\n', ', ', '. '), {
          minLength: words.length,
          maxLength: words.length,
        })
        .map((gaps) => words.map((w, i) => `${w}${gaps[i] ?? ''}`).join('')),
    );

  it('equals the real tokenizer count on ordinary text (so holds are not inflated)', () => {
    fc.assert(
      fc.property(ordinaryText, (text) => {
        expect(textTokenBound(text)).toBe(countTextTokens(text));
      }),
      { numRuns: 300 },
    );
  });

  it('is never below the real count on any text up to a few hundred characters, long runs included', () => {
    const anyText = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 300 }),
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc
        .tuple(
          fc.constantFrom('a', 'Z', ' ', '\n', '7', '!', 'é', '語', '🙂'),
          fc.integer({ min: 1, max: 400 }),
        )
        .map(([c, n]) => c.repeat(n)),
      fc
        .tuple(ordinaryText, fc.integer({ min: 40, max: 300 }))
        .map(([t, n]) => `${t}${'x'.repeat(n)}${t}`),
    );
    fc.assert(
      fc.property(anyText, (text) => {
        expect(textTokenBound(text)).toBeGreaterThanOrEqual(countTextTokens(text));
      }),
      { numRuns: 300 },
    );
  });

  it('bounds a prompt above its exact count, with the framing, tools and images counted alike', () => {
    fc.assert(
      fc.property(ordinaryText, fc.string({ maxLength: 200 }), (a, b) => {
        const request = {
          messages: [
            { role: 'system', content: a },
            {
              role: 'user',
              content: [{ type: 'text', text: `${b}${'q'.repeat(120)}` }],
              name: 'n',
            },
            { role: 'assistant', content: null, tool_calls: [{ id: b }] },
          ],
          tools: [{ type: 'function', function: { name: 'f', description: a } }],
        };
        expect(promptTokenBound(request)).toBeGreaterThanOrEqual(countPromptTokens(request));
      }),
      { numRuns: 100 },
    );
  });

  it('bounds a text by its UTF-8 bytes when the split regex exhausts the stack', () => {
    // What V8's native regexp code does on a huge unbroken piece in a long-running process.
    const split = jest.spyOn(String.prototype, 'matchAll').mockImplementationOnce(() => {
      throw new RangeError('Maximum call stack size exceeded');
    });
    try {
      expect(textTokenBound('héllo wörld')).toBe(13);
      expect(textTokenBound('héllo wörld')).toBe(countTextTokens('héllo wörld'));
    } finally {
      split.mockRestore();
    }
  });

  it('counts a 4 MiB single word as its bytes, without the quadratic merge (the stall of issue #10)', () => {
    const word = 'a'.repeat(4 * 1024 * 1024);
    expect(textTokenBound(word)).toBe(word.length);
    expect(textTokenBound('é'.repeat(1000))).toBe(2000);
  });

  it('encodes linearly to tokens that decode to the text, the tokenizer’s own on ordinary text', () => {
    fc.assert(
      fc.property(ordinaryText, (text) => {
        expect(encodeLinear(text)).toEqual(encode(text, { disallowedSpecial: new Set() }));
      }),
      { numRuns: 100 },
    );
    const long = `${'🙂'.repeat(300)}${'b'.repeat(1000)}`;
    expect(decode(encodeLinear(long))).toBe(long);
  });
});
