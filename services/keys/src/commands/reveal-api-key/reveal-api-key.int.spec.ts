import { createKeysTestApp, testAccount, type KeysTestApp } from '../../testing/keys-test-app.js';
import type { CreatedApiKey } from '../create-api-key/create-api-key.command.js';

// "Click to copy the full key": the key comes back decrypted, and every reveal leaves an audit
// row naming who asked, written in the same transaction that read the key.

let t: KeysTestApp;

beforeAll(async () => {
  t = await createKeysTestApp();
}, 60_000);

afterAll(async () => {
  await t.close();
}, 60_000);

async function reveals(apiKeyId: string): Promise<{ actor: string; account_id: string }[]> {
  const { rows } = await t.db.query<{ actor: string; account_id: string }>(
    `SELECT actor, account_id FROM ${t.schema}.api_key_reveals WHERE api_key_id = $1 ORDER BY id`,
    [apiKeyId],
  );
  return rows;
}

describe('POST /v1/accounts/{accountId}/api-keys/{apiKeyId}/reveal', () => {
  it('answers the key with no-store and records each reveal with its actor', async () => {
    const accountId = testAccount();
    const token = await t.tokenFor(accountId);
    const base = `/v1/accounts/${accountId}/api-keys`;
    const created = await t.http<CreatedApiKey>('POST', base, { token, body: { name: 'copy' } });

    const byOwner = await t.http<{ key: string }>('POST', `${base}/${created.body.id}/reveal`, {
      token,
    });
    const byAdmin = await t.http<{ key: string }>('POST', `${base}/${created.body.id}/reveal`);
    expect(byOwner.status).toBe(200);
    expect(byOwner.body).toEqual({ key: created.body.key });
    expect(byOwner.headers.get('cache-control')).toBe('no-store');
    expect(byAdmin.body).toEqual({ key: created.body.key });
    expect(await reveals(created.body.id)).toEqual([
      { actor: `account:${accountId}`, account_id: accountId },
      { actor: 'admin', account_id: accountId },
    ]);
  });

  it('reveals a disabled key (to copy it before enabling it again)', async () => {
    const accountId = testAccount();
    const base = `/v1/accounts/${accountId}/api-keys`;
    const created = await t.http<CreatedApiKey>('POST', base, { body: { name: 'off' } });
    await t.http('PATCH', `${base}/${created.body.id}`, { body: { status: 'disabled' } });
    const res = await t.http<{ key: string }>('POST', `${base}/${created.body.id}/reveal`);
    expect(res.body).toEqual({ key: created.body.key });
    expect(await reveals(created.body.id)).toHaveLength(1);
  });

  it('answers 404 for a deleted key, records nothing, and keeps no encrypted copy of it', async () => {
    const accountId = testAccount();
    const base = `/v1/accounts/${accountId}/api-keys`;
    const created = await t.http<CreatedApiKey>('POST', base, { body: { name: 'gone' } });
    await t.http('DELETE', `${base}/${created.body.id}`);
    const res = await t.http<{ error: { code: string } }>(
      'POST',
      `${base}/${created.body.id}/reveal`,
    );
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('KEYS.NOT_FOUND');
    expect(await reveals(created.body.id)).toEqual([]);
    const { rows } = await t.db.query<{ encrypted_key: string | null }>(
      `SELECT encrypted_key FROM ${t.schema}.api_keys WHERE id = $1`,
      [created.body.id],
    );
    expect(rows).toEqual([{ encrypted_key: null }]);
  });
});
