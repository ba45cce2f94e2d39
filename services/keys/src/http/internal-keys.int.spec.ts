import { generateApiKey, lookupHash } from '@billing/api-keys';
import type { CreatedApiKey } from '../commands/create-api-key/create-api-key.command.js';
import {
  ADMIN_TOKEN,
  API_KEY_PEPPER,
  createKeysTestApp,
  GATEWAY_SERVICE_TOKEN,
  testAccount,
  type KeysTestApp,
} from '../testing/keys-test-app.js';

// `GET /v1/internal/api-keys/by-lookup-hash/{hash}`: the gateway's authoritative lookup of a key
// its cache does not know yet (issue #10, item 7). It answers the gateway's service credential
// only: an account token (even the key's own account's) and the operators' token get 403, so no
// customer can probe lookup hashes and no operator token doubles as the gateway's.

let t: KeysTestApp;
let accountId: string;
let created: CreatedApiKey;
let hash: string;
const path = (h: string): string => `/v1/internal/api-keys/by-lookup-hash/${h}`;

beforeAll(async () => {
  t = await createKeysTestApp();
  accountId = testAccount();
  const answer = await t.http<CreatedApiKey>('POST', `/v1/accounts/${accountId}/api-keys`, {
    token: await t.tokenFor(accountId),
    body: { name: 'first call key' },
  });
  created = answer.body;
  hash = lookupHash(created.key, API_KEY_PEPPER);
}, 60_000);

afterAll(async () => {
  await t.close();
}, 60_000);

describe('the key lookup by lookup hash', () => {
  it('answers the gateway a key the moment its creation has been answered', async () => {
    const res = await t.http('GET', path(hash), { token: GATEWAY_SERVICE_TOKEN });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      apiKeyId: created.id,
      accountId,
      status: 'enabled',
      expiresAt: null,
      spendLimits: { daily: null, monthly: null },
      plan: 'payg',
      subscriptionActive: true,
      version: 1,
    });
  });

  it('answers as version the number of keys.v1 events published for the key, one a change', async () => {
    const key = await t.http<CreatedApiKey>('POST', `/v1/accounts/${accountId}/api-keys`, {
      token: ADMIN_TOKEN,
      body: { name: 'versioned' },
    });
    const keyHash = lookupHash(key.body.key, API_KEY_PEPPER);
    const patch = (body: Record<string, unknown>) =>
      t.http('PATCH', `/v1/accounts/${accountId}/api-keys/${key.body.id}`, {
        token: ADMIN_TOKEN,
        body,
      });
    expect((await patch({ name: 'renamed', spendLimits: { daily: '0.01' } })).status).toBe(200);
    // A reveal is audited, not published: it does not count.
    const reveal = `/v1/accounts/${accountId}/api-keys/${key.body.id}/reveal`;
    expect((await t.http('POST', reveal, { token: ADMIN_TOKEN })).status).toBe(200);
    expect((await patch({ status: 'disabled' })).status).toBe(200);
    const published = (await t.outboxOf(accountId)).filter(
      (e) => (e.data as { apiKeyId?: string }).apiKeyId === key.body.id,
    );
    expect(published.map((e) => e.type)).toEqual([
      'ApiKeyCreated',
      'ApiKeyUpdated',
      'ApiKeySpendLimitChanged',
      'ApiKeyUpdated',
    ]);
    const res = await t.http<{ version: number; status: string }>('GET', path(keyHash), {
      token: GATEWAY_SERVICE_TOKEN,
    });
    expect(res.body).toMatchObject({ status: 'disabled', version: published.length });
  });

  it('follows a disable and a delete: disabled, then 404', async () => {
    const other = await t.http<CreatedApiKey>('POST', `/v1/accounts/${accountId}/api-keys`, {
      token: ADMIN_TOKEN,
      body: { name: 'to disable' },
    });
    const otherHash = lookupHash(other.body.key, API_KEY_PEPPER);
    await t.http('PATCH', `/v1/accounts/${accountId}/api-keys/${other.body.id}`, {
      token: ADMIN_TOKEN,
      body: { status: 'disabled' },
    });
    const disabled = await t.http('GET', path(otherHash), { token: GATEWAY_SERVICE_TOKEN });
    expect(disabled.body).toMatchObject({ status: 'disabled' });
    await t.http('DELETE', `/v1/accounts/${accountId}/api-keys/${other.body.id}`, {
      token: ADMIN_TOKEN,
    });
    const deleted = await t.http('GET', path(otherHash), { token: GATEWAY_SERVICE_TOKEN });
    expect(deleted.status).toBe(404);
  });

  it('answers 404 for a hash no key has, and for anything that is not a hash', async () => {
    const unknown = lookupHash(generateApiKey().key, API_KEY_PEPPER);
    expect((await t.http('GET', path(unknown), { token: GATEWAY_SERVICE_TOKEN })).status).toBe(404);
    expect((await t.http('GET', path('not-a-hash'), { token: GATEWAY_SERVICE_TOKEN })).status).toBe(
      404,
    );
  });

  it('refuses an account token (even the key owner’s) probing lookup hashes, with 403', async () => {
    const res = await t.http('GET', path(hash), { token: await t.tokenFor(accountId) });
    expect(res.status).toBe(403);
    expect(JSON.stringify(res.body)).not.toContain(created.id);
  });

  it('refuses the operators’ admin token, with 403: it is not the gateway’s credential', async () => {
    const res = await t.http('GET', path(hash), { token: ADMIN_TOKEN });
    expect(res.status).toBe(403);
  });

  it('refuses no credential and a made-up one', async () => {
    const none = await t.http('GET', path(hash));
    const wrong = await t.http('GET', path(hash), {
      token: 'not-the-gateway-token-0123456789abcdef',
    });
    for (const res of [none, wrong]) {
      expect([401, 403]).toContain(res.status);
      expect(JSON.stringify(res.body)).not.toContain(created.id);
    }
  });
});
