import { PriceCatalog } from './catalog.js';
import { defaultCatalog } from './default-catalog.js';
import {
  validatePriceUpdate,
  type AcceptedPriceUpdate,
  type PriceUpdateRequest,
} from './price-update.js';

const now = new Date('2026-06-01T12:00:00.000Z');
const catalog = defaultCatalog();
const context = { now, catalog };

const newModel: PriceUpdateRequest = {
  displayName: 'GPT-6',
  contextWindow: 1_000_000,
  maxOutputTokens: 128_000,
  prices: { input: '2', output: '16', cachedInput: '0.2' },
  effectiveFrom: '2026-07-01T00:00:00Z',
};

function accepted(
  modelId: string,
  request: PriceUpdateRequest,
  ctx: { now: Date; catalog: PriceCatalog } = context,
): AcceptedPriceUpdate {
  const result = validatePriceUpdate(modelId, request, ctx);
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.value;
}

function refused(
  modelId: string,
  request: unknown,
  ctx: { now: Date; catalog: PriceCatalog } = context,
): { code: string; message: string } {
  const result = validatePriceUpdate(modelId, request as PriceUpdateRequest, ctx);
  if (result.ok) throw new Error(`accepted: ${JSON.stringify(result.value.version.versionId)}`);
  return result.error;
}

describe('validatePriceUpdate: a new model', () => {
  it('creates the model and its first version, with cacheWrite defaulting to the input price', () => {
    expect(accepted('openai/gpt-6', newModel)).toEqual({
      model: {
        modelId: 'openai/gpt-6',
        displayName: 'GPT-6',
        provider: 'openai',
        contextWindow: 1_000_000,
        maxOutputTokens: 128_000,
      },
      version: {
        versionId: 'openai/gpt-6@2026-07-01T00:00:00.000Z',
        modelId: 'openai/gpt-6',
        effectiveFrom: new Date('2026-07-01T00:00:00Z'),
        perMillionTokens: {
          inputNanoUsd: 2_000_000_000n,
          outputNanoUsd: 16_000_000_000n,
          cachedInputNanoUsd: 200_000_000n,
          cacheWriteNanoUsd: 2_000_000_000n,
        },
      },
      created: true,
    });
  });

  it('needs displayName, contextWindow and maxOutputTokens', () => {
    const error = refused('openai/gpt-6', { prices: { input: '1', output: '2' } });

    expect(error.code).toBe('METERING.INVALID_PRICE_UPDATE');
    expect(error.message).toMatch(/displayName is required/);
    expect(error.message).toMatch(/contextWindow is required/);
    expect(error.message).toMatch(/maxOutputTokens is required/);
  });

  it('takes an explicit provider, and checks the description', () => {
    expect(accepted('acme/model-1', { ...newModel, provider: 'openrouter' }).model.provider).toBe(
      'openrouter',
    );
    for (const bad of [
      { displayName: ' ' },
      { displayName: 'a\u0000b' },
      { displayName: 'x'.repeat(201) },
      { provider: 'Open AI' },
      { contextWindow: 0 },
      { contextWindow: 1.5 },
      { maxOutputTokens: -1 },
      { maxOutputTokens: 2_000_000 },
    ]) {
      expect(refused('acme/model-1', { ...newModel, ...bad }).code).toBe(
        'METERING.INVALID_PRICE_UPDATE',
      );
    }
  });

  it('refuses a malformed model id', () => {
    for (const modelId of [
      'gpt-6',
      'openai/',
      '/gpt-6',
      'openai/gpt@6',
      'OpenAI/gpt-6',
      `a/${'x'.repeat(150)}`,
    ]) {
      expect(refused(modelId, newModel).code).toBe('METERING.INVALID_PRICE_UPDATE');
    }
  });
});

describe('validatePriceUpdate: a known model', () => {
  it('needs only the prices; the description is kept', () => {
    const { model, version } = accepted('openai/gpt-5', {
      prices: { input: '1', output: '8' },
      effectiveFrom: '2026-07-01T00:00:00Z',
    });

    expect(model).toEqual(catalog.model('openai/gpt-5'));
    expect(version.perMillionTokens).toEqual({
      inputNanoUsd: 1_000_000_000n,
      outputNanoUsd: 8_000_000_000n,
      cachedInputNanoUsd: 1_000_000_000n,
      cacheWriteNanoUsd: 1_000_000_000n,
    });
  });

  it('replaces the description fields it is given', () => {
    const { model } = accepted('openai/gpt-5', {
      displayName: 'GPT-5 (2025-08-07)',
      prices: { input: '1.25', output: '10' },
    });

    expect(model.displayName).toBe('GPT-5 (2025-08-07)');
    expect(model.contextWindow).toBe(400_000);
  });

  it('allows zero prices (a free model) and explicit cache prices', () => {
    const { version } = accepted('sim/echo-1', {
      prices: { input: '0', output: '0', cachedInput: '0', cacheWrite: '0.000000001' },
    });

    expect(version.perMillionTokens.inputNanoUsd).toBe(0n);
    expect(version.perMillionTokens.cacheWriteNanoUsd).toBe(1n);
  });

  it('applies from now when effectiveFrom is left out', () => {
    const { version } = accepted('sim/echo-1', { prices: { input: '3', output: '6' } });

    expect(version.effectiveFrom).toEqual(now);
    expect(version.versionId).toBe('sim/echo-1@2026-06-01T12:00:00.000Z');
  });

  it('gives a version that the catalog applies by start time', () => {
    const { model, version } = accepted('sim/echo-1', {
      prices: { input: '3', output: '6' },
      effectiveFrom: '2026-07-01T00:00:00Z',
    });
    const next = catalog.with(model, version);

    expect(next.priceAt('sim/echo-1', new Date('2026-06-30T23:59:59.999Z'))?.versionId).toBe(
      'sim/echo-1@2025-01-01T00:00:00.000Z',
    );
    expect(next.priceAt('sim/echo-1', new Date('2026-07-01T00:00:00Z'))).toBe(version);
  });
});

describe('validatePriceUpdate: prices', () => {
  it.each([
    ['a negative price', { input: '-1', output: '2' }, /input must not be negative/],
    ['a JSON number', { input: 1.25, output: '2' }, /decimal string/],
    ['exponent notation', { input: '1e3', output: '2' }, /decimal string/],
    ['more than 9 fraction digits', { input: '0.0000000001', output: '2' }, /decimal string/],
    ['a missing output price', { input: '1' }, /output is required/],
    ['an unknown price name', { input: '1', output: '2', reasoning: '3' }, /prices.reasoning/],
    ['a price beyond int8', { input: '9223372037', output: '2' }, /too large/],
  ])('refuses %s', (_, prices, message) => {
    const error = refused('sim/echo-1', { prices });

    expect(error.code).toBe('METERING.INVALID_PRICE_UPDATE');
    expect(error.message).toMatch(message);
  });

  it('refuses a body without prices', () => {
    expect(refused('sim/echo-1', {}).message).toMatch(/prices must be an object/);
    expect(refused('sim/echo-1', { prices: '1' }).message).toMatch(/prices must be an object/);
    expect(refused('sim/echo-1', null).code).toBe('METERING.INVALID_PRICE_UPDATE');
  });
});

describe('validatePriceUpdate: effectiveFrom', () => {
  const prices = { input: '3', output: '6' };

  it('refuses a time before now, unless allowRetroactive is set', () => {
    const past = '2026-06-01T11:59:59.999Z';

    expect(refused('sim/echo-1', { prices, effectiveFrom: past }).code).toBe(
      'METERING.EFFECTIVE_FROM_IN_PAST',
    );
    expect(
      accepted('sim/echo-1', { prices, effectiveFrom: past, allowRetroactive: true }).version
        .effectiveFrom,
    ).toEqual(new Date(past));
  });

  it('accepts exactly now and any later time', () => {
    expect(accepted('sim/echo-1', { prices, effectiveFrom: now.toISOString() }).created).toBe(true);
    expect(
      accepted('sim/echo-1', { prices, effectiveFrom: '2030-01-01T00:00:00.5Z' }).created,
    ).toBe(true);
  });

  it.each([
    '2026-07-01',
    '2026-07-01T00:00:00',
    '2026-07-01T00:00:00+02:00',
    '2026-07-01T00:00:00.0001Z',
    '2026-02-30T00:00:00Z',
    '2026-07-01T24:00:00Z',
    'tomorrow',
  ])('refuses effectiveFrom %j', (effectiveFrom) => {
    expect(refused('sim/echo-1', { prices, effectiveFrom }).message).toMatch(/ISO-8601 UTC/);
  });

  it('refuses an allowRetroactive that is not a boolean', () => {
    expect(refused('sim/echo-1', { prices, allowRetroactive: 'yes' }).message).toMatch(
      /allowRetroactive/,
    );
  });
});

describe('validatePriceUpdate: versions are immutable', () => {
  const effectiveFrom = '2026-07-01T00:00:00.000Z';
  const first = accepted('sim/echo-1', { prices: { input: '3', output: '6' }, effectiveFrom });
  const withFirst = catalog.with(first.model, first.version);

  it('answers a retry of the same price for the same instant with the existing version', () => {
    const retry = accepted(
      'sim/echo-1',
      { prices: { input: '3.0', output: '6', cachedInput: '3' }, effectiveFrom },
      { now, catalog: withFirst },
    );

    expect(retry).toEqual({ model: first.model, version: first.version, created: false });
  });

  it('still answers the retry so after the instant has passed', () => {
    const later = { now: new Date('2026-08-01T00:00:00Z'), catalog: withFirst };

    expect(
      accepted('sim/echo-1', { prices: { input: '3', output: '6' }, effectiveFrom }, later).created,
    ).toBe(false);
  });

  it('refuses a different price for an instant that already has one', () => {
    const error = refused(
      'sim/echo-1',
      { prices: { input: '4', output: '6' }, effectiveFrom },
      { now, catalog: withFirst },
    );

    expect(error.code).toBe('METERING.PRICE_VERSION_CONFLICT');
    expect(error.message).toContain('sim/echo-1@2026-07-01T00:00:00.000Z');
  });

  it('refuses to change the shipped 2025 price in place, even retroactively', () => {
    expect(
      refused('openai/gpt-5', {
        prices: { input: '1', output: '10' },
        effectiveFrom: '2025-01-01T00:00:00Z',
        allowRetroactive: true,
      }).code,
    ).toBe('METERING.PRICE_VERSION_CONFLICT');
  });
});
