import { describe, expect, it } from '@jest/globals';
import { countPromptTokens, countTextTokens } from './prompt-tokens.js';
import {
  SIM_BREAK_AFTER_CHUNKS,
  SIM_BREAK_STREAM_MARKER,
  SimulatedUpstreamBreak,
  simBreaksStream,
  simBrokenStream,
  simResponseBody,
  simReplyText,
  simStreamEvents,
  simulateCompletion,
} from './sim-provider.js';

const request = (content: string, maxOutputTokens?: number, choices = 1) => ({
  messages: [
    { role: 'system', content: 'be brief' },
    { role: 'user', content },
  ],
  tools: undefined,
  maxOutputTokens,
  choices,
});
const envelope = { id: 'chatcmpl-1', createdSeconds: 1_700_000_000, model: 'sim/echo-1' };

describe('the simulated provider', () => {
  it('echoes the last user message, deterministically, with exact usage', () => {
    const r = request('What is the meaning of life?');
    const a = simulateCompletion(r, 16_384);
    expect(a).toEqual(simulateCompletion(r, 16_384));
    expect(a.choices[0]?.text).toBe('Echo: What is the meaning of life?');
    expect(a.choices[0]?.finishReason).toBe('stop');
    expect(a.usage).toEqual({
      inputTokens: countPromptTokens(r),
      outputTokens: countTextTokens('Echo: What is the meaning of life?'),
    });
  });

  it('honours max_tokens and the model limit, with finish_reason length', () => {
    const cut = simulateCompletion(request('one two three four five six'), 16_384);
    const three = simulateCompletion(request('one two three four five six', 3), 16_384);
    expect(three.usage.outputTokens).toBe(3);
    expect(three.choices[0]?.finishReason).toBe('length');
    expect(cut.choices[0]?.text.startsWith(three.choices[0]!.text)).toBe(true);
    expect(simulateCompletion(request('one two three four five six'), 2).usage.outputTokens).toBe(
      2,
    );
  });

  it('answers n choices, billed n times', () => {
    const two = simulateCompletion(request('hi', undefined, 2), 100);
    expect(two.choices).toHaveLength(2);
    expect(two.usage.outputTokens).toBe(2 * countTextTokens('Echo: hi'));
  });

  it('streams a role chunk, several content chunks, a finish chunk, the usage chunk and [DONE]', () => {
    const completion = simulateCompletion(
      request('a reply long enough to take several chunks of tokens'),
      100,
    );
    const events = simStreamEvents(completion, envelope);
    expect(events[events.length - 1]).toBe('[DONE]');
    const chunks = events.slice(0, -1).map(
      (e) =>
        JSON.parse(e) as {
          choices: { delta: { content?: string }; finish_reason: string | null }[];
          usage: unknown;
        },
    );
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe(completion.choices[0]?.text);
    expect(chunks.filter((c) => c.choices[0]?.delta.content).length).toBeGreaterThan(2);
    expect(chunks[chunks.length - 2]?.choices[0]?.finish_reason).toBe('stop');
    expect(chunks[chunks.length - 1]).toMatchObject({
      choices: [],
      usage: {
        prompt_tokens: completion.usage.inputTokens,
        completion_tokens: completion.usage.outputTokens,
      },
    });
  });

  it('answers in the chat.completion shape', () => {
    const body = simResponseBody(simulateCompletion(request('hi'), 10), envelope);
    expect(body).toMatchObject({
      id: 'chatcmpl-1',
      object: 'chat.completion',
      model: 'sim/echo-1',
    });
  });

  it('says so when there is no user message to echo', () => {
    expect(simReplyText({ messages: [{ role: 'system', content: 'x' }] })).toBe(
      'Echo: (no user message)',
    );
  });
});

describe('the simulated mid-stream failure (AI insurance demonstrations)', () => {
  it('given the marker in the last user message, then the stream breaks after the role chunk and two content chunks', () => {
    const r = request(`Tell me a long story ${SIM_BREAK_STREAM_MARKER} please, with many words`);
    expect(simBreaksStream(r)).toBe(true);
    const events = simStreamEvents(simulateCompletion(r, 16_384), envelope);
    const broken = simBrokenStream(events);
    const sent: string[] = [];
    expect(() => {
      for (const e of broken) sent.push(e);
    }).toThrow(SimulatedUpstreamBreak);
    expect(sent).toEqual(events.slice(0, 1 + SIM_BREAK_AFTER_CHUNKS));
    expect(sent).not.toContain('[DONE]');
  });

  it('given the marker only in an earlier message, or none, then the stream does not break', () => {
    expect(simBreaksStream(request('an ordinary question'))).toBe(false);
    expect(
      simBreaksStream({
        messages: [
          { role: 'user', content: SIM_BREAK_STREAM_MARKER },
          { role: 'user', content: 'and now something else' },
        ],
      }),
    ).toBe(false);
  });
});
