import { describe, expect, it } from '@jest/globals';
import { parseChatRequest } from './chat-request.js';

const messages = [{ role: 'user', content: 'hi' }];

describe('parseChatRequest', () => {
  it('reads what the gateway relies on and keeps the body to forward', () => {
    const result = parseChatRequest({
      model: 'sim/echo-1',
      messages,
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 10,
      temperature: 0.2,
    });
    expect(result.ok && result.value).toMatchObject({
      model: 'sim/echo-1',
      stream: true,
      clientWantsUsage: true,
      maxOutputTokens: 10,
      choices: 1,
    });
    expect(result.ok && result.value.body.temperature).toBe(0.2);
  });

  it('prefers max_completion_tokens over the deprecated max_tokens', () => {
    const result = parseChatRequest({
      model: 'm/x',
      messages,
      max_tokens: 10,
      max_completion_tokens: 20,
    });
    expect(result.ok && result.value.maxOutputTokens).toBe(20);
  });

  it('does not take include_usage without stream_options, nor a non-boolean', () => {
    const result = parseChatRequest({ model: 'm/x', messages, stream: true });
    expect(result.ok && result.value.clientWantsUsage).toBe(false);
  });

  it.each([
    [null, null],
    [[], null],
    [{ messages }, 'model'],
    [{ model: '', messages }, 'model'],
    [{ model: 'm/x' }, 'messages'],
    [{ model: 'm/x', messages: [] }, 'messages'],
    [{ model: 'm/x', messages: ['hi'] }, 'messages[0]'],
    [{ model: 'm/x', messages: [{ content: 'no role' }] }, 'messages[0]'],
    [{ model: 'm/x', messages: [{ role: 'user', content: 42 }] }, 'messages[0].content'],
    [{ model: 'm/x', messages, stream: 'yes' }, 'stream'],
    [{ model: 'm/x', messages, max_tokens: 0 }, 'max_tokens'],
    [{ model: 'm/x', messages, max_tokens: 1.5 }, 'max_tokens'],
    [{ model: 'm/x', messages, max_completion_tokens: '100' }, 'max_completion_tokens'],
    [{ model: 'm/x', messages, n: 1000 }, 'n'],
  ])('refuses %j with a 400 naming %s', (body, param) => {
    const result = parseChatRequest(body);
    expect(result.ok ? undefined : [result.failure.status, result.failure.param]).toEqual([
      400,
      param,
    ]);
  });
});
