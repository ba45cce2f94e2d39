import { describe, expect, it } from '@jest/globals';
import { normaliseUpstreamUsage, settleUsage } from './usage.js';

describe('normaliseUpstreamUsage', () => {
  it("reads OpenAI's usage, cached and reasoning details included", () => {
    expect(
      normaliseUpstreamUsage({
        prompt_tokens: 100,
        completion_tokens: 50,
        total_tokens: 150,
        prompt_tokens_details: { cached_tokens: 40, audio_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 30 },
      }),
    ).toEqual({ inputTokens: 100, outputTokens: 50, cachedInputTokens: 40, reasoningTokens: 30 });
  });

  it('reads Anthropic-style cache fields and clamps parts to their totals', () => {
    expect(
      normaliseUpstreamUsage({
        prompt_tokens: 100,
        completion_tokens: 10,
        cache_read_input_tokens: 70,
        cache_creation_input_tokens: 50,
        completion_tokens_details: { reasoning_tokens: 99 },
      }),
    ).toEqual({
      inputTokens: 100,
      outputTokens: 10,
      cachedInputTokens: 70,
      cacheWriteTokens: 30,
      reasoningTokens: 10,
    });
  });

  it.each([
    null,
    'x',
    {},
    { prompt_tokens: 1 },
    { prompt_tokens: -1, completion_tokens: 2 },
    { prompt_tokens: 1.5, completion_tokens: 2 },
  ])('finds no usage in %j', (raw) => expect(normaliseUpstreamUsage(raw)).toBeUndefined());
});

describe('settleUsage', () => {
  const reported = { inputTokens: 10, outputTokens: 20 };

  it('bills what the upstream reported, exactly', () => {
    expect(
      settleUsage({ status: 'succeeded', promptTokens: 9, reported, countedOutputTokens: 0 }),
    ).toEqual({ status: 'succeeded', usage: reported, estimated: false });
  });

  it('counts, and says so, when the upstream reported nothing', () => {
    expect(
      settleUsage({
        status: 'succeeded',
        promptTokens: 9,
        reported: undefined,
        countedOutputTokens: 5,
      }),
    ).toEqual({ status: 'succeeded', usage: { inputTokens: 9, outputTokens: 5 }, estimated: true });
  });

  it('never bills a cancelled stream at zero: the prompt was read', () => {
    const settled = settleUsage({
      status: 'cancelled',
      promptTokens: 0,
      reported: undefined,
      countedOutputTokens: 0,
    });
    expect(settled.usage.inputTokens).toBeGreaterThan(0);
    expect(settled.estimated).toBe(true);
  });

  it('bills a failure before any output at zero, and one after some output for that output', () => {
    expect(
      settleUsage({
        status: 'failed',
        promptTokens: 9,
        reported: undefined,
        countedOutputTokens: 0,
      }),
    ).toEqual({ status: 'failed', usage: { inputTokens: 0, outputTokens: 0 }, estimated: false });
    expect(
      settleUsage({
        status: 'failed',
        promptTokens: 9,
        reported: undefined,
        countedOutputTokens: 3,
      }),
    ).toEqual({ status: 'failed', usage: { inputTokens: 9, outputTokens: 3 }, estimated: true });
  });
});
