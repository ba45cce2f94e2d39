import { FULL, MINIMAL } from './__fixtures__/examples.js';
import { decodeEvent } from './decode.js';
import { createEvent, encodeEvent, InvalidEventError, messageKey } from './encode.js';
import { EVENT_TYPES, type DataOf } from './events.js';

const ID = '3f2c1d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f';
const data: DataOf<'TopUpSettled'> = {
  topUpId: 'tu_9',
  amount: '0.5',
  method: 'alipay',
  trigger: 'auto',
  paymentReference: 'pi_9',
  invoiceId: 'inv_9',
};

describe('createEvent', () => {
  it('given type, data, id and time from the caller, then it builds the current version', () => {
    const event = createEvent({
      type: 'TopUpSettled',
      accountId: 'acct_9',
      source: 'payments',
      data,
      id: ID,
      occurredAt: '2026-11-27T03:09:32.123Z',
      causationId: 'evt_stripe_1',
    });
    expect(event).toEqual({
      id: ID,
      type: 'TopUpSettled',
      version: 1,
      occurredAt: '2026-11-27T03:09:32.123Z',
      accountId: 'acct_9',
      source: 'payments',
      causationId: 'evt_stripe_1',
      data,
    });
    expect(event).not.toHaveProperty('correlationId');
  });

  it('given occurredAt as a Date, then it is written as ISO-8601 UTC', () => {
    const event = createEvent({
      type: 'ApiKeyDeleted',
      accountId: 'acct_9',
      source: 'keys',
      data: { apiKeyId: 'key_9' },
      id: ID,
      occurredAt: new Date(Date.UTC(2026, 10, 27, 3, 9, 32, 5)),
    });
    expect(event.occurredAt).toBe('2026-11-27T03:09:32.005Z');
  });

  it('given data that breaks a rule, then it throws InvalidEventError: nothing invalid is produced', () => {
    const attempt = () =>
      createEvent({
        type: 'TopUpSettled',
        accountId: 'acct_9',
        source: 'payments',
        data: { ...data, amount: '0' },
        id: ID,
        occurredAt: '2026-11-27T03:09:32.123Z',
      });
    expect(attempt).toThrow(InvalidEventError);
    expect(attempt).toThrow('invalid event: data.amount: must be greater than 0');
  });

  it('given a money amount smuggled in as a number, then it throws', () => {
    expect(() =>
      createEvent({
        type: 'CreditsAdjusted',
        accountId: 'acct_9',
        source: 'payments',
        data: { adjustmentId: 'a', amount: 5 as unknown as string, reason: 'r' },
        id: ID,
        occurredAt: '2026-11-27T03:09:32.123Z',
      }),
    ).toThrow(/data\.amount: must be a decimal USD string, not a JSON number/);
  });

  it('given an id that is not a UUID or an invalid Date, then it throws', () => {
    const base = {
      type: 'ApiKeyDeleted',
      accountId: 'acct_9',
      source: 'keys',
      data: { apiKeyId: 'key_9' },
    } as const;
    expect(() => createEvent({ ...base, id: 'evt-1', occurredAt: new Date(0) })).toThrow(
      'invalid event: id: must be a lowercase UUID (8-4-4-4-12 hex digits)',
    );
    expect(() => createEvent({ ...base, id: ID, occurredAt: new Date(Number.NaN) })).toThrow(
      'invalid event: occurredAt: must be a valid date',
    );
  });
});

describe('encodeEvent', () => {
  it.each(EVENT_TYPES)(
    'given a %s, when encoded and decoded, then it is the same event',
    (type) => {
      for (const event of [FULL[type], MINIMAL[type]]) {
        const decoded = decodeEvent(encodeEvent(event));
        expect(decoded).toEqual({ ok: true, event });
      }
    },
  );

  it('given an event, then the envelope fields come in a fixed order and money stays a string', () => {
    const text = encodeEvent({ ...FULL.TopUpRefunded, correlationId: 'c' });
    expect(Object.keys(JSON.parse(text) as object)).toEqual([
      'id',
      'type',
      'version',
      'occurredAt',
      'accountId',
      'source',
      'correlationId',
      'data',
    ]);
    expect(text).toContain('"amount":"120"');
  });

  it('given the same event twice, then the bytes are the same', () => {
    expect(encodeEvent(FULL.BalanceChanged)).toBe(encodeEvent({ ...FULL.BalanceChanged }));
  });
});

describe('messageKey', () => {
  it('given an event, then the Kafka key is its account id', () => {
    expect(messageKey(FULL.UsageRecorded)).toBe('acct_42');
  });
});
