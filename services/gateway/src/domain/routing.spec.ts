import { describe, expect, it } from '@jest/globals';
import { apiKeyVariable, parseUpstreamProviders, routeModel } from './routing.js';

describe('parseUpstreamProviders', () => {
  it('reads the compact spelling, keys from UPSTREAM_<PREFIX>_API_KEY', () => {
    const parsed = parseUpstreamProviders(
      'openai=https://api.openai.com/v1/, local-vllm=http://10.0.0.5:8000/v1',
      { UPSTREAM_OPENAI_API_KEY: 'sk-1' },
    );
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.providers.get('openai')).toEqual({
      prefix: 'openai',
      baseUrl: 'https://api.openai.com/v1',
      apiKey: 'sk-1',
    });
    expect(parsed.providers.get('local-vllm')).toEqual({
      prefix: 'local-vllm',
      baseUrl: 'http://10.0.0.5:8000/v1',
    });
    expect(apiKeyVariable('local-vllm')).toBe('UPSTREAM_LOCAL_VLLM_API_KEY');
  });

  it('reads the JSON spelling, with a key variable of another name', () => {
    const parsed = parseUpstreamProviders(
      '{"openai": {"baseUrl": "https://api.openai.com/v1", "apiKeyEnv": "OPENAI_API_KEY"}, "groq": "https://api.groq.com/openai/v1"}',
      { OPENAI_API_KEY: 'sk-2', UPSTREAM_GROQ_API_KEY: 'gsk' },
    );
    expect(parsed.ok && parsed.providers.get('openai')?.apiKey).toBe('sk-2');
    expect(parsed.ok && parsed.providers.get('groq')?.apiKey).toBe('gsk');
  });

  it('accepts nothing at all (only sim/ then)', () => {
    const parsed = parseUpstreamProviders(undefined, {});
    expect(parsed.ok && parsed.providers.size).toBe(0);
  });

  it.each([
    ['openai', 'entries must read'],
    ['openai=ftp://x', 'must be http(s)'],
    ['openai=not a url', 'is not a URL'],
    ['sim=http://x', 'built-in'],
    ['Open AI=http://x', 'prefix'],
    ['a=http://x,a=http://y', 'twice'],
    ['a=http://user:secret@x', 'must not carry credentials'],
    ['{not json', 'not valid JSON'],
    ['{"a": 3}', 'must be a URL'],
  ])('refuses %s', (spec, problem) => {
    const parsed = parseUpstreamProviders(spec, {});
    const problems = parsed.ok ? 'accepted' : parsed.problems.join();
    expect(problems).toContain(problem);
    expect(problems).not.toContain('secret');
  });
});

describe('routeModel', () => {
  const providers = new Map([
    ['openai', { prefix: 'openai', baseUrl: 'https://api.openai.com/v1' }],
  ]);

  it('sends sim/ models to the built-in provider and others to their prefix, without the prefix', () => {
    expect(routeModel('sim/echo-1', providers)).toEqual({ kind: 'sim', modelId: 'sim/echo-1' });
    expect(routeModel('openai/gpt-5', providers)).toMatchObject({
      kind: 'upstream',
      upstreamModel: 'gpt-5',
      provider: { prefix: 'openai' },
    });
    expect(routeModel('openai/ft:gpt-4o/x', providers)).toMatchObject({
      upstreamModel: 'ft:gpt-4o/x',
    });
  });

  it('finds no route for an unconfigured provider or an id without a prefix', () => {
    expect(routeModel('anthropic/claude', providers)).toBeUndefined();
    expect(routeModel('gpt-5', providers)).toBeUndefined();
    expect(routeModel('/gpt-5', providers)).toBeUndefined();
    expect(routeModel('openai/', providers)).toBeUndefined();
  });
});
