import { describe, expect, it } from '@jest/globals';
import { generateApiKey, lookupHash } from '@billing/api-keys';
import { createEvent, type KeysEvent } from '@billing/contracts';
import { authenticateKey, bearerToken, evolveKey, KeyIndex, type KeyRow } from './key-cache.js';
import { keySpendLimitReached, NO_SPEND_LIMITS, spendLimitsOfLookup } from './key-spend-limits.js';

let n = 0;
function event(type: KeysEvent['type'], data: Record<string, unknown>): KeysEvent {
  return createEvent({
    type,
    id: `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
    accountId: 'acct_1',
    source: 'keys',
    occurredAt: '2026-01-01T00:00:00.000Z',
    data,
  } as unknown as Parameters<typeof createEvent>[0]) as KeysEvent;
}

const created = (status: 'enabled' | 'disabled' = 'enabled'): KeysEvent =>
  event('ApiKeyCreated', {
    apiKeyId: 'key_1',
    name: 'prod',
    plan: 'payg',
    status,
    lookupHash: 'h1',
    prefix: 'sk-payg-abcd',
  });
const row: KeyRow = {
  apiKeyId: 'key_1',
  accountId: 'acct_1',
  lookupHash: 'h1',
  status: 'enabled',
  expiresAtMs: null,
  spendLimits: { dailyNanos: null, monthlyNanos: null },
  plan: 'payg',
  subscriptionActive: true,
  version: 1,
};
const NOW = Date.parse('2026-01-01T00:00:00.000Z');

describe('evolveKey', () => {
  it('given no row, when the key is created, then it is cached with its account and hash', () => {
    expect(evolveKey(undefined, created())).toEqual(row);
  });

  it('given a disabled key, when its creation is replayed, then nothing changes', () => {
    expect(evolveKey({ ...row, status: 'disabled' }, created())).toBeUndefined();
  });

  it('given a key, when it is disabled, enabled, renamed, then each event counts in its version', () => {
    const disabled = evolveKey(
      row,
      event('ApiKeyUpdated', { apiKeyId: 'key_1', status: 'disabled' }),
    );
    expect(disabled).toEqual({ ...row, status: 'disabled', version: 2 });
    expect(
      evolveKey(disabled, event('ApiKeyUpdated', { apiKeyId: 'key_1', status: 'enabled' })),
    ).toEqual({ ...row, status: 'enabled', version: 3 });
    // A rename changes nothing the gateway keeps, but the keys service counted its event.
    expect(evolveKey(row, event('ApiKeyUpdated', { apiKeyId: 'key_1', name: 'renamed' }))).toEqual({
      ...row,
      version: 2,
    });
  });

  it('given a deleted key, then no update and no replayed creation brings it back', () => {
    const deleted = evolveKey(row, event('ApiKeyDeleted', { apiKeyId: 'key_1' }));
    expect(deleted).toEqual({ ...row, status: 'deleted', version: 2 });
    expect(
      evolveKey(deleted, event('ApiKeyUpdated', { apiKeyId: 'key_1', status: 'enabled' })),
    ).toEqual({ ...row, status: 'deleted', version: 3 });
    expect(evolveKey(deleted, created())).toBeUndefined();
  });

  it('given a key created with an expiry, then the row carries it; a key created before expiries has none', () => {
    const withExpiry = event('ApiKeyCreated', {
      ...created().data,
      expiresAt: '2026-03-01T12:00:00Z',
    });
    expect(evolveKey(undefined, withExpiry)?.expiresAtMs).toBe(
      Date.parse('2026-03-01T12:00:00.000Z'),
    );
    expect(evolveKey(undefined, created())?.expiresAtMs).toBeNull();
  });

  it('given a key, when its expiry is set, moved and removed, then the row follows; the same expiry again changes nothing', () => {
    const set = evolveKey(
      row,
      event('ApiKeyExpiryChanged', { apiKeyId: 'key_1', expiresAt: '2026-03-01T12:00:00Z' }),
    );
    expect(set).toEqual({ ...row, expiresAtMs: Date.parse('2026-03-01T12:00:00Z'), version: 2 });
    expect(
      evolveKey(
        set,
        event('ApiKeyExpiryChanged', { apiKeyId: 'key_1', expiresAt: '2026-03-01T12:00:00.000Z' }),
      ),
    ).toEqual({ ...set, version: 3 });
    const moved = evolveKey(
      set,
      event('ApiKeyExpiryChanged', { apiKeyId: 'key_1', expiresAt: '2026-04-01T00:00:00Z' }),
    );
    expect(moved?.expiresAtMs).toBe(Date.parse('2026-04-01T00:00:00Z'));
    expect(
      evolveKey(moved, event('ApiKeyExpiryChanged', { apiKeyId: 'key_1' }))?.expiresAtMs,
    ).toBeNull();
  });

  it('given a deleted or unknown key, then an expiry change brings nothing back', () => {
    const deleted = { ...row, status: 'deleted' as const, expiresAtMs: 1 };
    const change = event('ApiKeyExpiryChanged', { apiKeyId: 'key_1' });
    expect(evolveKey(deleted, change)).toEqual({ ...deleted, version: 2 });
    expect(evolveKey(undefined, change)).toBeUndefined();
  });

  it('given no row, then updates and deletions of an unknown key change nothing', () => {
    expect(
      evolveKey(undefined, event('ApiKeyUpdated', { apiKeyId: 'key_1', status: 'disabled' })),
    ).toBeUndefined();
    expect(evolveKey(undefined, event('ApiKeyDeleted', { apiKeyId: 'key_1' }))).toBeUndefined();
  });
});

describe('the plan of a key', () => {
  it('is taken from ApiKeyCreated and reaches the caller: a builder key is admitted as builder', () => {
    const builder = evolveKey(undefined, {
      ...created(),
      data: { ...created().data, plan: 'builder' },
    } as KeysEvent);
    expect(builder).toEqual({ ...row, plan: 'builder' });
    const index = new KeyIndex();
    const pepper = 'a-pepper-of-at-least-32-characters!!';
    const { key } = generateApiKey();
    index.apply({ ...(builder as KeyRow), lookupHash: lookupHash(key, pepper) });
    expect(authenticateKey(key, pepper, index, NOW)).toEqual({
      ok: true,
      value: {
        apiKeyId: 'key_1',
        accountId: 'acct_1',
        spendLimits: NO_SPEND_LIMITS,
        plan: 'builder',
      },
    });
  });
});

describe("a builder key's subscription (ApiKeySubscriptionChanged)", () => {
  const pepper = 'a-pepper-of-at-least-32-characters!!';
  const builder: KeyRow = { ...row, plan: 'builder' };
  const subscription = (active: boolean): KeysEvent =>
    event('ApiKeySubscriptionChanged', { apiKeyId: 'key_1', active });
  const callerWith = (r: KeyRow) => {
    const { key } = generateApiKey();
    const index = new KeyIndex();
    index.apply({ ...r, lookupHash: lookupHash(key, pepper) });
    return { key, result: authenticateKey(key, pepper, index, NOW) };
  };

  it('given an admitted builder key, when its subscription ends, then it is refused with 403 builder_subscription_inactive in the OpenAI shape, never echoing the key', () => {
    const ended = evolveKey(builder, subscription(false));
    expect(ended).toEqual({ ...builder, subscriptionActive: false, version: 2 });
    const { key, result } = callerWith(ended as KeyRow);
    expect(result.ok ? undefined : result.failure).toEqual({
      status: 403,
      type: 'invalid_request_error',
      code: 'builder_subscription_inactive',
      param: null,
      message:
        "This Builder plan API key's subscription is not active: renew the account's Builder subscription, or use a pay-as-you-go key.",
    });
    expect(JSON.stringify(result)).not.toContain(key);
  });

  it('given an ended subscription, when it is active again, then the key is admitted again', () => {
    const ended = evolveKey(builder, subscription(false)) as KeyRow;
    const renewed = evolveKey(ended, subscription(true));
    expect(renewed).toEqual({ ...builder, version: 3 });
    expect(callerWith(renewed as KeyRow).result.ok).toBe(true);
  });

  it('given a pay-as-you-go key, a replay, or a deleted key, then nothing changes but the version', () => {
    expect(evolveKey(row, subscription(false))).toEqual({ ...row, version: 2 });
    expect(evolveKey(builder, subscription(true))).toEqual({ ...builder, version: 2 });
    const deleted = { ...builder, status: 'deleted' as const };
    expect(evolveKey(deleted, subscription(false))).toEqual({ ...deleted, version: 2 });
    expect(evolveKey(undefined, subscription(false))).toBeUndefined();
    // A pay-as-you-go key never depends on a subscription, even if a copy says otherwise.
    expect(callerWith({ ...row, subscriptionActive: false }).result.ok).toBe(true);
  });
});

describe('KeyIndex', () => {
  it('follows a key through its states and forgets it when deleted', () => {
    const index = new KeyIndex();
    index.apply(row);
    expect(index.lookup('h1')).toEqual({
      apiKeyId: 'key_1',
      accountId: 'acct_1',
      status: 'enabled',
      expiresAtMs: null,
      spendLimits: { dailyNanos: null, monthlyNanos: null },
      plan: 'payg',
      subscriptionActive: true,
      version: 1,
    });
    index.apply({ ...row, status: 'disabled', version: 2 });
    expect(index.lookup('h1')?.version).toBe(2);
    expect(index.lookup('h1')?.status).toBe('disabled');
    index.apply({ ...row, status: 'deleted' });
    expect(index.lookup('h1')).toBeUndefined();
    expect(index.size).toBe(0);
  });
});

describe('authenticateKey', () => {
  const pepper = 'a-pepper-of-at-least-32-characters!!';
  const { key } = generateApiKey();
  const index = new KeyIndex();
  index.apply({ ...row, lookupHash: lookupHash(key, pepper) });

  it('admits an enabled key and names its account and key id', () => {
    expect(authenticateKey(key, pepper, index, NOW)).toEqual({
      ok: true,
      value: {
        apiKeyId: 'key_1',
        accountId: 'acct_1',
        spendLimits: row.spendLimits,
        plan: 'payg',
      },
    });
  });

  it('refuses a bad checksum without looking anything up', () => {
    const lookups: string[] = [];
    const spy = { lookup: (h: string) => (lookups.push(h), undefined) };
    const mistyped = key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A');
    const result = authenticateKey(mistyped, pepper, spy, NOW);
    expect(result.ok || result.failure.code).toBe('invalid_api_key');
    expect(lookups).toEqual([]);
  });

  it('refuses a missing, unknown or disabled key with 401, never echoing the key', () => {
    const unknown = generateApiKey().key;
    for (const candidate of [undefined, unknown]) {
      const result = authenticateKey(candidate, pepper, index, NOW);
      const failure = result.ok ? undefined : result.failure;
      expect(failure?.status).toBe(401);
      expect(failure?.message).not.toContain(unknown);
    }
    const disabled = new KeyIndex();
    disabled.apply({ ...row, lookupHash: lookupHash(key, pepper), status: 'disabled' });
    const result = authenticateKey(key, pepper, disabled, NOW);
    expect(!result.ok && result.failure.message).toBe('This API key is disabled.');
  });

  describe('a key with an expiry', () => {
    const EXPIRES_AT = Date.parse('2026-03-01T12:00:00.000Z');
    const expiring = new KeyIndex();
    expiring.apply({ ...row, lookupHash: lookupHash(key, pepper), expiresAtMs: EXPIRES_AT });

    it('is admitted one second, and one millisecond, before its expiry', () => {
      for (const at of [EXPIRES_AT - 1_000, EXPIRES_AT - 1]) {
        expect(authenticateKey(key, pepper, expiring, at)).toEqual({
          ok: true,
          value: {
            apiKeyId: 'key_1',
            accountId: 'acct_1',
            spendLimits: row.spendLimits,
            plan: 'payg',
          },
        });
      }
    });

    it('is refused from its expiry instant on with 401 key_expired in the OpenAI shape, never echoing the key', () => {
      for (const at of [EXPIRES_AT, EXPIRES_AT + 1_000, EXPIRES_AT + 86_400_000]) {
        const result = authenticateKey(key, pepper, expiring, at);
        expect(result.ok ? undefined : result.failure).toEqual({
          status: 401,
          type: 'authentication_error',
          code: 'key_expired',
          param: null,
          message:
            'This API key expired at 2026-03-01T12:00:00.000Z; create a new key or extend its expiry.',
        });
        expect(JSON.stringify(result)).not.toContain(key);
      }
    });

    it('says disabled rather than expired for a key that is both', () => {
      const both = new KeyIndex();
      both.apply({
        ...row,
        lookupHash: lookupHash(key, pepper),
        status: 'disabled',
        expiresAtMs: EXPIRES_AT,
      });
      const result = authenticateKey(key, pepper, both, EXPIRES_AT + 1);
      expect(result.ok || result.failure.code).toBe('invalid_api_key');
    });
  });

  it('reads the bearer token of the Authorization header', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer  abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});

describe('spend limits in the key cache', () => {
  const limits = (daily: string | undefined, monthly: string | undefined): KeysEvent =>
    event('ApiKeySpendLimitChanged', {
      apiKeyId: 'key_1',
      ...(daily !== undefined && { daily }),
      ...(monthly !== undefined && { monthly }),
    });

  it('given a key, when its limits are set, changed and removed, then the row follows to the nano-dollar; the same limits again change nothing', () => {
    const set = evolveKey(row, limits('0.01', '5'));
    expect(set?.spendLimits).toEqual({ dailyNanos: 10_000_000n, monthlyNanos: 5_000_000_000n });
    expect(evolveKey(set, limits('0.010', '5.0'))).toEqual({ ...set, version: 3 });
    const dailyOnly = evolveKey(set, limits('0.000000001', undefined));
    expect(dailyOnly?.spendLimits).toEqual({ dailyNanos: 1n, monthlyNanos: null });
    expect(evolveKey(dailyOnly, limits(undefined, undefined))?.spendLimits).toEqual({
      dailyNanos: null,
      monthlyNanos: null,
    });
  });

  it('given a deleted or unknown key, then a limit change brings nothing back', () => {
    expect(evolveKey({ ...row, status: 'deleted' }, limits('1', undefined))).toEqual({
      ...row,
      status: 'deleted',
      version: 2,
    });
    expect(evolveKey(undefined, limits('1', undefined))).toBeUndefined();
  });

  it('hands the limits to the caller with the key, for the hold', () => {
    const pepper = 'a-pepper-of-at-least-32-characters!!';
    const { key } = generateApiKey();
    const index = new KeyIndex();
    const spendLimits = { dailyNanos: 10_000_000n, monthlyNanos: null };
    index.apply({ ...row, lookupHash: lookupHash(key, pepper), spendLimits });
    expect(authenticateKey(key, pepper, index, NOW)).toEqual({
      ok: true,
      value: { apiKeyId: 'key_1', accountId: 'acct_1', spendLimits, plan: 'payg' },
    });
  });
});

describe('the refusal of a key past its spend limit', () => {
  it('is 402 key_spend_limit_reached in the OpenAI shape, naming the limit and the next 00:00 UTC', () => {
    expect(
      keySpendLimitReached('daily', 10_000_000n, Date.parse('2026-03-10T23:59:59.999Z')),
    ).toEqual({
      status: 402,
      type: 'insufficient_quota',
      code: 'key_spend_limit_reached',
      param: null,
      message:
        'This request could take this API key past its daily spend limit of $0.01 (per UTC day, ' +
        'counting what the key has spent and has in flight); the limit resets at ' +
        "2026-03-11T00:00:00.000Z. Raise the key's limit, lower max_tokens, or wait for the reset.",
    });
  });

  it('names the first of the next month for the monthly limit', () => {
    expect(
      keySpendLimitReached('monthly', 100_000_000_000n, Date.parse('2026-12-31T10:00:00Z')).message,
    ).toContain('monthly spend limit of $100 (per UTC calendar month');
    expect(
      keySpendLimitReached('monthly', 100_000_000_000n, Date.parse('2026-12-31T10:00:00Z')).message,
    ).toContain('resets at 2027-01-01T00:00:00.000Z');
  });

  it('reads the lookup answer of the keys service: limits, none, or a malformed one refused', () => {
    expect(spendLimitsOfLookup({ daily: '0.01', monthly: null })).toEqual({
      dailyNanos: 10_000_000n,
      monthlyNanos: null,
    });
    expect(spendLimitsOfLookup(undefined)).toEqual({ dailyNanos: null, monthlyNanos: null });
    for (const bad of [{ daily: 0.01 }, { daily: '0' }, { monthly: '-1' }, 'x']) {
      expect(spendLimitsOfLookup(bad)).toBeUndefined();
    }
  });
});
