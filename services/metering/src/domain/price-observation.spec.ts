import { createEvent, type UsageObservedData } from '@billing/contracts';
import {
  PriceCatalog,
  defaultCatalog,
  parseUsdPrices,
  priceVersionId,
  type ModelInfo,
} from '../domain/index.js';
import { priceObservation } from '../domain/price-observation.js';

const observed = (data: Partial<UsageObservedData> = {}) =>
  createEvent({
    type: 'UsageObserved',
    id: '00000000-0000-4000-8000-000000000001',
    accountId: 'acct_1',
    source: 'gateway',
    occurredAt: '2026-06-01T00:00:00Z',
    data: {
      requestId: 'req_1',
      model: 'sim/echo-1',
      inputTokens: 1_000_000,
      outputTokens: 0,
      status: 'succeeded',
      startedAt: '2026-06-01T00:00:00.000Z',
      completedAt: '2026-06-01T00:00:01.000Z',
      ...data,
    },
  });

const model: ModelInfo = {
  modelId: 'test/m',
  displayName: 'M',
  provider: 'test',
  contextWindow: 10,
  maxOutputTokens: 5,
};
const versionAt = (iso: string, input: string) => ({
  versionId: priceVersionId('test/m', new Date(iso)),
  modelId: 'test/m',
  effectiveFrom: new Date(iso),
  perMillionTokens: parseUsdPrices({ input, output: '0' }),
});
const twoVersions = PriceCatalog.of(
  [model],
  [versionAt('2026-01-01T00:00:00.000Z', '1'), versionAt('2026-07-01T00:00:00.000Z', '2')],
);

describe('priceObservation', () => {
  it('prices at the version in force at startedAt, even when the request completed after a change', () => {
    const straddling = priceObservation(
      twoVersions,
      observed({
        model: 'test/m',
        startedAt: '2026-06-30T23:59:59.999999999Z',
        completedAt: '2026-07-01T00:00:02.5Z',
      }),
    );
    expect(
      straddling.ok && [straddling.value.costNanoUsd, straddling.value.version.versionId],
    ).toEqual([1_000_000_000n, 'test/m@2026-01-01T00:00:00.000Z']);
    expect(straddling.ok && straddling.value.latencyMs).toBe(2500);
    const exactly = priceObservation(
      twoVersions,
      observed({
        model: 'test/m',
        startedAt: '2026-07-01T00:00:00Z',
        completedAt: '2026-07-01T00:00:00Z',
      }),
    );
    expect(exactly.ok && exactly.value.costNanoUsd).toBe(2_000_000_000n);
  });

  it('refuses an unknown model, a start before the first price and contradictory tokens, never pricing them at zero', () => {
    expect(priceObservation(defaultCatalog(), observed({ model: 'acme/x' }))).toMatchObject({
      ok: false,
      code: 'METERING.UNKNOWN_MODEL',
    });
    expect(
      priceObservation(
        twoVersions,
        observed({ model: 'test/m', startedAt: '2025-12-31T23:59:59.999Z' }),
      ),
    ).toMatchObject({ ok: false, code: 'METERING.NO_PRICE_AT_START' });
    expect(
      priceObservation(defaultCatalog(), observed({ inputTokens: 1, cachedInputTokens: 2 })),
    ).toMatchObject({ ok: false, code: 'METERING.INVALID_USAGE' });
  });

  it('measures latency to the millisecond from timestamps with nanoseconds', () => {
    const priced = priceObservation(
      defaultCatalog(),
      observed({
        startedAt: '2026-06-01T00:00:00.000000001Z',
        completedAt: '2026-06-01T00:00:00.123999999Z',
      }),
    );
    expect(priced.ok && priced.value.latencyMs).toBe(123);
  });
});

describe('priceObservation of a Builder plan request', () => {
  it('given a request of a builder key, when priced, then it costs the balance 0 and is marked as covered by the subscription', () => {
    const builder = priceObservation(twoVersions, observed({ model: 'test/m', plan: 'builder' }));
    const payg = priceObservation(twoVersions, observed({ model: 'test/m' }));

    expect(builder.ok && [builder.value.costNanoUsd, builder.value.coveredBySubscription]).toEqual([
      0n,
      true,
    ]);
    expect(payg.ok && [payg.value.costNanoUsd, payg.value.coveredBySubscription]).toEqual([
      1_000_000_000n,
      false,
    ]);
  });

  it('given a builder request with contradicting token counts, then it is refused like any other', () => {
    const refused = priceObservation(
      twoVersions,
      observed({ model: 'test/m', plan: 'builder', inputTokens: 1, cachedInputTokens: 2 }),
    );
    expect(refused.ok === false && refused.code).toBe('METERING.INVALID_USAGE');
  });
});
