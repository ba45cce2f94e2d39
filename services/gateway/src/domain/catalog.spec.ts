import { describe, expect, it } from '@jest/globals';
import { parseUsd } from '@billing/money';
import { CatalogFormatError, parseMeteringModels, priceInForce } from './catalog.js';

const price = (version: string, effectiveFrom: string, input: string) => ({
  version,
  effectiveFrom,
  perMillionTokens: { input, output: '10', cachedInput: '0.125', cacheWrite: input },
});

const body = {
  at: '2026-01-01T00:00:00.000Z',
  data: [
    {
      id: 'openai/gpt-5',
      displayName: 'GPT-5',
      provider: 'openai',
      contextWindow: 400_000,
      maxOutputTokens: 128_000,
      price: price('v1', '2025-01-01T00:00:00.000Z', '1.25'),
      nextPrice: price('v2', '2026-06-01T00:00:00.000Z', '1.5'),
    },
  ],
};

describe("metering's catalog", () => {
  it('reads models, output limits and prices in nano-dollars', () => {
    const catalog = parseMeteringModels(body, 0);
    const model = catalog.models.get('openai/gpt-5');
    expect(model?.maxOutputTokens).toBe(128_000);
    expect(model?.price?.inputNanos).toBe(parseUsd('1.25'));
    expect(model?.price?.cachedInputNanos).toBe(parseUsd('0.125'));
  });

  it('uses the scheduled price once its time has come, and no price before the first', () => {
    const model = parseMeteringModels(body, 0).models.get('openai/gpt-5')!;
    expect(priceInForce(model, Date.parse('2026-05-31T23:59:59.999Z'))?.version).toBe('v1');
    expect(priceInForce(model, Date.parse('2026-06-01T00:00:00.000Z'))?.version).toBe('v2');
    expect(priceInForce(model, Date.parse('2024-12-31T00:00:00.000Z'))).toBeUndefined();
  });

  it.each([
    [{}],
    [{ data: [{ id: 'x/y' }] }],
    [{ data: [{ ...body.data[0], price: { ...price('v', 'not a date', '1') } }] }],
    [{ data: [{ ...body.data[0], price: price('v', '2025-01-01T00:00:00Z', 'abc') }] }],
    [{ data: [{ ...body.data[0], maxOutputTokens: -1 }] }],
  ])('refuses a malformed answer rather than half-read it: %j', (bad) => {
    expect(() => parseMeteringModels(bad, 0)).toThrow(CatalogFormatError);
  });
});
