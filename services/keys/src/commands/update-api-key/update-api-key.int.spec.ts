import type { ApiKeyView } from '../../queries/api-key-view.js';
import { createKeysTestApp, testAccount, type KeysTestApp } from '../../testing/keys-test-app.js';
import type { CreatedApiKey } from '../create-api-key/create-api-key.command.js';

// Rename and enable/disable: each change is one ApiKeyUpdated with only what changed, written to
// the outbox in the same transaction; a PATCH that changes nothing publishes nothing.

let t: KeysTestApp;

beforeAll(async () => {
  t = await createKeysTestApp();
}, 60_000);

afterAll(async () => {
  await t.close();
}, 60_000);

describe('PATCH /v1/accounts/{accountId}/api-keys/{apiKeyId}', () => {
  it('renames and disables in one request, publishing one ApiKeyUpdated with both fields', async () => {
    const accountId = testAccount();
    const base = `/v1/accounts/${accountId}/api-keys`;
    const created = await t.http<CreatedApiKey>('POST', base, { body: { name: 'old' } });
    const res = await t.http<ApiKeyView>('PATCH', `${base}/${created.body.id}`, {
      body: { name: 'new', status: 'disabled' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id: created.body.id,
      name: 'new',
      prefix: created.body.prefix,
      status: 'disabled',
      expiresAt: null,
      spendLimits: { daily: null, monthly: null },
      createdAt: created.body.createdAt,
      lastUsedAt: null,
      used: '0',
    });
    expect((await t.outboxOf(accountId)).slice(1)).toEqual([
      {
        type: 'ApiKeyUpdated',
        data: { apiKeyId: created.body.id, name: 'new', status: 'disabled' },
      },
    ]);
  });

  it('answers 200 and publishes nothing when nothing changes', async () => {
    const accountId = testAccount();
    const base = `/v1/accounts/${accountId}/api-keys`;
    const created = await t.http<CreatedApiKey>('POST', base, { body: { name: 'same' } });
    for (const body of [{}, { name: 'same' }, { name: ' same ', status: 'enabled' }]) {
      const res = await t.http<ApiKeyView>('PATCH', `${base}/${created.body.id}`, { body });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ name: 'same', status: 'enabled' });
    }
    expect((await t.outboxOf(accountId)).map((e) => e.type)).toEqual(['ApiKeyCreated']);
  });

  it('refuses an unknown status, an invalid name and unknown fields with 400', async () => {
    const accountId = testAccount();
    const base = `/v1/accounts/${accountId}/api-keys`;
    const created = await t.http<CreatedApiKey>('POST', base, { body: { name: 'x' } });
    const cases: [unknown, string][] = [
      [{ status: 'deleted' }, 'VALIDATION_FAILED'],
      [{ name: '' }, 'KEYS.INVALID_NAME'],
      [{ plan: 'enterprise' }, 'VALIDATION_FAILED'],
    ];
    for (const [body, code] of cases) {
      const res = await t.http<{ error: { code: string } }>('PATCH', `${base}/${created.body.id}`, {
        body,
      });
      expect([res.status, res.body.error.code]).toEqual([400, code]);
    }
    expect((await t.outboxOf(accountId)).map((e) => e.type)).toEqual(['ApiKeyCreated']);
  });
});
