import { describe, expect, it } from '@jest/globals';
import { countPromptTokens, countTextTokens, TOKENS_PER_IMAGE } from './prompt-tokens.js';

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
