import type { StoredEvent } from '@billing/event-store';
import { draws, usageCharged } from '../../domain/testing/builders.js';
import { explainCharge, ledgerEventRef } from './request-explanation.js';

const stored = (type: string, version: number, position: bigint): StoredEvent => ({
  streamId: 'account-acct_1',
  version,
  globalPosition: position,
  transactionId: 900n,
  eventId: `00000000-0000-4000-8000-${String(version).padStart(12, '0')}`,
  type,
  data: {},
  metadata: {},
  occurredAt: new Date('2026-01-01T00:00:00.000Z'),
  recordedAt: new Date('2026-01-01T00:00:01.000Z'),
  prevHash: '0'.repeat(64),
  hash: 'f'.repeat(64),
});

const ref = (type: string, version: number, position: string) => ({
  eventId: `00000000-0000-4000-8000-${String(version).padStart(12, '0')}`,
  type,
  streamId: 'account-acct_1',
  streamVersion: version,
  position,
  recordedAt: '2026-01-01T00:00:01.000Z',
});

describe('explainCharge: a UsageCharged and the events it points at, as the customer reads them', () => {
  it('given a charge across a bonus and a top-up lot with its unit prices and captured hold, then every figure is the stored one', () => {
    const { data } = usageCharged('req_1', '0.0015', {
      apiKeyId: 'key_1',
      draws: draws(['bonus:g1', '0.0001'], ['top_up:t1', '0.0014']),
      holdId: 'hold_1',
      capturedHold: '0.02',
      occurredAt: Date.parse('2026-01-01T00:00:00.500Z'),
      at: Date.parse('2026-01-01T00:00:01.000Z'),
      prices: {
        inputNanos: 1_000_000_000n,
        outputNanos: 2_000_000_000n,
        cachedInputNanos: 100_000_000n,
        cacheWriteNanos: 1_250_000_000n,
      },
    });
    const charge = stored('UsageCharged', 9, 12_345_678_901_234n);

    const view = explainCharge({
      accountId: 'acct_1',
      charge,
      data,
      lotOpenings: new Map([
        ['bonus:g1', stored('BonusCredited', 2, 20n)],
        ['top_up:t1', stored('TopUpCredited', 1, 19n)],
      ]),
      holdPlacement: stored('HoldPlaced', 8, 40n),
    });

    expect(view).toEqual({
      accountId: 'acct_1',
      requestId: 'req_1',
      apiKeyId: 'key_1',
      model: 'sim/echo-1',
      completedAt: '2026-01-01T00:00:00.500Z',
      chargedAt: '2026-01-01T00:00:01.000Z',
      tokens: { input: 1000, cachedInput: 0, cacheWrite: 0, output: 500, reasoning: 0 },
      price: {
        version: 'v1',
        perMillionTokens: { input: '1', output: '2', cachedInput: '0.1', cacheWrite: '1.25' },
      },
      cost: '0.0015',
      draws: [
        {
          lotId: 'bonus:g1',
          kind: 'bonus',
          amount: '0.0001',
          lotOpenedBy: ref('BonusCredited', 2, '20'),
        },
        {
          lotId: 'top_up:t1',
          kind: 'top_up',
          amount: '0.0014',
          lotOpenedBy: ref('TopUpCredited', 1, '19'),
        },
      ],
      debtIncurred: '0',
      hold: { holdId: 'hold_1', captured: '0.02', placedBy: ref('HoldPlaced', 8, '40') },
      chargedBy: ref('UsageCharged', 9, '12345678901234'),
    });
  });

  it('given a charge recorded before unit prices were carried, with no key, no hold and debt, then those parts say so', () => {
    const { data } = usageCharged('req_2', '0.5', {
      draws: draws(['gift:x', '0.2']),
      debt: '0.3',
    });

    const view = explainCharge({
      accountId: 'acct_1',
      charge: stored('UsageCharged', 3, 7n),
      data,
      lotOpenings: new Map(),
    });

    expect(view).toMatchObject({
      apiKeyId: null,
      price: { version: 'v1', perMillionTokens: null },
      cost: '0.5',
      draws: [{ lotId: 'gift:x', kind: 'gift', amount: '0.2', lotOpenedBy: null }],
      debtIncurred: '0.3',
      hold: null,
    });
  });

  it('given a hold that was gone when the usage arrived, then the hold is named but nothing was captured', () => {
    const { data } = usageCharged('req_3', '0.1', {
      draws: draws(['top_up:t1', '0.1']),
      holdId: 'hold_gone',
    });

    const view = explainCharge({
      accountId: 'acct_1',
      charge: stored('UsageCharged', 5, 11n),
      data,
      lotOpenings: new Map(),
    });

    expect(view.hold).toEqual({ holdId: 'hold_gone', captured: null, placedBy: null });
  });

  it('given every optional token count, then each kind is shown under its name', () => {
    const { data } = usageCharged('req_4', '0');
    const view = explainCharge({
      accountId: 'acct_1',
      charge: stored('UsageCharged', 1, 1n),
      data: {
        ...data,
        inputTokens: 10,
        cachedInputTokens: 3,
        cacheWriteTokens: 2,
        outputTokens: 7,
        reasoningTokens: 4,
      },
      lotOpenings: new Map(),
    });

    expect(view.tokens).toEqual({
      input: 10,
      cachedInput: 3,
      cacheWrite: 2,
      output: 7,
      reasoning: 4,
    });
  });

  it('gives positions as strings, exact beyond 2^53', () => {
    expect(ledgerEventRef(stored('UsageCharged', 1, 9_007_199_254_740_993n)).position).toBe(
      '9007199254740993',
    );
  });
});
