import fc from 'fast-check';
import {
  PriceCatalog,
  priceVersionId,
  withDefaultPrices,
  type ModelInfo,
  type PriceVersion,
} from './catalog.js';
import { priceUsage } from './pricing.js';

const model: ModelInfo = {
  modelId: 'sim/echo-1',
  displayName: 'Echo 1',
  provider: 'sim',
  contextWindow: 128_000,
  maxOutputTokens: 16_384,
};

function version(iso: string, inputNanoUsd: bigint, modelId = model.modelId): PriceVersion {
  const effectiveFrom = new Date(iso);
  return {
    versionId: priceVersionId(modelId, effectiveFrom),
    modelId,
    effectiveFrom,
    perMillionTokens: withDefaultPrices({ input: inputNanoUsd, output: 2n * inputNanoUsd }),
  };
}

const v2025 = version('2025-01-01T00:00:00.000Z', 1_000_000_000n);
const v2026 = version('2026-03-01T12:00:00.000Z', 2_000_000_000n);
const catalog = PriceCatalog.of([model], [v2026, v2025]);

describe('PriceCatalog.priceAt', () => {
  it('returns the version with the latest effectiveFrom not after the start', () => {
    expect(catalog.priceAt('sim/echo-1', new Date('2025-06-01T00:00:00Z'))).toBe(v2025);
    expect(catalog.priceAt('sim/echo-1', new Date('2030-01-01T00:00:00Z'))).toBe(v2026);
  });

  it('treats effectiveFrom as inclusive, to the millisecond', () => {
    expect(catalog.priceAt('sim/echo-1', new Date('2026-03-01T12:00:00.000Z'))).toBe(v2026);
    expect(catalog.priceAt('sim/echo-1', new Date('2026-03-01T11:59:59.999Z'))).toBe(v2025);
  });

  it('prices a request that started before a change at the old price, even if it completed after', () => {
    const startedAt = new Date('2026-03-01T11:59:30.000Z');
    const completedAt = new Date('2026-03-01T12:03:00.000Z');
    const usage = { inputTokens: 1_000_000, outputTokens: 0 };

    const atStart = catalog.priceAt('sim/echo-1', startedAt);
    const atCompletion = catalog.priceAt('sim/echo-1', completedAt);

    expect(atStart).toBe(v2025);
    expect(atStart && priceUsage(usage, atStart)).toEqual({
      ok: true,
      value: expect.objectContaining({
        costNanoUsd: 1_000_000_000n,
        priceVersion: 'sim/echo-1@2025-01-01T00:00:00.000Z',
      }) as unknown,
    });
    // The price in force at completion would have been different: that is what must not be used.
    expect(atCompletion).toBe(v2026);
  });

  it('returns undefined for an unknown model: such usage goes to the DLQ, never priced at zero', () => {
    expect(catalog.priceAt('openai/gpt-unknown', new Date('2026-01-01T00:00:00Z'))).toBeUndefined();
    expect(catalog.priceAt('', new Date('2026-01-01T00:00:00Z'))).toBeUndefined();
  });

  it('returns undefined for a request that started before the model had any price', () => {
    expect(catalog.priceAt('sim/echo-1', new Date('2024-12-31T23:59:59.999Z'))).toBeUndefined();
  });

  it('returns undefined for a known model without any price version', () => {
    const unpriced = PriceCatalog.of([model], []);

    expect(unpriced.priceAt('sim/echo-1', new Date('2026-01-01T00:00:00Z'))).toBeUndefined();
  });

  it('throws on an invalid start time, which the caller should have refused', () => {
    expect(() => catalog.priceAt('sim/echo-1', new Date('not a date'))).toThrow(RangeError);
  });

  it('agrees with a linear scan over many versions (the binary search is right)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: -10, max: 1_000_010 }),
        (times, probe) => {
          const versions = times.map((t) => version(new Date(t).toISOString(), BigInt(t)));
          const many = PriceCatalog.of([model], versions);
          const expected = versions
            .filter((v) => v.effectiveFrom.getTime() <= probe)
            .sort((a, b) => b.effectiveFrom.getTime() - a.effectiveFrom.getTime())[0];
          expect(many.priceAt('sim/echo-1', new Date(probe))).toBe(expected);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('withDefaultPrices', () => {
  it('bills cache reads and cache writes as input when the provider has no separate price', () => {
    expect(withDefaultPrices({ input: 5n, output: 7n })).toEqual({
      inputNanoUsd: 5n,
      outputNanoUsd: 7n,
      cachedInputNanoUsd: 5n,
      cacheWriteNanoUsd: 5n,
    });
  });

  it('keeps explicit prices, including an explicit zero', () => {
    expect(withDefaultPrices({ input: 5n, output: 7n, cachedInput: 0n, cacheWrite: 9n })).toEqual({
      inputNanoUsd: 5n,
      outputNanoUsd: 7n,
      cachedInputNanoUsd: 0n,
      cacheWriteNanoUsd: 9n,
    });
  });
});

describe('PriceCatalog.of', () => {
  it('refuses data that must never be priced with', () => {
    const other = { ...model, modelId: 'sim/echo-2' };
    const cases: [readonly ModelInfo[], readonly PriceVersion[], RegExp][] = [
      [[model, model], [], /duplicate model/],
      [[model], [version('2025-01-01T00:00:00Z', 1n, 'sim/echo-2')], /unknown model/],
      [
        [model],
        [
          version('2025-01-01T00:00:00Z', 1n),
          { ...version('2025-01-01T00:00:00Z', 2n), versionId: 'x' },
        ],
        /two price versions/,
      ],
      [
        [model, other],
        [
          version('2025-01-01T00:00:00Z', 1n),
          {
            ...version('2025-01-01T00:00:00Z', 1n, 'sim/echo-2'),
            versionId: priceVersionId('sim/echo-1', new Date('2025-01-01T00:00:00Z')),
          },
        ],
        /duplicate price version id/,
      ],
      [[model], [version('2025-01-01T00:00:00Z', -1n)], /must be a bigint/],
      [
        [model],
        [{ ...version('2025-01-01T00:00:00Z', 1n), effectiveFrom: new Date('x') }],
        /invalid effectiveFrom/,
      ],
      [[{ ...model, modelId: 'echo-1' }], [], /invalid model id/],
      [[{ ...model, modelId: 'sim/echo@1' }], [], /invalid model id/],
      [[{ ...model, maxOutputTokens: 200_000 }], [], /exceeds contextWindow/],
      [[{ ...model, contextWindow: 0 }], [], /positive integers/],
      [[{ ...model, displayName: '' }], [], /display name/],
    ];
    for (const [models, versions, message] of cases) {
      expect(() => PriceCatalog.of(models, versions)).toThrow(message);
    }
  });

  it('lists models in the order given and versions oldest first', () => {
    expect(catalog.models).toEqual([model]);
    expect(catalog.versionsOf('sim/echo-1')).toEqual([v2025, v2026]);
    expect(catalog.versionsOf('unknown/model')).toEqual([]);
    expect(PriceCatalog.empty().models).toEqual([]);
  });
});

describe('PriceCatalog.entriesAt', () => {
  it('shows the price in force and the next scheduled one', () => {
    expect(catalog.entriesAt(new Date('2026-01-01T00:00:00Z'))).toEqual([
      { model, current: v2025, next: v2026 },
    ]);
    expect(catalog.entriesAt(new Date('2027-01-01T00:00:00Z'))).toEqual([
      { model, current: v2026, next: undefined },
    ]);
  });
});

describe('PriceCatalog.with', () => {
  it('returns a new catalog with the version added and leaves the original as it was', () => {
    const v2027 = version('2027-01-01T00:00:00.000Z', 3_000_000_000n);

    const next = catalog.with(model, v2027);

    expect(next.priceAt('sim/echo-1', new Date('2027-06-01T00:00:00Z'))).toBe(v2027);
    expect(catalog.priceAt('sim/echo-1', new Date('2027-06-01T00:00:00Z'))).toBe(v2026);
  });

  it('replaces a model description and adds a new model', () => {
    const renamed = { ...model, displayName: 'Echo One' };
    const added = { ...model, modelId: 'sim/echo-2' };

    expect(catalog.with(renamed).model('sim/echo-1')).toEqual(renamed);
    expect(catalog.with(added).models.map((m) => m.modelId)).toEqual(['sim/echo-1', 'sim/echo-2']);
  });

  it('refuses a second version at the same instant', () => {
    expect(() => catalog.with(model, version('2026-03-01T12:00:00.000Z', 9n))).toThrow(
      /2026-03-01T12:00:00.000Z/,
    );
  });
});
