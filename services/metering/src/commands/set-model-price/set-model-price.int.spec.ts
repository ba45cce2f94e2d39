import { uniqueName } from '@billing/testing';
import { CommandBus } from '@nestjs/cqrs';
import { CatalogStore } from '../../infrastructure/catalog-store.js';
import { priceObservation } from '../../domain/price-observation.js';
import type { ModelList } from '../../queries/list-models/list-models.query.js';
import type { ModelDetailsView } from '../../queries/list-models/model-view.js';
import {
  AUDITOR_TOKEN,
  createMeteringTestApp,
  recordedInOutbox,
  testAccount,
  usageObserved,
  type MeteringTestApp,
} from '../../testing/metering-test-app.js';
import { RecordUsageCommand } from '../record-usage/record-usage.command.js';

// Price versions through `PUT /v1/admin/models/{modelId}`, and their effect on pricing: usage is
// priced at the version in force when the request *started*, including while a stream of usage
// is being consumed across the change; a recording priced with a catalog that changed under it is
// priced again before it commits.

let t: MeteringTestApp;

beforeAll(async () => {
  t = await createMeteringTestApp();
}, 60_000);

afterAll(async () => {
  await t.close();
}, 60_000);

const newModelId = (): string => `test/${uniqueName('m').toLowerCase().replaceAll('_', '-')}`;

const NEW_MODEL = { displayName: 'Test model', contextWindow: 100_000, maxOutputTokens: 10_000 };

describe('PUT /v1/admin/models/{modelId}', () => {
  it('creates a model with its first price (201), answers a retry with 200, and a different price for the same instant with 409', async () => {
    const modelId = newModelId();
    const body = {
      ...NEW_MODEL,
      prices: { input: '2', output: '8', cachedInput: '0.5' },
      effectiveFrom: '2026-01-01T00:00:00Z',
      allowRetroactive: true,
    };
    const created = await t.http<ModelDetailsView>('PUT', `/v1/admin/models/${modelId}`, { body });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: modelId,
      displayName: 'Test model',
      provider: 'test',
      price: {
        version: `${modelId}@2026-01-01T00:00:00.000Z`,
        effectiveFrom: '2026-01-01T00:00:00.000Z',
        perMillionTokens: { input: '2', output: '8', cachedInput: '0.5', cacheWrite: '2' },
      },
      nextPrice: null,
    });
    const retry = await t.http<ModelDetailsView>('PUT', `/v1/admin/models/${modelId}`, { body });
    expect(retry.status).toBe(200);
    expect(retry.body.versions).toHaveLength(1);
    const conflict = await t.http<{ error: { code: string } }>(
      'PUT',
      `/v1/admin/models/${encodeURIComponent(modelId)}`,
      { body: { ...body, prices: { input: '3', output: '8' } } },
    );
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe('METERING.PRICE_VERSION_CONFLICT');
  });

  it('refuses a price in the past without allowRetroactive, and a malformed update naming every problem', async () => {
    const past = await t.http<{ error: { code: string } }>('PUT', '/v1/admin/models/openai/gpt-5', {
      body: { prices: { input: '1', output: '9' }, effectiveFrom: '2025-06-01T00:00:00Z' },
    });
    expect(past.status).toBe(400);
    expect(past.body.error.code).toBe('METERING.EFFECTIVE_FROM_IN_PAST');
    const bad = await t.http<{ error: { code: string; message: string } }>(
      'PUT',
      `/v1/admin/models/${newModelId()}`,
      { body: { prices: { input: '-1', output: 10 } } },
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('METERING.INVALID_PRICE_UPDATE');
    expect(bad.body.error.message).toContain('prices.input must not be negative');
    expect(bad.body.error.message).toContain('prices.output must be a decimal string');
    expect(bad.body.error.message).toContain('displayName is required for a new model');
  });

  it('is for the admin only: an account token and the read-only auditor get 403, no token 401', async () => {
    const body = { prices: { input: '0', output: '0' } };
    const withAccount = await t.http('PUT', '/v1/admin/models/openai/gpt-5', {
      token: await t.tokenFor('acct_1'),
      body,
    });
    const anonymous = await fetch(`${t.baseUrl}/v1/admin/models/openai/gpt-5`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const asAuditor = await t.http<{ error: { code: string } }>(
      'PUT',
      '/v1/admin/models/openai/gpt-5',
      { token: AUDITOR_TOKEN, body },
    );
    expect([withAccount.status, anonymous.status]).toEqual([403, 401]);
    expect([asAuditor.status, asAuditor.body.error.code]).toEqual([403, 'AUTH.READ_ONLY']);
    const models = await t.http<ModelList>('GET', '/v1/models');
    expect(
      models.body.data.find((m) => m.id === 'openai/gpt-5')?.price?.perMillionTokens.input,
    ).toBe('1.25');
  });

  it("lets the read-only auditor read an account's request logs", async () => {
    const res = await t.http('GET', `/v1/accounts/${testAccount('audited')}/requests`, {
      token: AUDITOR_TOKEN,
    });
    expect(res.status).toBe(200);
  });

  it('prices a stream of usage by start time across a price change made while it flows', async () => {
    const modelId = newModelId();
    const accountId = testAccount();
    await t.http('PUT', `/v1/admin/models/${modelId}`, {
      body: {
        ...NEW_MODEL,
        prices: { input: '1', output: '1' },
        effectiveFrom: '2026-01-01T00:00:00Z',
        allowRetroactive: true,
      },
    });
    // One million tokens per request, so the cost is the price per million in USD.
    const at = (iso: string, label: string) =>
      usageObserved(accountId, {
        requestId: `${label}_${accountId}`,
        model: modelId,
        inputTokens: 1_000_000,
        outputTokens: 0,
        startedAt: iso,
        completedAt: new Date(Date.parse(iso) + 5_000).toISOString(),
      });
    const change = new Date(Date.now() + 60_000);
    const iso = (deltaMs: number): string => new Date(change.getTime() + deltaMs).toISOString();

    await t.observe([at(iso(-10_000), 'before1'), at(iso(-1), 'before2')]);
    const put = await t.http<ModelDetailsView>('PUT', `/v1/admin/models/${modelId}`, {
      body: { prices: { input: '3', output: '3' }, effectiveFrom: change.toISOString() },
    });
    expect(put.status).toBe(201);
    expect(put.body.nextPrice?.perMillionTokens.input).toBe('3');
    await t.observe([
      // Started 1 ms before the change and completed after it: the old price.
      at(iso(-1), 'straddles'),
      at(iso(0), 'exactly'),
      at(iso(-30_000), 'late_arrival'),
      at(iso(1), 'after'),
    ]);
    const expected: Record<string, string> = {
      before1: '1',
      before2: '1',
      straddles: '1',
      exactly: '3',
      late_arrival: '1',
      after: '3',
    };
    const recorded = await (async () => {
      for (let i = 0; i < 300; i++) {
        const events = await recordedInOutbox(t, accountId);
        if (events.length === 6) return events;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error('not all usage was recorded');
    })();
    const costs = Object.fromEntries(
      recorded.map((e) => [e.data.requestId.replace(`_${accountId}`, ''), e.data.cost]),
    );
    expect(costs).toEqual(expected);
    const versions = new Set(recorded.map((e) => e.data.priceVersion));
    expect(versions).toEqual(
      new Set([`${modelId}@2026-01-01T00:00:00.000Z`, `${modelId}@${change.toISOString()}`]),
    );
  }, 30_000);

  it('prices again, before committing, usage that was priced with a catalog changed since', async () => {
    const modelId = newModelId();
    const accountId = testAccount();
    await t.http('PUT', `/v1/admin/models/${modelId}`, {
      body: {
        ...NEW_MODEL,
        prices: { input: '1', output: '1' },
        effectiveFrom: '2026-01-01T00:00:00Z',
        allowRetroactive: true,
      },
    });
    const store = t.app.get(CatalogStore);
    const stale = store.current;
    const observed = usageObserved(accountId, {
      model: modelId,
      inputTokens: 1_000_000,
      outputTokens: 0,
      startedAt: '2026-03-01T00:00:00.000Z',
      completedAt: '2026-03-01T00:00:01.000Z',
    });
    const pricedBefore = priceObservation(stale.catalog, observed);
    if (!pricedBefore.ok) throw new Error(pricedBefore.reason);
    expect(pricedBefore.value.version.versionId).toBe(`${modelId}@2026-01-01T00:00:00.000Z`);
    // Another replica (here: this one) adds a retroactive version in force at the request's start.
    await t.http('PUT', `/v1/admin/models/${modelId}`, {
      body: {
        prices: { input: '2', output: '2' },
        effectiveFrom: '2026-02-01T00:00:00Z',
        allowRetroactive: true,
      },
    });
    const result = await t.app
      .get(CommandBus)
      .execute(new RecordUsageCommand([{ priced: pricedBefore.value, revision: stale.revision }]));
    expect(result).toEqual({
      ok: true,
      results: [
        {
          requestId: observed.data.requestId,
          outcome: 'recorded',
          cost: '2',
          priceVersion: `${modelId}@2026-02-01T00:00:00.000Z`,
        },
      ],
    });
    expect((await recordedInOutbox(t, accountId)).map((e) => e.data.cost)).toEqual(['2']);
  });
});
