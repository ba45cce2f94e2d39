import { ENVELOPE, FULL, MINIMAL, withData, withEnvelope } from './__fixtures__/examples.js';
import { decodeEvent, type DecodeErrorCode, type DecodeResult } from './decode.js';
import { EVENT_TYPES, type ContractEvent, type EventType } from './events.js';
import { dlqTopic, topicOf, TOPICS } from './topics.js';

function expectOk(result: DecodeResult): ContractEvent {
  if (!result.ok) throw new Error(`expected ok, got ${result.code}: ${result.reason}`);
  return result.event;
}

function expectFailure(result: DecodeResult, code: DecodeErrorCode, reason?: string): string {
  if (result.ok) throw new Error(`expected ${code}, got ok`);
  expect(result.code).toBe(code);
  if (reason !== undefined) expect(result.reason).toBe(reason);
  return result.reason;
}

const decodeData = (type: EventType, edit: (data: Record<string, unknown>) => void) =>
  decodeEvent(JSON.stringify(withData(type, edit)));

describe('decodeEvent: valid events', () => {
  it.each(EVENT_TYPES)(
    'given a valid %s with every optional field, then it decodes unchanged',
    (type) => {
      const event = expectOk(decodeEvent(JSON.stringify(FULL[type]), { topic: topicOf(type) }));
      expect(event).toEqual(FULL[type]);
    },
  );

  it.each(EVENT_TYPES)(
    'given a valid %s with required fields only, then it decodes unchanged',
    (type) => {
      expect(expectOk(decodeEvent(JSON.stringify(MINIMAL[type])))).toEqual(MINIMAL[type]);
    },
  );

  it('given the message as a Buffer, then it decodes like the string', () => {
    const text = JSON.stringify(FULL.TopUpSettled);
    expect(expectOk(decodeEvent(Buffer.from(text, 'utf8')))).toEqual(FULL.TopUpSettled);
  });

  it('given already parsed JSON, then it decodes it without touching the input', () => {
    const input = JSON.parse(JSON.stringify(FULL.BalanceChanged)) as object;
    const before = JSON.stringify(input);
    expect(expectOk(decodeEvent(input))).toEqual(FULL.BalanceChanged);
    expect(JSON.stringify(input)).toBe(before);
  });

  it('given correlation and causation ids, then they are kept', () => {
    const event = expectOk(
      decodeEvent(
        withEnvelope((e) => {
          e.correlationId = 'corr-1';
          e.causationId = '1b8a3c1e-7f4d-4e2a-9c6b-5d1f2e3a4b5c';
        }),
      ),
    );
    expect(event.correlationId).toBe('corr-1');
    expect(event.causationId).toBe('1b8a3c1e-7f4d-4e2a-9c6b-5d1f2e3a4b5c');
  });

  it('given a payments message, then the decoded event narrows on type', () => {
    const result = decodeEvent(JSON.stringify(FULL.CreditsAdjusted), { topic: TOPICS.payments });
    const event = expectOk(result);
    // A switch over the per-topic union is what a payments consumer writes.
    expect(event.type === 'CreditsAdjusted' && event.data.amount).toBe('-2.5');
  });
});

describe('decodeEvent: unknown fields (forward compatibility)', () => {
  it('given an unknown data field, then the event decodes and the field is dropped', () => {
    const event = expectOk(decodeData('TopUpSettled', (d) => (d.currency = 'USD')));
    expect(event.data).toEqual(FULL.TopUpSettled.data);
    expect(event.data).not.toHaveProperty('currency');
  });

  it('given an unknown envelope field, then the event decodes and the field is dropped', () => {
    const event = expectOk(decodeEvent(withEnvelope((e) => (e.traceparent = '00-abc'))));
    expect(event).not.toHaveProperty('traceparent');
  });

  it('given prototype keys in data, then they are dropped and no prototype is touched', () => {
    const text = JSON.stringify(FULL.ApiKeyDeleted).replace(
      '"data":{',
      '"data":{"__proto__":{"polluted":true},"constructor":"x","hasOwnProperty":1,',
    );
    const event = expectOk(decodeEvent(text));
    expect(event.data).toEqual({ apiKeyId: 'key_1' });
    expect(Object.keys(event.data)).toEqual(['apiKeyId']);
    expect(Object.getPrototypeOf(event.data)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('given an optional field sent as null, then it is read as absent', () => {
    const event = expectOk(decodeData('UsageObserved', (d) => (d.apiKeyId = null)));
    expect(event.data).not.toHaveProperty('apiKeyId');
  });
});

describe('decodeEvent: INVALID_JSON', () => {
  it('given text that is not JSON, then INVALID_JSON', () => {
    expectFailure(decodeEvent('{"id": '), 'INVALID_JSON');
  });

  it('given bytes that are not JSON, then INVALID_JSON', () => {
    expectFailure(decodeEvent(Buffer.from('not json')), 'INVALID_JSON');
  });

  it('given bytes that are not UTF-8, then INVALID_JSON', () => {
    expectFailure(
      decodeEvent(Buffer.from([0x7b, 0xff, 0x7d])),
      'INVALID_JSON',
      'message: is not valid UTF-8',
    );
  });
});

describe('decodeEvent: INVALID_ENVELOPE', () => {
  it.each([['[]'], ['null'], ['42'], ['"text"']])('given %s, then INVALID_ENVELOPE', (text) => {
    expectFailure(
      decodeEvent(text),
      'INVALID_ENVELOPE',
      'message: must be a JSON object (the envelope)',
    );
  });

  it('given no id, then INVALID_ENVELOPE naming id', () => {
    expectFailure(
      decodeEvent(withEnvelope((e) => delete e.id)),
      'INVALID_ENVELOPE',
      'id: is required',
    );
  });

  it.each([['not-a-uuid'], ['0B8A3C1E-7F4D-4E2A-9C6B-5D1F2E3A4B5C'], [''], [42]])(
    'given id %p, then INVALID_ENVELOPE',
    (id) => {
      expectFailure(
        decodeEvent(withEnvelope((e) => (e.id = id))),
        'INVALID_ENVELOPE',
        'id: must be a lowercase UUID (8-4-4-4-12 hex digits)',
      );
    },
  );

  it.each([['acct 42'], ['acct/42'], ['a'.repeat(65)], ['']])(
    'given accountId %p, then INVALID_ENVELOPE',
    (accountId) => {
      expectFailure(
        decodeEvent(withEnvelope((e) => (e.accountId = accountId))),
        'INVALID_ENVELOPE',
        'accountId: must be an account id matching ^[A-Za-z0-9_-]{1,64}$',
      );
    },
  );

  it('given an accountId of 64 characters, then it decodes', () => {
    expectOk(decodeEvent(withEnvelope((e) => (e.accountId = 'A'.repeat(64)))));
  });

  it.each([
    ['2026-11-27T03:09:32.123+00:00'],
    ['2026-11-27 03:09:32Z'],
    ['2026-02-30T00:00:00Z'],
    ['2026-11-27T24:00:00Z'],
    ['2026-11-27'],
    [1764212972123],
  ])('given occurredAt %p, then INVALID_ENVELOPE', (occurredAt) => {
    const reason = expectFailure(
      decodeEvent(withEnvelope((e) => (e.occurredAt = occurredAt))),
      'INVALID_ENVELOPE',
    );
    expect(reason).toMatch(/^occurredAt: must be an ISO-8601 UTC timestamp ending in Z/);
  });

  it.each([[0], [-1], [1.5], ['1'], [null]])(
    'given version %p, then INVALID_ENVELOPE',
    (version) => {
      const reason = expectFailure(
        decodeEvent(withEnvelope((e) => (e.version = version))),
        'INVALID_ENVELOPE',
      );
      expect(reason).toMatch(/^version: /);
    },
  );

  it('given an empty source or correlationId, then INVALID_ENVELOPE naming both', () => {
    expectFailure(
      decodeEvent(
        withEnvelope((e) => {
          e.source = '';
          e.correlationId = '';
        }),
      ),
      'INVALID_ENVELOPE',
      'source: must be a non-empty string of at most 200 characters; ' +
        'correlationId: must be a non-empty string of at most 200 characters',
    );
  });

  it.each([[undefined], [null], ['{}'], [[]]])('given data %p, then INVALID_ENVELOPE', (data) => {
    const reason = expectFailure(
      decodeEvent(withEnvelope((e) => (e.data = data))),
      'INVALID_ENVELOPE',
    );
    expect(reason).toMatch(/^data: (is required|must be a JSON object)$/);
  });

  it('given a type that is not a string, then INVALID_ENVELOPE', () => {
    expectFailure(decodeEvent(withEnvelope((e) => (e.type = 7))), 'INVALID_ENVELOPE');
  });
});

describe('decodeEvent: UNKNOWN_TYPE', () => {
  it.each([['UsageCharged'], ['usageRecorded'], ['__proto__'], ['constructor']])(
    'given type %p, then UNKNOWN_TYPE',
    (type) => {
      expectFailure(
        decodeEvent(withEnvelope((e) => (e.type = type))),
        'UNKNOWN_TYPE',
        `type: ${JSON.stringify(type)} is not an event type of the contract`,
      );
    },
  );
});

describe('decodeEvent: WRONG_TOPIC', () => {
  it('given a UsageRecorded on payments.v1, then WRONG_TOPIC', () => {
    expectFailure(
      decodeEvent(JSON.stringify(FULL.UsageRecorded), { topic: TOPICS.payments }),
      'WRONG_TOPIC',
      'type: UsageRecorded is not allowed on payments.v1 (allowed: TopUpSettled, DiscountApplied, ' +
        'BonusGranted, CompensationIssued, GiftGranted, ReferralRewarded, ReferralRewardRevoked, ' +
        'CreditsAdjusted, TopUpRefunded, BuilderSubscriptionChanged)',
    );
  });

  it('given a topic outside the contract, then WRONG_TOPIC', () => {
    expectFailure(
      decodeEvent(JSON.stringify(FULL.UsageRecorded), { topic: 'usage.recorded.v2' }),
      'WRONG_TOPIC',
      'topic: "usage.recorded.v2" is not a topic of the contract',
    );
  });

  it('given the dead-letter topic of the right topic, then it decodes', () => {
    expectOk(
      decodeEvent(JSON.stringify(FULL.UsageRecorded), { topic: dlqTopic(TOPICS.usageRecorded) }),
    );
  });
});

describe('decodeEvent: CompensationIssued of the AI insurance', () => {
  it('given an insurance claim on usage.recorded.v1 (metering), then it decodes unchanged', () => {
    const event = expectOk(
      decodeEvent(JSON.stringify(FULL.CompensationIssued), { topic: TOPICS.usageRecorded }),
    );
    expect(event).toEqual(FULL.CompensationIssued);
  });

  it('given a TopUpSettled on usage.recorded.v1, then WRONG_TOPIC: only claims join usage', () => {
    expectFailure(
      decodeEvent(JSON.stringify(FULL.TopUpSettled), { topic: TOPICS.usageRecorded }),
      'WRONG_TOPIC',
      'type: TopUpSettled is not allowed on usage.recorded.v1 (allowed: UsageRecorded, ' +
        'CompensationIssued)',
    );
  });

  it.each([
    ['an empty list', []],
    ['a repeated request id', ['req_1', 'req_1']],
    ['an empty request id', ['']],
    ['a list of numbers', [1]],
    ['a string instead of a list', 'req_1'],
  ])('given requestIds as %s, then INVALID_DATA', (_what, requestIds) => {
    expectFailure(
      decodeData('CompensationIssued', (d) => (d.requestIds = requestIds)),
      'INVALID_DATA',
      'data.requestIds: must be a non-empty array of at most 1000 distinct ids (each a ' +
        'non-empty string of at most 200 characters)',
    );
  });
});

describe('decodeEvent: UNSUPPORTED_VERSION', () => {
  it('given a version newer than the code knows, then UNSUPPORTED_VERSION', () => {
    expectFailure(
      decodeEvent(withEnvelope((e) => (e.version = 2))),
      'UNSUPPORTED_VERSION',
      'version: UsageRecorded v2 is newer than the newest known, v1',
    );
  });
});

describe('decodeEvent: INVALID_DATA, money', () => {
  it('given an amount with 10 fraction digits, then INVALID_DATA naming the field and rule', () => {
    expectFailure(
      decodeData('TopUpSettled', (d) => (d.amount = '1.0000000001')),
      'INVALID_DATA',
      'data.amount: must be a decimal USD string with at most 9 fraction digits',
    );
  });

  it('given an amount as a JSON number, then INVALID_DATA: money is never a number', () => {
    expectFailure(
      decodeData('TopUpSettled', (d) => (d.amount = 120)),
      'INVALID_DATA',
      'data.amount: must be a decimal USD string, not a JSON number (money is never a number)',
    );
  });

  it.each([['1e3'], ['+5'], [' 5'], ['5.'], ['.5'], ['05'], ['NaN'], ['']])(
    'given an amount %p that is not a decimal string, then INVALID_DATA',
    (amount) => {
      expectFailure(
        decodeData('GiftGranted', (d) => (d.amount = amount)),
        'INVALID_DATA',
        'data.amount: must be a decimal USD string with at most 9 fraction digits',
      );
    },
  );

  const credits = [
    'TopUpSettled',
    'DiscountApplied',
    'BonusGranted',
    'CompensationIssued',
    'GiftGranted',
    'ReferralRewarded',
    'ReferralRewardRevoked',
    'TopUpRefunded',
  ] as const;

  it.each(
    credits.flatMap((type) => [
      [type, '0'],
      [type, '-1'],
    ]),
  )('given a %s with amount %p, then INVALID_DATA: credits are positive', (type, amount) => {
    expectFailure(
      decodeData(type, (d) => (d.amount = amount)),
      'INVALID_DATA',
      'data.amount: must be greater than 0',
    );
  });

  it('given a CreditsAdjusted of zero, then INVALID_DATA', () => {
    expectFailure(
      decodeData('CreditsAdjusted', (d) => (d.amount = '-0')),
      'INVALID_DATA',
      'data.amount: must not be zero',
    );
  });

  it('given a BuilderSubscriptionChanged that lapsed (period_lapsed), then it decodes; an unknown reason does not', () => {
    const lapsed = expectOk(
      decodeData('BuilderSubscriptionChanged', (d) => {
        d.active = false;
        d.reason = 'period_lapsed';
        delete d.currentPeriodEnd;
        delete d.invoiceId;
      }),
    );
    expect(lapsed.data).toEqual({
      subscriptionId: 'sub_1',
      active: false,
      reason: 'period_lapsed',
    });
    const reason = expectFailure(
      decodeData('BuilderSubscriptionChanged', (d) => (d.reason = 'lapsed')),
      'INVALID_DATA',
    );
    expect(reason).toMatch(/^data\.reason: /);
  });

  it('given a positive CreditsAdjusted, then it decodes', () => {
    expectOk(decodeData('CreditsAdjusted', (d) => (d.amount = '7.25')));
  });

  it('given a negative cost, then INVALID_DATA; a zero cost decodes', () => {
    expectFailure(
      decodeData('UsageRecorded', (d) => (d.cost = '-0.000000001')),
      'INVALID_DATA',
      'data.cost: must not be negative',
    );
    expectOk(decodeData('UsageRecorded', (d) => (d.cost = '0')));
  });

  it('given negative balances, then BalanceChanged decodes; a number balance does not', () => {
    expectOk(
      decodeData('BalanceChanged', (d) => {
        d.total = '-1.5';
        d.available = '-2';
      }),
    );
    expectFailure(
      decodeData('BalanceChanged', (d) => (d.held = 0)),
      'INVALID_DATA',
    );
  });
});

describe('decodeEvent: INVALID_DATA, other rules', () => {
  it.each([[-1], [1.5], [Number.MAX_SAFE_INTEGER + 1], ['12']])(
    'given inputTokens %p, then INVALID_DATA',
    (tokens) => {
      expectFailure(
        decodeData('UsageObserved', (d) => (d.inputTokens = tokens)),
        'INVALID_DATA',
        'data.inputTokens: must be a non-negative safe integer',
      );
    },
  );

  it('given a negative optional token count, then INVALID_DATA', () => {
    expectFailure(
      decodeData('UsageRecorded', (d) => (d.reasoningTokens = -5)),
      'INVALID_DATA',
      'data.reasoningTokens: must be a non-negative safe integer',
    );
  });

  it.each([
    ['UsageObserved', 'status', 'ok', '"succeeded", "failed", "cancelled"'],
    ['TopUpSettled', 'trigger', 'scheduled', '"manual", "auto"'],
    ['ApiKeyCreated', 'status', 'ENABLED', '"enabled", "disabled"'],
    ['ApiKeyUpdated', 'status', 'revoked', '"enabled", "disabled"'],
    ['ApiKeyCreated', 'plan', 'monthly', '"payg", "builder"'],
    ['UsageObserved', 'plan', 'monthly', '"payg", "builder"'],
  ] as const)(
    'given %s.%s = %p, then INVALID_DATA listing the allowed values',
    (type, field, value, allowed) => {
      expectFailure(
        decodeData(type, (d) => (d[field] = value)),
        'INVALID_DATA',
        `data.${field}: must be one of ${allowed}`,
      );
    },
  );

  it.each([[''], ['m'.repeat(41)], [7]])('given method %p, then INVALID_DATA', (method) => {
    expectFailure(
      decodeData('TopUpSettled', (d) => (d.method = method)),
      'INVALID_DATA',
      'data.method: must be a non-empty string of at most 40 characters',
    );
  });

  it('given a method of 40 characters that is not card, then it decodes', () => {
    expectOk(decodeData('TopUpSettled', (d) => (d.method = 'm'.repeat(40))));
  });

  it.each([[''], ['r'.repeat(201)], [42]])('given requestId %p, then INVALID_DATA', (requestId) => {
    expectFailure(
      decodeData('UsageRecorded', (d) => (d.requestId = requestId)),
      'INVALID_DATA',
      'data.requestId: must be a non-empty string of at most 200 characters',
    );
  });

  it('given completedAt before startedAt, then INVALID_DATA', () => {
    expectFailure(
      decodeData('UsageObserved', (d) => (d.completedAt = '2026-11-27T03:09:29.999999999Z')),
      'INVALID_DATA',
      'data.completedAt: must not be before startedAt',
    );
  });

  it('given completedAt one nanosecond after startedAt, then it decodes', () => {
    expectOk(
      decodeData('UsageObserved', (d) => {
        d.startedAt = '2026-11-27T03:09:30.123456789Z';
        d.completedAt = '2026-11-27T03:09:30.12345679Z';
      }),
    );
  });

  it('given a malformed expiresAt, then INVALID_DATA', () => {
    const reason = expectFailure(
      decodeData('BonusGranted', (d) => (d.expiresAt = '2027-11-27')),
      'INVALID_DATA',
    );
    expect(reason).toMatch(/^data\.expiresAt: must be an ISO-8601 UTC timestamp/);
  });

  it.each(['ApiKeyCreated', 'ApiKeyExpiryChanged'] as const)(
    'given a key expiry that is not a UTC timestamp on %s (a date, a local time, a number), then INVALID_DATA',
    (type) => {
      for (const bad of ['2027-03-01', '2027-03-01T00:00:00+01:00', 1_800_000_000_000]) {
        const reason = expectFailure(
          decodeData(type, (d) => (d.expiresAt = bad)),
          'INVALID_DATA',
        );
        expect(reason).toMatch(/^data\.expiresAt: must be an ISO-8601 UTC timestamp/);
      }
    },
  );

  it('given an ApiKeyCreated written before keys could expire (no expiresAt), then it decodes as a key that never expires', () => {
    const result = decodeEvent(JSON.stringify(MINIMAL.ApiKeyCreated));
    expect(
      result.ok && result.event.type === 'ApiKeyCreated' && result.event.data,
    ).not.toHaveProperty('expiresAt');
    expect(result.ok).toBe(true);
  });

  it('given an ApiKeyExpiryChanged with expiresAt null, then it reads as absent: the key no longer expires', () => {
    const raw = JSON.parse(JSON.stringify(FULL.ApiKeyExpiryChanged)) as {
      data: Record<string, unknown>;
    };
    raw.data.expiresAt = null;
    const result = decodeEvent(raw);
    expect(result).toMatchObject({ ok: true, event: { data: { apiKeyId: 'key_1' } } });
    expect(result.ok && result.event.data).not.toHaveProperty('expiresAt');
  });

  it('given estimated as a string, then INVALID_DATA', () => {
    expectFailure(
      decodeData('UsageObserved', (d) => (d.estimated = 'true')),
      'INVALID_DATA',
      'data.estimated: must be a boolean',
    );
  });

  it('given a referredAccountId that is not an account id, then INVALID_DATA', () => {
    expectFailure(
      decodeData('ReferralRewarded', (d) => (d.referredAccountId = 'acct 77')),
      'INVALID_DATA',
      'data.referredAccountId: must be an account id matching ^[A-Za-z0-9_-]{1,64}$',
    );
  });

  it('given a BalanceChanged cause without id, then INVALID_DATA naming data.cause.id', () => {
    expectFailure(
      decodeData('BalanceChanged', (d) => (d.cause = { type: 'UsageRecorded' })),
      'INVALID_DATA',
      'data.cause.id: is required',
    );
  });

  it.each([['UsageRecorded'], [['UsageRecorded', 'req_1']], [null]])(
    'given a BalanceChanged cause %p, then INVALID_DATA',
    (cause) => {
      const reason = expectFailure(
        decodeData('BalanceChanged', (d) => (d.cause = cause)),
        'INVALID_DATA',
      );
      expect(reason).toMatch(/^data\.cause: (is required|must be a JSON object)$/);
    },
  );

  it('given UsageRecorded unit prices, then they decode; without them the event decodes too', () => {
    const full = expectOk(decodeData('UsageRecorded', () => undefined));
    expect(full.data).toMatchObject({
      pricesPerMillionTokens: {
        input: '0.1',
        output: '0.4',
        cachedInput: '0.025',
        cacheWrite: '0.125',
      },
    });
    const without = expectOk(decodeData('UsageRecorded', (d) => delete d.pricesPerMillionTokens));
    expect(without.data).not.toHaveProperty('pricesPerMillionTokens');
    const asNull = expectOk(decodeData('UsageRecorded', (d) => (d.pricesPerMillionTokens = null)));
    expect(asNull.data).not.toHaveProperty('pricesPerMillionTokens');
  });

  it.each([
    [
      'a missing unit price',
      { input: '1', output: '2', cachedInput: '0.5' },
      'data.pricesPerMillionTokens.cacheWrite: is required',
    ],
    [
      'a negative unit price',
      { input: '-1', output: '2', cachedInput: '0.5', cacheWrite: '1' },
      'data.pricesPerMillionTokens.input: must not be negative',
    ],
    [
      'a unit price as a JSON number',
      { input: '1', output: 2, cachedInput: '0.5', cacheWrite: '1' },
      'data.pricesPerMillionTokens.output: must be a decimal USD string, not a JSON number (money is never a number)',
    ],
    [
      'ten fraction digits',
      { input: '1', output: '2', cachedInput: '0.0000000001', cacheWrite: '1' },
      'data.pricesPerMillionTokens.cachedInput: must be a decimal USD string with at most 9 fraction digits',
    ],
  ])('given UsageRecorded unit prices with %s, then INVALID_DATA', (_what, prices, reason) => {
    expectFailure(
      decodeData('UsageRecorded', (d) => (d.pricesPerMillionTokens = prices)),
      'INVALID_DATA',
      reason,
    );
  });

  it.each([['0.1'], [['0.1', '0.4']]])(
    'given UsageRecorded unit prices %p, then INVALID_DATA',
    (prices) => {
      const reason = expectFailure(
        decodeData('UsageRecorded', (d) => (d.pricesPerMillionTokens = prices)),
        'INVALID_DATA',
      );
      expect(reason).toBe('data.pricesPerMillionTokens: must be a JSON object');
    },
  );

  it('given a negative BalanceChanged version, then INVALID_DATA', () => {
    expectFailure(
      decodeData('BalanceChanged', (d) => (d.version = -1)),
      'INVALID_DATA',
      'data.version: must be a non-negative safe integer',
    );
  });

  it('given several broken fields, then the reason lists each with its rule', () => {
    expectFailure(
      decodeData('UsageRecorded', (d) => {
        delete d.model;
        d.outputTokens = -1;
        d.cost = 0.5;
      }),
      'INVALID_DATA',
      'data.model: is required; data.outputTokens: must be a non-negative safe integer; ' +
        'data.cost: must be a decimal USD string, not a JSON number (money is never a number)',
    );
  });

  it.each(EVENT_TYPES)('given a %s with empty data, then INVALID_DATA', (type) => {
    const reason = expectFailure(
      decodeEvent(JSON.stringify({ ...ENVELOPE, type, data: {} })),
      'INVALID_DATA',
    );
    expect(reason).toMatch(/^data\.\w+: is required/);
  });
});
