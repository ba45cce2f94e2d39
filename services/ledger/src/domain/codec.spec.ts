import { decodeLedgerEvent, encodeLedgerEvent } from './codec/index.js';
import { LedgerInvariantError } from './errors.js';
import { LEDGER_EVENT_TYPES } from './events.js';
import { days, draws, topUpCredited, usageCharged } from './testing/builders.js';
import { everyEventStory } from './testing/stories.js';

describe('stored event JSON', () => {
  it('given a TopUpCredited, when encoded, then money is a decimal USD string and times are ISO-8601, as in the contract', () => {
    expect(encodeLedgerEvent(topUpCredited('t1', '100', { debtRepaid: '2.5' }))).toEqual({
      type: 'TopUpCredited',
      version: 1,
      data: {
        topUpId: 't1',
        amount: '100',
        method: 'card',
        trigger: 'manual',
        paymentReference: 'pi_t1',
        invoiceId: 'inv_t1',
        lotId: 'top_up:t1',
        debtRepaid: '2.5',
        recordedAt: '2026-01-01T00:00:00.000Z',
      },
    });
  });

  it('given a UsageCharged, when encoded, then each draw names its lot, kind and amount, and absent options stay absent', () => {
    const event = usageCharged('r1', '0.000153', {
      draws: draws(['bonus:g1', '0.0001'], ['top_up:t1', '0.000053']),
      holdId: 'h1',
      capturedHold: '0.01',
      at: days(1),
    });

    expect(encodeLedgerEvent(event)).toEqual({
      type: 'UsageCharged',
      version: 1,
      data: {
        requestId: 'r1',
        model: 'sim/echo-1',
        cost: '0.000153',
        priceVersion: 'v1',
        inputTokens: 1000,
        outputTokens: 500,
        occurredAt: '2026-01-02T00:00:00.000Z',
        holdId: 'h1',
        capturedHold: '0.01',
        draws: [
          { lotId: 'bonus:g1', kind: 'bonus', amount: '0.0001' },
          { lotId: 'top_up:t1', kind: 'top_up', amount: '0.000053' },
        ],
        debtIncurred: '0',
        recordedAt: '2026-01-02T00:00:00.000Z',
      },
    });
  });

  it('given a UsageCharged with the unit prices it was priced at, when encoded and decoded, then they are USD per million tokens and come back exactly', () => {
    const event = usageCharged('r2', '0.0015', {
      draws: draws(['bonus:g1', '0.0015']),
      at: days(1),
      prices: {
        inputNanos: 1_000_000_000n,
        outputNanos: 2_000_000_000n,
        cachedInputNanos: 100_000_000n,
        cacheWriteNanos: 1n,
      },
    });

    const stored = encodeLedgerEvent(event);

    expect(stored.data).toMatchObject({
      priceVersion: 'v1',
      pricesPerMillionTokens: {
        input: '1',
        output: '2',
        cachedInput: '0.1',
        cacheWrite: '0.000000001',
      },
    });
    expect(decodeLedgerEvent(JSON.parse(JSON.stringify(stored)) as typeof stored)).toEqual(event);
  });

  it('given a UsageCharged stored before unit prices were carried, when decoded, then it has none', () => {
    const storedBefore = {
      type: 'UsageCharged',
      version: 1,
      data: {
        requestId: 'r3',
        model: 'sim/echo-1',
        cost: '0.000153',
        priceVersion: 'v1',
        inputTokens: 1000,
        outputTokens: 500,
        occurredAt: '2026-01-02T00:00:00.000Z',
        draws: [{ lotId: 'top_up:t1', kind: 'top_up', amount: '0.000153' }],
        debtIncurred: '0',
        recordedAt: '2026-01-02T00:00:00.000Z',
      },
    };

    const event = decodeLedgerEvent(storedBefore);

    expect(event.type).toBe('UsageCharged');
    expect(event.data).not.toHaveProperty('pricesPerMillionTokens');
    expect(encodeLedgerEvent(event)).toEqual(storedBefore);
  });

  it('given stored unit prices that are not money, when decoded, then it is a broken invariant naming the field', () => {
    const stored = encodeLedgerEvent(
      usageCharged('r4', '0', {
        prices: { inputNanos: 1n, outputNanos: 1n, cachedInputNanos: 1n, cacheWriteNanos: 1n },
      }),
    );
    const broken = {
      ...stored,
      data: { ...stored.data, pricesPerMillionTokens: { input: '1', output: 2 } },
    };

    expect(() => decodeLedgerEvent(broken)).toThrow(LedgerInvariantError);
    expect(() => decodeLedgerEvent(broken)).toThrow(
      'stored UsageCharged.pricesPerMillionTokens.output is not a decimal string',
    );
  });

  it('given a history with every event type, when each is encoded to JSON text and decoded, then it is the same event', () => {
    const { events } = everyEventStory();

    expect(new Set(events.map((event) => event.type))).toEqual(new Set(LEDGER_EVENT_TYPES));
    for (const event of events) {
      const json = JSON.stringify(encodeLedgerEvent(event));
      expect(decodeLedgerEvent(JSON.parse(json) as { type: string; data: unknown })).toEqual(event);
    }
  });

  it('given an unknown event type, when decoded, then it throws', () => {
    expect(() => decodeLedgerEvent({ type: 'BalanceTeleported', version: 1, data: {} })).toThrow(
      LedgerInvariantError,
    );
  });

  it('given a version the ledger has no reader for, when decoded, then it throws instead of guessing', () => {
    const stored = encodeLedgerEvent(topUpCredited('t1', '1'));

    expect(() => decodeLedgerEvent({ ...stored, version: 2 })).toThrow(
      /no reader for TopUpCredited version 2/,
    );
  });

  it.each([
    ['a number for money', { amount: 100 }, /TopUpCredited.amount is not a decimal string/],
    ['a float-looking string', { amount: '1e2' }, /TopUpCredited.amount/],
    ['a time that is not ISO UTC', { recordedAt: '2026-01-01' }, /TopUpCredited.recordedAt/],
    ['an unknown trigger', { trigger: 'cron' }, /TopUpCredited.trigger/],
  ])(
    'given %s in stored data, when decoded, then it throws naming the field',
    (_case, patch, message) => {
      const stored = encodeLedgerEvent(topUpCredited('t1', '100'));

      expect(() => decodeLedgerEvent({ ...stored, data: { ...stored.data, ...patch } })).toThrow(
        message,
      );
    },
  );
});
