// Given events / when command / then events (or a typed failure).
import {
  decide,
  evolve,
  fold,
  isPublishedOnKeysTopic,
  type ApiKeyCommand,
  type ApiKeyCreated,
  type ApiKeyEvent,
  type ApiKeySpendLimitChanged,
  type ApiKeyState,
} from './api-key.js';

const apiKeyId = 'key_1';
const accountId = 'acct_42';
const t0 = new Date('2026-01-01T00:00:00.000Z');
const t1 = new Date('2026-01-01T00:05:00.000Z');
const t2 = new Date('2026-01-01T00:10:00.000Z');

const created: ApiKeyCreated = {
  type: 'ApiKeyCreated',
  apiKeyId,
  accountId,
  occurredAt: t0,
  name: 'production-app',
  plan: 'payg',
  status: 'enabled',
  prefix: 'sk-payg-AbCd',
  lookupHash: 'a'.repeat(64),
  expiresAt: null,
};

const on = { apiKeyId, accountId, now: t1 };

function given(...events: ApiKeyEvent[]): ApiKeyState | undefined {
  return fold(events);
}

function thenEvents(
  command: ApiKeyCommand,
  state: ApiKeyState | undefined,
): readonly ApiKeyEvent[] {
  const result = decide(command, state);
  if (!result.ok) throw new Error(`expected events, got ${result.error.code}`);
  return result.value;
}

function thenError(command: ApiKeyCommand, state: ApiKeyState | undefined): string {
  const result = decide(command, state);
  if (result.ok) throw new Error(`expected a failure, got ${JSON.stringify(result.value)}`);
  return result.error.code;
}

describe('CreateApiKey', () => {
  const create: ApiKeyCommand = {
    type: 'CreateApiKey',
    apiKeyId,
    accountId,
    now: t0,
    name: '  production-app ',
    prefix: 'sk-payg-AbCd',
    lookupHash: 'a'.repeat(64),
  };

  it('creates an enabled pay-as-you-go key with the trimmed name', () => {
    expect(thenEvents(create, given())).toEqual([created]);
  });

  it('folds into a state that holds the hash and prefix, never a secret', () => {
    const state = evolve(undefined, created);

    expect(state).toEqual({
      apiKeyId,
      accountId,
      name: 'production-app',
      prefix: 'sk-payg-AbCd',
      lookupHash: 'a'.repeat(64),
      status: 'enabled',
      expiresAt: null,
      spendLimits: { dailyNanos: null, monthlyNanos: null },
      createdAt: t0,
      updatedAt: t0,
    });
  });

  it('refuses an invalid name with KEYS.INVALID_NAME', () => {
    expect(thenError({ ...create, name: '' }, given())).toBe('KEYS.INVALID_NAME');
    expect(thenError({ ...create, name: 'x'.repeat(101) }, given())).toBe('KEYS.INVALID_NAME');
    expect(thenError({ ...create, name: 'a\nb' }, given())).toBe('KEYS.INVALID_NAME');
  });

  it('refuses, loudly, a prefix or hash that could carry the secret into an event', () => {
    const key = `sk-payg-${'A'.repeat(49)}`;

    expect(() => decide({ ...create, prefix: key }, given())).toThrow(/shown prefix/);
    expect(() => decide({ ...create, lookupHash: key }, given())).toThrow(/lookupHash/);
    expect(() => decide({ ...create, prefix: key }, given())).not.toThrow(/AAAA/);
  });

  it('treats a create for an existing key id as a bug in the caller', () => {
    expect(() => decide(create, given(created))).toThrow(/already exists/);
  });
});

describe('UpdateApiKey', () => {
  it('renames', () => {
    expect(thenEvents({ ...on, type: 'UpdateApiKey', name: ' staging ' }, given(created))).toEqual([
      { type: 'ApiKeyUpdated', apiKeyId, accountId, occurredAt: t1, name: 'staging' },
    ]);
  });

  it('disables, then enables again', () => {
    const disabled: ApiKeyEvent = {
      type: 'ApiKeyUpdated',
      apiKeyId,
      accountId,
      occurredAt: t1,
      status: 'disabled',
    };

    expect(thenEvents({ ...on, type: 'UpdateApiKey', status: 'disabled' }, given(created))).toEqual(
      [disabled],
    );
    expect(given(created, disabled)?.status).toBe('disabled');
    expect(
      thenEvents(
        { ...on, now: t2, type: 'UpdateApiKey', status: 'enabled' },
        given(created, disabled),
      ),
    ).toEqual([{ type: 'ApiKeyUpdated', apiKeyId, accountId, occurredAt: t2, status: 'enabled' }]);
  });

  it('renames and changes status in one event, carrying only what changed', () => {
    const [event] = thenEvents(
      { ...on, type: 'UpdateApiKey', name: 'production-app', status: 'disabled' },
      given(created),
    );

    expect(event).toEqual({
      type: 'ApiKeyUpdated',
      apiKeyId,
      accountId,
      occurredAt: t1,
      status: 'disabled',
    });
    expect(event).not.toHaveProperty('name');
  });

  it('changes nothing, and publishes nothing, when the name and status are already so', () => {
    expect(
      thenEvents(
        { ...on, type: 'UpdateApiKey', name: 'production-app ', status: 'enabled' },
        given(created),
      ),
    ).toEqual([]);
    expect(thenEvents({ ...on, type: 'UpdateApiKey' }, given(created))).toEqual([]);
  });

  it('refuses an invalid new name with KEYS.INVALID_NAME', () => {
    expect(thenError({ ...on, type: 'UpdateApiKey', name: ' ' }, given(created))).toBe(
      'KEYS.INVALID_NAME',
    );
  });

  it('updates updatedAt and keeps createdAt', () => {
    const state = evolve(given(created), {
      type: 'ApiKeyUpdated',
      apiKeyId,
      accountId,
      occurredAt: t1,
      name: 'staging',
    });

    expect(state).toMatchObject({
      name: 'staging',
      status: 'enabled',
      createdAt: t0,
      updatedAt: t1,
    });
  });
});

describe('DeleteApiKey', () => {
  const deleted: ApiKeyEvent = { type: 'ApiKeyDeleted', apiKeyId, accountId, occurredAt: t1 };

  it('deletes an enabled or a disabled key', () => {
    const disabled: ApiKeyEvent = { ...deleted, type: 'ApiKeyUpdated', status: 'disabled' };

    expect(thenEvents({ ...on, type: 'DeleteApiKey' }, given(created))).toEqual([deleted]);
    expect(thenEvents({ ...on, type: 'DeleteApiKey' }, given(created, disabled))).toEqual([
      deleted,
    ]);
  });

  it('is final: every later command on the key is KEYS.NOT_FOUND', () => {
    const state = given(created, deleted);

    expect(state?.status).toBe('deleted');
    for (const command of [
      { ...on, type: 'UpdateApiKey', name: 'again' },
      { ...on, type: 'UpdateApiKey', status: 'enabled' },
      { ...on, type: 'DeleteApiKey' },
      { ...on, type: 'RevealApiKey' },
    ] as const) {
      expect(thenError(command, state)).toBe('KEYS.NOT_FOUND');
    }
  });

  it('refuses to fold any event after the deletion (a corrupt log)', () => {
    expect(() =>
      evolve(given(created, deleted), { ...deleted, type: 'ApiKeyUpdated', status: 'enabled' }),
    ).toThrow(/deleted/);
  });
});

describe('RevealApiKey', () => {
  it('records every reveal, of an enabled or a disabled key, without changing the key', () => {
    const revealed: ApiKeyEvent = { type: 'ApiKeyRevealed', apiKeyId, accountId, occurredAt: t1 };
    const disabled: ApiKeyEvent = { ...revealed, type: 'ApiKeyUpdated', status: 'disabled' };

    expect(thenEvents({ ...on, type: 'RevealApiKey' }, given(created))).toEqual([revealed]);
    expect(thenEvents({ ...on, type: 'RevealApiKey' }, given(created, disabled))).toEqual([
      revealed,
    ]);
    expect(evolve(given(created), revealed)).toEqual(given(created));
  });

  it('is an audit fact, not published on keys.v1', () => {
    expect(
      isPublishedOnKeysTopic({ type: 'ApiKeyRevealed', apiKeyId, accountId, occurredAt: t1 }),
    ).toBe(false);
    expect(isPublishedOnKeysTopic(created)).toBe(true);
  });
});

describe('tenant isolation', () => {
  const otherAccount = { ...on, accountId: 'acct_other' };

  it('should not let another account see or touch the key: KEYS.NOT_FOUND, as if it did not exist', () => {
    const state = given(created);

    for (const command of [
      { ...otherAccount, type: 'UpdateApiKey', name: 'mine now' },
      { ...otherAccount, type: 'UpdateApiKey', status: 'disabled' },
      { ...otherAccount, type: 'DeleteApiKey' },
      { ...otherAccount, type: 'RevealApiKey' },
    ] as const) {
      const result = decide(command, state);
      const missing = decide({ ...command, accountId }, undefined);
      expect(result).toEqual(missing);
      expect(thenError(command, state)).toBe('KEYS.NOT_FOUND');
    }
  });

  it('answers KEYS.NOT_FOUND for a key that never existed', () => {
    expect(thenError({ ...on, type: 'RevealApiKey' }, given())).toBe('KEYS.NOT_FOUND');
  });

  it('treats a state loaded for another key id as a bug in the caller', () => {
    expect(() =>
      decide({ ...on, apiKeyId: 'key_2', type: 'DeleteApiKey' }, given(created)),
    ).toThrow(/key_1/);
  });
});

describe('evolve', () => {
  it('refuses an update of a key that was never created', () => {
    expect(() =>
      evolve(undefined, { type: 'ApiKeyUpdated', apiKeyId, accountId, occurredAt: t1, name: 'x' }),
    ).toThrow();
  });

  it('refuses a second creation', () => {
    expect(() => evolve(given(created), created)).toThrow(/twice/);
  });
});

describe('key expiry', () => {
  const create: ApiKeyCommand = {
    type: 'CreateApiKey',
    apiKeyId,
    accountId,
    now: t0,
    name: 'ci',
    prefix: 'sk-payg-AbCd',
    lookupHash: 'a'.repeat(64),
  };

  it('given no expiry, when created, then the key never expires', () => {
    expect(thenEvents(create, given())).toEqual([{ ...created, name: 'ci', expiresAt: null }]);
  });

  it('given an expiry in the future, when created, then ApiKeyCreated carries it and the state keeps it', () => {
    const events = thenEvents({ ...create, expiresAt: '2026-01-31T00:00:00Z' }, given());
    expect(events).toEqual([
      { ...created, name: 'ci', expiresAt: new Date('2026-01-31T00:00:00.000Z') },
    ]);
    expect(fold(events)?.expiresAt).toEqual(new Date('2026-01-31T00:00:00.000Z'));
  });

  it.each([
    ['the creation instant itself', '2026-01-01T00:00:00Z'],
    ['a time in the past', '2025-12-31T23:59:59.999Z'],
    ['a date without a time', '2026-02-01'],
    ['a local time with an offset', '2026-02-01T00:00:00+01:00'],
    ['words', 'next week'],
  ])('refuses %s as an expiry with KEYS.INVALID_EXPIRY', (_what, expiresAt) => {
    expect(thenError({ ...create, expiresAt }, given())).toBe('KEYS.INVALID_EXPIRY');
  });

  it('given a key without expiry, when an expiry is set, then ApiKeyExpiryChanged says the new one', () => {
    expect(
      thenEvents(
        { ...on, type: 'UpdateApiKey', expiresAt: '2026-02-01T00:00:00Z' },
        given(created),
      ),
    ).toEqual([
      {
        type: 'ApiKeyExpiryChanged',
        apiKeyId,
        accountId,
        occurredAt: t1,
        expiresAt: new Date('2026-02-01T00:00:00.000Z'),
      },
    ]);
  });

  it('given a key with an expiry, when it is set to null, then ApiKeyExpiryChanged removes it', () => {
    const expiring = { ...created, expiresAt: new Date('2026-02-01T00:00:00.000Z') };
    const events = thenEvents({ ...on, type: 'UpdateApiKey', expiresAt: null }, given(expiring));
    expect(events).toEqual([
      { type: 'ApiKeyExpiryChanged', apiKeyId, accountId, occurredAt: t1, expiresAt: null },
    ]);
    expect(fold(events, given(expiring))?.expiresAt).toBeNull();
  });

  it('given the same expiry again (another spelling of the same instant), then nothing is published', () => {
    const expiring = { ...created, expiresAt: new Date('2026-02-01T00:00:00.000Z') };
    expect(
      thenEvents(
        { ...on, type: 'UpdateApiKey', expiresAt: '2026-02-01T00:00:00.000000Z' },
        given(expiring),
      ),
    ).toEqual([]);
    expect(thenEvents({ ...on, type: 'UpdateApiKey', expiresAt: null }, given(created))).toEqual(
      [],
    );
  });

  it('given a rename and a new expiry at once, then ApiKeyUpdated and ApiKeyExpiryChanged, both published', () => {
    const events = thenEvents(
      { ...on, type: 'UpdateApiKey', name: 'ci-2', expiresAt: '2026-02-01T00:00:00Z' },
      given(created),
    );
    expect(events.map((e) => e.type)).toEqual(['ApiKeyUpdated', 'ApiKeyExpiryChanged']);
    expect(events.every(isPublishedOnKeysTopic)).toBe(true);
  });

  it('refuses an expiry in the past on update with KEYS.INVALID_EXPIRY, changing nothing else either', () => {
    expect(
      thenError(
        { ...on, type: 'UpdateApiKey', name: 'renamed', expiresAt: '2026-01-01T00:04:59Z' },
        given(created),
      ),
    ).toBe('KEYS.INVALID_EXPIRY');
  });

  it("refuses another account's key before looking at the expiry: KEYS.NOT_FOUND", () => {
    expect(
      thenError(
        { ...on, accountId: 'acct_other', type: 'UpdateApiKey', expiresAt: 'garbage' },
        given(created),
      ),
    ).toBe('KEYS.NOT_FOUND');
  });
});

describe('spend limits', () => {
  const update = (spendLimits: { daily?: string | null; monthly?: string | null }) =>
    ({ ...on, type: 'UpdateApiKey', spendLimits }) as const;
  const changed = (
    dailyNanos: bigint | null,
    monthlyNanos: bigint | null,
  ): ApiKeySpendLimitChanged => ({
    type: 'ApiKeySpendLimitChanged',
    apiKeyId,
    accountId,
    occurredAt: t1,
    spendLimits: { dailyNanos, monthlyNanos },
  });

  it('given a key without limits, when a daily limit of $0.01 is set, then ApiKeySpendLimitChanged states the whole new limits to the nano-dollar', () => {
    const events = thenEvents(update({ daily: '0.01' }), given(created));
    expect(events).toEqual([changed(10_000_000n, null)]);
    expect(fold(events, given(created))?.spendLimits).toEqual({
      dailyNanos: 10_000_000n,
      monthlyNanos: null,
    });
  });

  it('given both limits, when only the monthly one changes, then the daily one is kept; null removes one', () => {
    const limited = fold([...[created], changed(10_000_000n, 5_000_000_000n)]);
    expect(thenEvents(update({ monthly: '7.5' }), limited)).toEqual([
      changed(10_000_000n, 7_500_000_000n),
    ]);
    expect(thenEvents(update({ daily: null }), limited)).toEqual([changed(null, 5_000_000_000n)]);
  });

  it('given the same limits again (another spelling), then nothing is published', () => {
    const limited = fold([created, changed(10_000_000n, null)]);
    expect(thenEvents(update({ daily: '0.010000000' }), limited)).toEqual([]);
    expect(thenEvents(update({ monthly: null }), given(created))).toEqual([]);
  });

  it.each([
    ['zero', '0'],
    ['a negative amount', '-1'],
    ['ten fraction digits', '0.0000000001'],
    ['more than $1,000,000', '1000000.000000001'],
    ['words', 'ten dollars'],
  ])('refuses %s as a limit with KEYS.INVALID_SPEND_LIMIT, changing nothing else', (_what, bad) => {
    expect(thenError({ ...update({ daily: bad }), name: 'renamed' }, given(created))).toBe(
      'KEYS.INVALID_SPEND_LIMIT',
    );
  });

  it('accepts exactly $1,000,000 and one nano-dollar', () => {
    expect(
      thenEvents(update({ daily: '0.000000001', monthly: '1000000' }), given(created)),
    ).toEqual([changed(1n, 1_000_000_000_000_000n)]);
  });

  it("refuses another account's key before looking at the limits: KEYS.NOT_FOUND", () => {
    expect(
      thenError({ ...update({ daily: 'garbage' }), accountId: 'acct_other' }, given(created)),
    ).toBe('KEYS.NOT_FOUND');
  });

  it('publishes the change on keys.v1, for the gateway', () => {
    const [event] = thenEvents(update({ daily: '1' }), given(created));
    expect(event !== undefined && isPublishedOnKeysTopic(event)).toBe(true);
  });
});
