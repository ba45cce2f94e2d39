import { readTopicUntil } from '@billing/testing';
import { decodeEvent } from '@billing/contracts';
import { createKeysTestApp, testAccount, type KeysTestApp } from '../../testing/keys-test-app.js';
import type { CreatedApiKey } from '../create-api-key/create-api-key.command.js';

// Deleting a key is final, and the gateway learns of it from keys.v1 (it must refuse the key
// within a second): the ApiKeyDeleted is read back here from the real topic.

let t: KeysTestApp;

beforeAll(async () => {
  t = await createKeysTestApp();
}, 60_000);

afterAll(async () => {
  await t.close();
}, 60_000);

describe('DELETE /v1/accounts/{accountId}/api-keys/{apiKeyId}', () => {
  it('answers 204, and ApiKeyDeleted reaches the real keys.v1 keyed by the account', async () => {
    const accountId = testAccount();
    const token = await t.tokenFor(accountId);
    const base = `/v1/accounts/${accountId}/api-keys`;
    const created = await t.http<CreatedApiKey>('POST', base, { token, body: { name: 'bye' } });
    const deletedAt = Date.now();
    const res = await t.http('DELETE', `${base}/${created.body.id}`, { token });
    expect(res.status).toBe(204);
    expect(res.body).toBeUndefined();

    const records = await readTopicUntil(t.kafka, 'keys.v1', (rs) =>
      rs.some((r) => r.key === accountId && r.value?.includes('"ApiKeyDeleted"')),
    );
    const events = records
      .filter((r) => r.key === accountId)
      .map((r) => decodeEvent(r.value ?? '', { topic: 'keys.v1' }))
      .flatMap((d) => (d.ok ? [d.event] : []));
    expect(events.map((e) => e.type)).toEqual(['ApiKeyCreated', 'ApiKeyDeleted']);
    const deleted = events[1];
    expect(deleted).toMatchObject({
      accountId,
      source: 'keys',
      data: { apiKeyId: created.body.id },
    });
    expect(Date.parse(deleted?.occurredAt ?? '')).toBeGreaterThanOrEqual(deletedAt - 1000);
  }, 30_000);

  it('is final: every later route answers 404 and a second delete publishes nothing', async () => {
    const accountId = testAccount();
    const base = `/v1/accounts/${accountId}/api-keys`;
    const created = await t.http<CreatedApiKey>('POST', base, { body: { name: 'final' } });
    await t.http('DELETE', `${base}/${created.body.id}`);
    const after = [
      await t.http('DELETE', `${base}/${created.body.id}`),
      await t.http('GET', `${base}/${created.body.id}`),
      await t.http('PATCH', `${base}/${created.body.id}`, { body: { status: 'enabled' } }),
      await t.http('POST', `${base}/${created.body.id}/reveal`),
    ];
    expect(after.map((r) => r.status)).toEqual([404, 404, 404, 404]);
    const list = await t.http<{ data: unknown[] }>('GET', base);
    expect(list.body.data).toEqual([]);
    const { rows } = await t.db.query<{ value: string }>(
      `SELECT value FROM ${t.schema}.outbox WHERE message_key = $1 ORDER BY id`,
      [accountId],
    );
    expect(rows.map((r) => (JSON.parse(r.value) as { type: string }).type)).toEqual([
      'ApiKeyCreated',
      'ApiKeyDeleted',
    ]);
  });
});
