import { describe, expect, it } from '@jest/globals';
import { countTextTokens } from './prompt-tokens.js';
import { relayCompletion, StreamRelay } from './stream-relay.js';

const chunk = (content: string | null, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({
    id: 'c1',
    object: 'chat.completion.chunk',
    model: 'gpt-5',
    choices: content === null ? [] : [{ index: 0, delta: { content } }],
    usage: null,
    ...extra,
  });
const usage = {
  prompt_tokens: 12,
  completion_tokens: 7,
  prompt_tokens_details: { cached_tokens: 4 },
};

describe('StreamRelay', () => {
  it('given a client that did not ask for usage: drops the usage chunk and every usage field, still reads the usage', () => {
    const relay = new StreamRelay({ modelId: 'openai/gpt-5', clientWantsUsage: false });
    const first = relay.handle(chunk('Hello'));
    expect(JSON.parse(first!)).toEqual({
      id: 'c1',
      object: 'chat.completion.chunk',
      model: 'openai/gpt-5',
      choices: [{ index: 0, delta: { content: 'Hello' } }],
    });
    expect(relay.handle(chunk(null, { usage }))).toBeUndefined();
    expect(relay.handle('[DONE]')).toBe('[DONE]');
    expect(relay.done).toBe(true);
    expect(relay.reported).toEqual({ inputTokens: 12, outputTokens: 7, cachedInputTokens: 4 });
  });

  it('given a client that asked for usage: passes the usage chunk on', () => {
    const relay = new StreamRelay({ modelId: 'openai/gpt-5', clientWantsUsage: true });
    const out = relay.handle(chunk(null, { usage }));
    expect(JSON.parse(out!)).toMatchObject({ usage, choices: [], model: 'openai/gpt-5' });
  });

  it('keeps a chunk that carries both content and usage, without the usage, for a client that did not ask', () => {
    const relay = new StreamRelay({ modelId: 'm/x', clientWantsUsage: false });
    const out = relay.handle(chunk('last words', { usage }));
    expect(JSON.parse(out!)).not.toHaveProperty('usage');
    expect(relay.reported?.outputTokens).toBe(7);
  });

  it('counts what was streamed, per choice, tool calls and reasoning included', () => {
    const relay = new StreamRelay({ modelId: 'm/x', clientWantsUsage: false });
    relay.handle(chunk('Hello'));
    relay.handle(chunk(' world'));
    relay.handle(
      JSON.stringify({
        choices: [
          { index: 1, delta: { reasoning_content: 'thinking' } },
          { index: 2, delta: { tool_calls: [{ function: { name: 'f', arguments: '{"a":1}' } }] } },
        ],
      }),
    );
    expect(relay.output.countTokens()).toBe(
      countTextTokens('Hello world') + countTextTokens('thinking') + countTextTokens('f{"a":1}'),
    );
  });

  it('replaces an upstream error event with a fixed one (leaking no host, no key), flagging it; passes what it cannot parse through', () => {
    const relay = new StreamRelay({ modelId: 'm/x', clientWantsUsage: false });
    const upstream =
      '{"error":{"message":"overloaded at llm-7.internal:8443 for key sk-live-abcd1234"}}';
    const sent = relay.handle(upstream) ?? '';
    expect(sent).not.toContain('internal');
    expect(sent).not.toContain('sk-live');
    expect(JSON.parse(sent)).toEqual({
      error: {
        message: 'The upstream provider reported an error during the stream.',
        type: 'upstream_error',
        param: null,
        code: 'upstream_error',
      },
    });
    expect(relay.upstreamErrorDetail).toBe(upstream);
    expect(relay.upstreamError).toBe(true);
    expect(relay.handle('not json')).toBe('not json');
  });
});

describe('relayCompletion', () => {
  it('renames the model and reads the usage, or collects the text to count when there is none', () => {
    const body = {
      model: 'gpt-5',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hi there' } }],
    };
    const relayed = relayCompletion(body, 'openai/gpt-5');
    expect((relayed.body as { model: string }).model).toBe('openai/gpt-5');
    expect(relayed.reported).toBeUndefined();
    expect(relayed.output.countTokens()).toBe(countTextTokens('Hi there'));
    expect(relayCompletion({ ...body, usage }, 'x/y').reported?.inputTokens).toBe(12);
  });
});
