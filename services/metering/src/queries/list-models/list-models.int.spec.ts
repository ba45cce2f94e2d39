import { DEFAULT_MODELS } from '../../domain/index.js';
import { createMeteringTestApp, type MeteringTestApp } from '../../testing/metering-test-app.js';
import type { ModelList } from './list-models.query.js';

// The catalog as `GET /v1/models` shows it: seeded from the shipped default catalog at the first
// start, public, prices per million tokens as decimal strings with the version that applies.

let t: MeteringTestApp;

beforeAll(async () => {
  t = await createMeteringTestApp();
}, 60_000);

afterAll(async () => {
  await t.close();
}, 60_000);

describe('GET /v1/models', () => {
  it('lists the seeded default catalog without credentials, prices as decimal strings', async () => {
    const res = await fetch(`${t.baseUrl}/v1/models`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as ModelList;
    expect(body.data.map((m) => m.id).sort()).toEqual(DEFAULT_MODELS.map((m) => m.modelId).sort());
    const sonnet = body.data.find((m) => m.id === 'anthropic/claude-sonnet-4.5');
    expect(sonnet).toEqual({
      id: 'anthropic/claude-sonnet-4.5',
      displayName: 'Claude Sonnet 4.5',
      provider: 'anthropic',
      contextWindow: 200_000,
      maxOutputTokens: 64_000,
      price: {
        version: 'anthropic/claude-sonnet-4.5@2025-01-01T00:00:00.000Z',
        effectiveFrom: '2025-01-01T00:00:00.000Z',
        perMillionTokens: { input: '3', output: '15', cachedInput: '0.3', cacheWrite: '3.75' },
      },
      nextPrice: null,
    });
    for (const model of DEFAULT_MODELS) {
      const shown = body.data.find((m) => m.id === model.modelId)?.price?.perMillionTokens;
      expect(shown?.input).toBe(model.usdPerMillionTokens.input);
      expect(shown?.output).toBe(model.usdPerMillionTokens.output);
    }
  });

  it('shows the prices at another instant with ?at=, none before the first version', async () => {
    const early = await fetch(`${t.baseUrl}/v1/models?at=2024-12-31T23:59:59.999Z`);
    const body = (await early.json()) as ModelList;
    expect(body.at).toBe('2024-12-31T23:59:59.999Z');
    expect(body.data.every((m) => m.price === null)).toBe(true);
    expect(body.data[0]?.nextPrice?.effectiveFrom).toBe('2025-01-01T00:00:00.000Z');
    const bad = await fetch(`${t.baseUrl}/v1/models?at=yesterday`);
    expect(bad.status).toBe(400);
  });

  it('seeds the catalog once: a restart over the same schema keeps what operators changed', async () => {
    const { rows } = await t.db.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${t.schema}.price_versions`,
    );
    expect(Number(rows[0]?.n)).toBe(DEFAULT_MODELS.length);
    const migrations = await t.db.query<{ id: string }>(
      `SELECT id FROM ${t.schema}.schema_migrations WHERE id LIKE 'metering_%' ORDER BY id`,
    );
    expect(migrations.rows.map((r) => r.id)).toEqual([
      'metering_001_catalog',
      'metering_002_default_catalog',
      'metering_003_request_log',
      'metering_004_insurance',
    ]);
    await expect(
      t.db.query(`UPDATE ${t.schema}.price_versions SET input_nano_usd = 0`),
    ).rejects.toThrow(/immutable/);
  });
});
