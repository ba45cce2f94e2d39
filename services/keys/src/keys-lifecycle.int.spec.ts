import { decodeEvent, type KeysEvent } from '@billing/contracts';
import { eventually, readTopicUntil, topicEnd } from '@billing/testing';
import type { CreatedApiKey } from './commands/create-api-key/create-api-key.command.js';
import { hasValidChecksum } from './domain/index.js';
import type { ApiKeyDetailsView, ApiKeyView } from './queries/api-key-view.js';
import {
  createKeysTestApp,
  testAccount,
  usageRecorded,
  type KeysTestApp,
} from './testing/keys-test-app.js';

// A key's whole life over real HTTP, with the account's console token, against the real
// PostgreSQL and Kafka: what the console does, and what the gateway sees on keys.v1.

let t: KeysTestApp;

beforeAll(async () => {
  t = await createKeysTestApp();
}, 60_000);

afterAll(async () => {
  await t.close();
}, 60_000);

function keysEventsOf(
  records: readonly { value: string | null }[],
  accountId: string,
): KeysEvent[] {
  return records.flatMap((r) => {
    const decoded = decodeEvent(r.value ?? '', { topic: 'keys.v1' });
    return decoded.ok && decoded.event.accountId === accountId ? [decoded.event] : [];
  });
}

describe('an API key, from creation to deletion', () => {
  it('is created, listed, revealed, renamed, disabled, enabled, used and deleted, each change published on keys.v1', async () => {
    const accountId = testAccount();
    const token = await t.tokenFor(accountId);
    const base = `/v1/accounts/${accountId}/api-keys`;
    const from = await topicEnd(t.kafka, t.topics.keys);

    const created = await t.http<CreatedApiKey>('POST', base, { token, body: { name: 'prod' } });
    expect(created.status).toBe(201);
    const key = created.body;
    expect(Object.keys(key).sort()).toEqual([
      'createdAt',
      'expiresAt',
      'id',
      'key',
      'name',
      'prefix',
      'status',
    ]);
    expect(key).toMatchObject({ name: 'prod', status: 'enabled', prefix: key.key.slice(0, 12) });
    expect(hasValidChecksum(key.key)).toBe(true);

    const listed = await t.http<{ data: ApiKeyView[] }>('GET', base, { token });
    expect(listed.body).toEqual({
      data: [
        {
          id: key.id,
          name: 'prod',
          prefix: key.prefix,
          status: 'enabled',
          expiresAt: null,
          spendLimits: { daily: null, monthly: null },
          createdAt: key.createdAt,
          lastUsedAt: null,
          used: '0',
        },
      ],
    });
    expect(JSON.stringify(listed.body)).not.toContain(key.key);

    const revealed = await t.http<{ key: string }>('POST', `${base}/${key.id}/reveal`, { token });
    expect(revealed).toMatchObject({ status: 200, body: { key: key.key } });

    const renamed = await t.http<ApiKeyView>('PATCH', `${base}/${key.id}`, {
      token,
      body: { name: 'production' },
    });
    expect(renamed).toMatchObject({ status: 200, body: { name: 'production', status: 'enabled' } });
    const disabled = await t.http<ApiKeyView>('PATCH', `${base}/${key.id}`, {
      token,
      body: { status: 'disabled' },
    });
    expect(disabled.body.status).toBe('disabled');
    const enabled = await t.http<ApiKeyView>('PATCH', `${base}/${key.id}`, {
      token,
      body: { status: 'enabled' },
    });
    expect(enabled.body.status).toBe('enabled');

    await t.publish(t.topics.usageRecorded, [
      usageRecorded(accountId, {
        apiKeyId: key.id,
        cost: '0.0123',
        requestId: 'req_a',
        completedAt: '2026-03-01T10:00:00.000Z',
      }),
      usageRecorded(accountId, {
        apiKeyId: key.id,
        cost: '0.000000001',
        requestId: 'req_b',
        completedAt: '2026-03-01T10:05:00.000Z',
      }),
    ]);
    const details = await eventually(async () => {
      const res = await t.http<ApiKeyDetailsView>('GET', `${base}/${key.id}`, { token });
      return res.body.recentUsage.length === 2 ? res.body : undefined;
    });
    expect(details).toMatchObject({
      id: key.id,
      name: 'production',
      used: '0.012300001',
      lastUsedAt: '2026-03-01T10:05:00.000Z',
    });
    expect(details.recentUsage.map((u) => [u.requestId, u.cost])).toEqual([
      ['req_b', '0.000000001'],
      ['req_a', '0.0123'],
    ]);

    const deleted = await t.http('DELETE', `${base}/${key.id}`, { token });
    expect(deleted.status).toBe(204);
    expect((await t.http<{ data: unknown[] }>('GET', base, { token })).body.data).toEqual([]);
    expect((await t.http('GET', `${base}/${key.id}`, { token })).status).toBe(404);

    const records = await readTopicUntil(
      t.kafka,
      t.topics.keys,
      (rs) => keysEventsOf(rs, accountId).some((e) => e.type === 'ApiKeyDeleted'),
      { from },
    );
    const events = keysEventsOf(records, accountId);
    expect(events.map((e) => [e.type, e.data])).toEqual([
      [
        'ApiKeyCreated',
        {
          apiKeyId: key.id,
          name: 'prod',
          plan: 'payg',
          status: 'enabled',
          lookupHash: expect.stringMatching(/^[0-9a-f]{64}$/) as string,
          prefix: key.prefix,
        },
      ],
      ['ApiKeyUpdated', { apiKeyId: key.id, name: 'production' }],
      ['ApiKeyUpdated', { apiKeyId: key.id, status: 'disabled' }],
      ['ApiKeyUpdated', { apiKeyId: key.id, status: 'enabled' }],
      ['ApiKeyDeleted', { apiKeyId: key.id }],
    ]);
    // One account's events share the message key, so they arrive in the order they happened.
    expect(records.filter((r) => r.key === accountId)).toHaveLength(5);
  }, 60_000);
});
