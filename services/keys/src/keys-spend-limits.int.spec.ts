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

// Per-key spend limits (issue #17) on the keys routes: real PostgreSQL (the api_keys columns, the
// outbox of keys.v1) and the HTTP routes with their validation. Enforcement is the ledger's; here
// the setting, its event and its place in the views and the gateway's lookup.

let t: KeysTestApp;

beforeAll(async () => {
  t = await createKeysTestApp();
}, 60_000);

afterAll(async () => {
  await t.close();
}, 60_000);

interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}

async function newKey(accountId: string): Promise<CreatedApiKey> {
  const created = await t.http<CreatedApiKey>('POST', `/v1/accounts/${accountId}/api-keys`, {
    token: await t.tokenFor(accountId),
    body: { name: 'limited' },
  });
  expect(created.status).toBe(201);
  return created.body;
}

describe('API key spend limits on the keys routes', () => {
  it('sets, changes and removes the limits with the account token: the answer, list, details, lookup and ApiKeySpendLimitChanged carry them', async () => {
    const accountId = testAccount();
    const token = await t.tokenFor(accountId);
    const created = await newKey(accountId);
    const path = `/v1/accounts/${accountId}/api-keys/${created.id}`;
    const patch = (spendLimits: unknown) =>
      t.http<ApiKeyView>('PATCH', path, { token, body: { spendLimits } });

    const set = await patch({ daily: '0.01', monthly: '2.50' });
    expect(set.status).toBe(200);
    expect(set.body.spendLimits).toEqual({ daily: '0.01', monthly: '2.5' });
    const list = await t.http<{ data: ApiKeyView[] }>('GET', `/v1/accounts/${accountId}/api-keys`);
    expect(list.body.data[0]?.spendLimits).toEqual({ daily: '0.01', monthly: '2.5' });
    const details = await t.http<ApiKeyDetailsView>('GET', path);
    expect(details.body.spendLimits).toEqual({ daily: '0.01', monthly: '2.5' });
    const lookup = await t.http<KeyLookupView>(
      'GET',
      `/v1/internal/api-keys/by-lookup-hash/${lookupHash(created.key, API_KEY_PEPPER)}`,
      { token: GATEWAY_SERVICE_TOKEN },
    );
    expect(lookup.body.spendLimits).toEqual({ daily: '0.01', monthly: '2.5' });

    // Only the monthly limit changes: the daily one stays; null removes one.
    expect((await patch({ monthly: '3' })).body.spendLimits).toEqual({
      daily: '0.01',
      monthly: '3',
    });
    expect((await patch({ daily: null })).body.spendLimits).toEqual({
      daily: null,
      monthly: '3',
    });
    // The same limits again publish nothing.
    expect((await patch({ monthly: '3.000' })).status).toBe(200);

    expect(await t.outboxOf(accountId)).toEqual([
      { type: 'ApiKeyCreated', data: expect.objectContaining({ apiKeyId: created.id }) as unknown },
      {
        type: 'ApiKeySpendLimitChanged',
        data: { apiKeyId: created.id, daily: '0.01', monthly: '2.5' },
      },
      {
        type: 'ApiKeySpendLimitChanged',
        data: { apiKeyId: created.id, daily: '0.01', monthly: '3' },
      },
      { type: 'ApiKeySpendLimitChanged', data: { apiKeyId: created.id, monthly: '3' } },
    ]);
  });

  it.each([
    ['zero', { daily: '0' }, 'spendLimits.daily must be a positive decimal USD string'],
    ['a float', { daily: 0.01 }, 'spendLimits.daily must be a decimal USD string or null'],
    ['ten fraction digits', { monthly: '0.0000000001' }, 'spendLimits.monthly must be'],
    ['a misspelt period', { weekly: '1' }, 'spendLimits takes daily and monthly only, not weekly'],
  ])(
    'refuses %s with 400 KEYS.INVALID_SPEND_LIMIT and changes nothing, the name included',
    async (_what, spendLimits, message) => {
      const accountId = testAccount();
      const created = await newKey(accountId);
      const path = `/v1/accounts/${accountId}/api-keys/${created.id}`;
      const res = await t.http<ErrorBody>('PATCH', path, {
        body: { name: 'renamed', spendLimits },
      });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('KEYS.INVALID_SPEND_LIMIT');
      expect(res.body.error.message).toContain(message);
      const after = await t.http<ApiKeyView>('GET', path);
      expect(after.body).toMatchObject({
        name: 'limited',
        spendLimits: { daily: null, monthly: null },
      });
      expect((await t.outboxOf(accountId)).map((e) => e.type)).toEqual(['ApiKeyCreated']);
    },
  );

  it("answers 404 for another account's key, and 403 for another account's token", async () => {
    const owner = testAccount();
    const created = await newKey(owner);
    const intruder = testAccount();
    const underOwnPath = await t.http<ErrorBody>(
      'PATCH',
      `/v1/accounts/${intruder}/api-keys/${created.id}`,
      { token: await t.tokenFor(intruder), body: { spendLimits: { daily: '1000' } } },
    );
    expect(underOwnPath.status).toBe(404);
    const underOwnerPath = await t.http<ErrorBody>(
      'PATCH',
      `/v1/accounts/${owner}/api-keys/${created.id}`,
      { token: await t.tokenFor(intruder), body: { spendLimits: { daily: '1000' } } },
    );
    expect(underOwnerPath.status).toBe(403);
    expect((await t.outboxOf(owner)).map((e) => e.type)).toEqual(['ApiKeyCreated']);
  });
});
