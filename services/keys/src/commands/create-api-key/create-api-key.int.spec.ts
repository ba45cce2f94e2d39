import { readTopicUntil } from '@billing/testing';
import { decodeEvent } from '@billing/contracts';
import {
  decryptKey,
  hasValidChecksum,
  lookupHash,
  parseEncryptionKey,
} from '../../domain/index.js';
import {
  API_KEY_ENCRYPTION_KEY,
  API_KEY_PEPPER,
  createKeysTestApp,
  testAccount,
  type KeysTestApp,
} from '../../testing/keys-test-app.js';
import type { CreatedApiKey } from './create-api-key.command.js';

// Creating a key over real HTTP against the real PostgreSQL and Kafka: the key is answered once,
// stored only as a peppered HMAC and an encrypted copy, and never appears in an event, a table
// column in clear, or a log line.

let t: KeysTestApp;

beforeAll(async () => {
  t = await createKeysTestApp();
}, 60_000);

afterAll(async () => {
  await t.close();
}, 60_000);

/** The secret part of a key: everything after the shown prefix. */
const secretOf = (key: string): string => key.slice(12);

describe('POST /v1/accounts/{accountId}/api-keys', () => {
  it('answers the full key once, with Cache-Control: no-store, and stores only its HMAC and an encrypted copy', async () => {
    const accountId = testAccount();
    const res = await t.http<CreatedApiKey>('POST', `/v1/accounts/${accountId}/api-keys`, {
      token: await t.tokenFor(accountId),
      body: { name: '  CI  ' },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toMatchObject({ name: 'CI', status: 'enabled' });
    expect(res.body.key).toMatch(/^sk-payg-[0-9A-Za-z]{49}$/);
    expect(hasValidChecksum(res.body.key)).toBe(true);

    const { rows } = await t.db.query<Record<string, unknown>>(
      `SELECT * FROM ${t.schema}.api_keys WHERE id = $1`,
      [res.body.id],
    );
    const row = rows[0] ?? {};
    expect(row.lookup_hash).toBe(lookupHash(res.body.key, API_KEY_PEPPER));
    expect(row.prefix).toBe(res.body.prefix);
    expect(JSON.stringify(row)).not.toContain(secretOf(res.body.key));
    expect(
      decryptKey(
        String(row.encrypted_key),
        parseEncryptionKey(API_KEY_ENCRYPTION_KEY),
        res.body.id,
      ),
    ).toBe(res.body.key);
  });

  it('publishes ApiKeyCreated on the real keys.v1 with the lookup hash and prefix, never the key or its ciphertext', async () => {
    const accountId = testAccount();
    const created = await t.http<CreatedApiKey>('POST', `/v1/accounts/${accountId}/api-keys`, {
      body: { name: 'gateway test' },
    });
    const { rows } = await t.db.query<{ encrypted_key: string }>(
      `SELECT encrypted_key FROM ${t.schema}.api_keys WHERE id = $1`,
      [created.body.id],
    );
    const ciphertext = rows[0]?.encrypted_key ?? '';
    const records = await readTopicUntil(t.kafka, 'keys.v1', (rs) =>
      rs.some((r) => r.key === accountId),
    );
    const mine = records.filter((r) => r.key === accountId);
    expect(mine).toHaveLength(1);
    const raw = mine[0]?.value ?? '';
    // The raw Kafka message, byte for byte: no part of the secret, no part of the blob.
    expect(raw).not.toContain(secretOf(created.body.key));
    expect(raw).not.toContain(created.body.key);
    for (const part of ciphertext.split(':').slice(1)) expect(raw).not.toContain(part);
    const decoded = decodeEvent(raw, { topic: 'keys.v1' });
    expect(decoded.ok && decoded.event).toMatchObject({
      type: 'ApiKeyCreated',
      accountId,
      source: 'keys',
      data: {
        apiKeyId: created.body.id,
        name: 'gateway test',
        plan: 'payg',
        status: 'enabled',
        prefix: created.body.prefix,
        lookupHash: lookupHash(created.body.key, API_KEY_PEPPER),
      },
    });
  }, 30_000);

  it('refuses an invalid name with 400 KEYS.INVALID_NAME and creates nothing', async () => {
    const accountId = testAccount();
    const cases: unknown[] = [
      { name: '   ' },
      { name: 'a'.repeat(101) },
      { name: 'evil\u202Ename' },
    ];
    for (const body of cases) {
      const res = await t.http<{ error: { code: string } }>(
        'POST',
        `/v1/accounts/${accountId}/api-keys`,
        { body },
      );
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('KEYS.INVALID_NAME');
    }
    const missing = await t.http<{ error: { code: string } }>(
      'POST',
      `/v1/accounts/${accountId}/api-keys`,
      { body: { title: 'x' } },
    );
    expect(missing.status).toBe(400);
    expect(missing.body.error.code).toBe('VALIDATION_FAILED');
    const count = await t.db.query(`SELECT 1 FROM ${t.schema}.api_keys WHERE account_id = $1`, [
      accountId,
    ]);
    expect(count.rowCount).toBe(0);
  });

  it('never writes a key to the logs, whatever happened to it', async () => {
    const accountId = testAccount();
    const token = await t.tokenFor(accountId);
    const base = `/v1/accounts/${accountId}/api-keys`;
    const created = await t.http<CreatedApiKey>('POST', base, { token, body: { name: 'logs' } });
    await t.http('POST', `${base}/${created.body.id}/reveal`, { token });
    await t.http('PATCH', `${base}/${created.body.id}`, { token, body: { status: 'disabled' } });
    await t.http('DELETE', `${base}/${created.body.id}`, { token });
    await t.http('POST', `${base}/${created.body.id}/reveal`, { token });
    // A key pasted where it does not belong (an id, a name) is not echoed in errors or logs.
    const echoed = await t.http<{ error: { message: string } }>(
      'GET',
      `${base}/${encodeURIComponent(created.body.key)}`,
      { token },
    );
    expect(echoed.status).toBe(404);
    expect(JSON.stringify(echoed.body)).not.toContain(secretOf(created.body.key));
    expect(t.logs.lines.length).toBeGreaterThan(0);
    expect(t.logs.lines.join('\n')).not.toContain(secretOf(created.body.key));
  });
});
