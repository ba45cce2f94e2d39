import { lookupHash } from '@billing/api-keys';
import type { CreatedApiKey } from './commands/create-api-key/create-api-key.command.js';
import type { KeyLookupView } from './http/internal-keys.controller.js';
import type { ApiKeyDetailsView, ApiKeyView } from './queries/api-key-view.js';
import {
  API_KEY_PEPPER,
  createKeysTestApp,
  GATEWAY_SERVICE_TOKEN,
  testAccount,
  type KeysTestApp,
} from './testing/keys-test-app.js';

// Real PostgreSQL (the api_keys table with its expires_at column, the outbox of keys.v1) and the
// HTTP routes with their validation. The keys service's clock is pinned, so "in the past" is exact.

const NOW = Math.floor(Date.now() / 1000) * 1000;
const HOUR = 3_600_000;
const iso = (ms: number): string => new Date(ms).toISOString();
let t: KeysTestApp;

beforeAll(async () => {
  t = await createKeysTestApp({ nowMs: () => NOW });
}, 60_000);

afterAll(async () => {
  await t.close();
}, 60_000);

interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}

describe('API key expiry on the keys routes', () => {
  it('creates a key with an expiry: the answer, the list, the details, the lookup and ApiKeyCreated carry it', async () => {
    const accountId = testAccount();
    const base = `/v1/accounts/${accountId}/api-keys`;
    const expiresAt = iso(NOW + 24 * HOUR);
    const created = await t.http<CreatedApiKey>('POST', base, {
      token: await t.tokenFor(accountId),
      body: { name: 'ci', expiresAt: expiresAt.replace('.000Z', 'Z') },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'ci', status: 'enabled', expiresAt });

    const list = await t.http<{ data: ApiKeyView[] }>('GET', base);
    expect(list.body.data).toEqual([expect.objectContaining({ id: created.body.id, expiresAt })]);
    const details = await t.http<ApiKeyDetailsView>('GET', `${base}/${created.body.id}`);
    expect(details.body).toMatchObject({ id: created.body.id, expiresAt });
    const lookup = await t.http<KeyLookupView>(
      'GET',
      `/v1/internal/api-keys/by-lookup-hash/${lookupHash(created.body.key, API_KEY_PEPPER)}`,
      { token: GATEWAY_SERVICE_TOKEN },
    );
    expect(lookup.body).toEqual({
      apiKeyId: created.body.id,
      accountId,
      status: 'enabled',
      expiresAt,
      spendLimits: { daily: null, monthly: null },
      plan: 'payg',
      subscriptionActive: true,
      version: 1,
    });
    expect(await t.outboxOf(accountId)).toEqual([
      {
        type: 'ApiKeyCreated',
        data: expect.objectContaining({ apiKeyId: created.body.id, expiresAt }) as unknown,
      },
    ]);
  });

  it('answers expiresAt null for a key created without one, and publishes no expiresAt', async () => {
    const accountId = testAccount();
    const base = `/v1/accounts/${accountId}/api-keys`;
    for (const body of [{ name: 'forever' }, { name: 'forever-too', expiresAt: null }]) {
      const created = await t.http<CreatedApiKey>('POST', base, { body });
      expect(created).toMatchObject({ status: 201, body: { expiresAt: null } });
    }
    const list = await t.http<{ data: ApiKeyView[] }>('GET', base);
    expect(list.body.data.map((k) => k.expiresAt)).toEqual([null, null]);
    for (const event of await t.outboxOf(accountId))
      expect(event.data).not.toHaveProperty('expiresAt');
  });

  it('refuses an expiry in the past, at the current instant, or malformed with 400 KEYS.INVALID_EXPIRY (a wrong type with 400 VALIDATION_FAILED), creating nothing', async () => {
    const accountId = testAccount();
    const base = `/v1/accounts/${accountId}/api-keys`;
    const cases: [unknown, string][] = [
      [iso(NOW - 1_000), 'KEYS.INVALID_EXPIRY'],
      [iso(NOW), 'KEYS.INVALID_EXPIRY'],
      ['2030-01-01', 'KEYS.INVALID_EXPIRY'],
      ['2030-01-01T00:00:00+02:00', 'KEYS.INVALID_EXPIRY'],
      ['tomorrow', 'KEYS.INVALID_EXPIRY'],
      ['', 'KEYS.INVALID_EXPIRY'],
      [NOW + HOUR, 'VALIDATION_FAILED'],
      [{ at: 'later' }, 'VALIDATION_FAILED'],
    ];
    for (const [expiresAt, code] of cases) {
      const res = await t.http<ErrorBody>('POST', base, { body: { name: 'x', expiresAt } });
      expect([res.status, res.body.error.code]).toEqual([400, code]);
      expect(typeof res.body.error.message).toBe('string');
    }
    expect((await t.http<{ data: unknown[] }>('GET', base)).body.data).toEqual([]);
    expect(await t.outboxOf(accountId)).toEqual([]);
  });

  it('sets, moves and removes an expiry with PATCH, one ApiKeyExpiryChanged each; the same expiry again publishes nothing', async () => {
    const accountId = testAccount();
    const base = `/v1/accounts/${accountId}/api-keys`;
    const created = await t.http<CreatedApiKey>('POST', base, { body: { name: 'k' } });
    const path = `${base}/${created.body.id}`;
    const first = iso(NOW + HOUR);
    const second = iso(NOW + 48 * HOUR);

    const set = await t.http<ApiKeyView>('PATCH', path, { body: { expiresAt: first } });
    expect(set).toMatchObject({ status: 200, body: { expiresAt: first, status: 'enabled' } });
    const again = await t.http<ApiKeyView>('PATCH', path, { body: { expiresAt: first } });
    expect(again.body.expiresAt).toBe(first);
    const moved = await t.http<ApiKeyView>('PATCH', path, {
      body: { name: 'k2', expiresAt: second },
    });
    expect(moved.body).toMatchObject({ name: 'k2', expiresAt: second });
    // Absent: unchanged.
    const renamed = await t.http<ApiKeyView>('PATCH', path, { body: { name: 'k3' } });
    expect(renamed.body.expiresAt).toBe(second);
    const removed = await t.http<ApiKeyView>('PATCH', path, { body: { expiresAt: null } });
    expect(removed.body.expiresAt).toBeNull();
    expect((await t.http<ApiKeyDetailsView>('GET', path)).body.expiresAt).toBeNull();

    expect((await t.outboxOf(accountId)).slice(1)).toEqual([
      { type: 'ApiKeyExpiryChanged', data: { apiKeyId: created.body.id, expiresAt: first } },
      { type: 'ApiKeyUpdated', data: { apiKeyId: created.body.id, name: 'k2' } },
      { type: 'ApiKeyExpiryChanged', data: { apiKeyId: created.body.id, expiresAt: second } },
      { type: 'ApiKeyUpdated', data: { apiKeyId: created.body.id, name: 'k3' } },
      { type: 'ApiKeyExpiryChanged', data: { apiKeyId: created.body.id } },
    ]);
  });

  it("refuses a past expiry by PATCH with 400, and another account's key with 404 whatever the body", async () => {
    const accountId = testAccount();
    const base = `/v1/accounts/${accountId}/api-keys`;
    const created = await t.http<CreatedApiKey>('POST', base, { body: { name: 'k' } });
    const past = await t.http<ErrorBody>('PATCH', `${base}/${created.body.id}`, {
      body: { name: 'renamed', expiresAt: iso(NOW - HOUR) },
    });
    expect([past.status, past.body.error.code]).toEqual([400, 'KEYS.INVALID_EXPIRY']);
    expect((await t.http<ApiKeyView>('GET', `${base}/${created.body.id}`)).body.name).toBe('k');

    const other = testAccount();
    const foreign = await t.http<ErrorBody>(
      'PATCH',
      `/v1/accounts/${other}/api-keys/${created.body.id}`,
      { token: await t.tokenFor(other), body: { expiresAt: iso(NOW + HOUR) } },
    );
    expect([foreign.status, foreign.body.error.code]).toEqual([404, 'KEYS.NOT_FOUND']);
    expect((await t.outboxOf(accountId)).map((e) => e.type)).toEqual(['ApiKeyCreated']);
  });
});
