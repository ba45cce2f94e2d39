import { lookupHash } from '@billing/api-keys';
import type { CreatedApiKey } from './commands/create-api-key/create-api-key.command.js';
import type { KeyLookupView } from './http/internal-keys.controller.js';
import type { ApiKeyView } from './queries/api-key-view.js';
import {
  API_KEY_PEPPER,
  createKeysTestApp,
  GATEWAY_SERVICE_TOKEN,
  testAccount,
  usageRecorded,
  type KeysTestApp,
} from './testing/keys-test-app.js';
import { eventually } from '@billing/testing';

// Real PostgreSQL (api_keys.plan, builder_subscriptions, the outbox of keys.v1), Kafka (the
// UsageRecorded consumer) and the HTTP routes with their validation and guards.

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

const subscribe = (accountId: string, active: boolean, token?: string) =>
  t.http<Record<string, unknown>>('PUT', `/v1/admin/accounts/${accountId}/builder-subscription`, {
    body: { active, reference: `order-${accountId}` },
    ...(token !== undefined && { token }),
  });

describe('Builder plan keys on the keys routes', () => {
  it('given no Builder subscription, when a builder key is asked for, then 403 KEYS.BUILDER_SUBSCRIPTION_REQUIRED and nothing is created or published', async () => {
    const accountId = testAccount();
    const base = `/v1/accounts/${accountId}/api-keys`;
    const refused = await t.http<ErrorBody>('POST', base, {
      token: await t.tokenFor(accountId),
      body: { name: 'hobby', plan: 'builder' },
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('KEYS.BUILDER_SUBSCRIPTION_REQUIRED');
    expect((await t.http<{ data: ApiKeyView[] }>('GET', base)).body.data).toEqual([]);
    expect(await t.outboxOf(accountId)).toEqual([]);

    // A subscription switched off again refuses the same way.
    expect((await subscribe(accountId, true)).status).toBe(200);
    expect((await subscribe(accountId, false)).body).toMatchObject({ accountId, active: false });
    const again = await t.http<ErrorBody>('POST', base, { body: { name: 'x', plan: 'builder' } });
    expect([again.status, again.body.error.code]).toEqual([
      403,
      'KEYS.BUILDER_SUBSCRIPTION_REQUIRED',
    ]);
  });

  it('given a Builder subscription, creates a builder key: the answer, the list, the lookup and ApiKeyCreated carry plan builder; a usage of cost 0 leaves used at 0', async () => {
    const accountId = testAccount();
    const base = `/v1/accounts/${accountId}/api-keys`;
    const set = await subscribe(accountId, true);
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ accountId, active: true, reference: `order-${accountId}` });

    const created = await t.http<CreatedApiKey>('POST', base, {
      token: await t.tokenFor(accountId),
      body: { name: 'hobby', plan: 'builder' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'hobby', plan: 'builder', status: 'enabled' });
    const payg = await t.http<CreatedApiKey>('POST', base, { body: { name: 'prod' } });
    expect(payg.body.plan).toBe('payg');

    const list = await t.http<{ data: ApiKeyView[] }>('GET', base);
    expect(list.body.data.map((k) => [k.name, k.plan]).sort()).toEqual([
      ['hobby', 'builder'],
      ['prod', 'payg'],
    ]);
    const lookup = await t.http<KeyLookupView>(
      'GET',
      `/v1/internal/api-keys/by-lookup-hash/${lookupHash(created.body.key, API_KEY_PEPPER)}`,
      { token: GATEWAY_SERVICE_TOKEN },
    );
    expect(lookup.body).toEqual({
      apiKeyId: created.body.id,
      accountId,
      status: 'enabled',
      expiresAt: null,
      spendLimits: { daily: null, monthly: null },
      plan: 'builder',
      subscriptionActive: true,
      version: 1,
    });
    expect(await t.outboxOf(accountId)).toEqual([
      {
        type: 'ApiKeyCreated',
        data: expect.objectContaining({ apiKeyId: created.body.id, plan: 'builder' }) as unknown,
      },
      {
        type: 'ApiKeyCreated',
        data: expect.objectContaining({ apiKeyId: payg.body.id, plan: 'payg' }) as unknown,
      },
    ]);

    // Metering records a builder request at cost 0: last used moves, used stays 0.
    const completedAt = new Date().toISOString();
    await t.publish(t.topics.usageRecorded, [
      usageRecorded(accountId, { apiKeyId: created.body.id, cost: '0', completedAt }),
    ]);
    const view = await eventually(async () => {
      const v = await t.http<ApiKeyView>('GET', `${base}/${created.body.id}`);
      return v.body.lastUsedAt === null ? undefined : v.body;
    }, 20_000);
    expect(view).toMatchObject({ used: '0', lastUsedAt: completedAt, plan: 'builder' });
  });

  it('given issued builder keys, when the operator ends the subscription, then each builder key (not the pay-as-you-go one, not a deleted one) gets ApiKeySubscriptionChanged counted in its version, and the lookup says so; switching it on again does the same, once', async () => {
    const accountId = testAccount();
    const base = `/v1/accounts/${accountId}/api-keys`;
    expect((await subscribe(accountId, true)).status).toBe(200);
    const builder = await t.http<CreatedApiKey>('POST', base, {
      body: { name: 'hobby', plan: 'builder' },
    });
    const gone = await t.http<CreatedApiKey>('POST', base, {
      body: { name: 'old', plan: 'builder' },
    });
    expect((await t.http('DELETE', `${base}/${gone.body.id}`)).status).toBe(204);
    const payg = await t.http<CreatedApiKey>('POST', base, { body: { name: 'prod' } });
    const lookupOf = async (key: string) =>
      (
        await t.http<KeyLookupView>(
          'GET',
          `/v1/internal/api-keys/by-lookup-hash/${lookupHash(key, API_KEY_PEPPER)}`,
          { token: GATEWAY_SERVICE_TOKEN },
        )
      ).body;

    expect((await subscribe(accountId, false)).status).toBe(200);
    expect((await subscribe(accountId, false)).status).toBe(200); // no change: nothing published
    const changes = async () =>
      (await t.outboxOf(accountId)).filter((e) => e.type === 'ApiKeySubscriptionChanged');
    expect(await changes()).toEqual([
      { type: 'ApiKeySubscriptionChanged', data: { apiKeyId: builder.body.id, active: false } },
    ]);
    expect(await lookupOf(builder.body.key)).toMatchObject({
      subscriptionActive: false,
      version: 2,
    });
    expect(await lookupOf(payg.body.key)).toMatchObject({ subscriptionActive: true, version: 1 });

    expect((await subscribe(accountId, true)).status).toBe(200);
    expect((await changes()).map((e) => e.data)).toEqual([
      { apiKeyId: builder.body.id, active: false },
      { apiKeyId: builder.body.id, active: true },
    ]);
    expect(await lookupOf(builder.body.key)).toMatchObject({
      subscriptionActive: true,
      version: 3,
    });
  });

  it('refuses an unknown plan with 400, and the subscription route to an account token with 403', async () => {
    const accountId = testAccount();
    const bad = await t.http<ErrorBody>('POST', `/v1/accounts/${accountId}/api-keys`, {
      body: { name: 'x', plan: 'monthly' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('plan must be "payg" or "builder"');
    expect((await subscribe(accountId, true, await t.tokenFor(accountId))).status).toBe(403);
  });
});
