import { formatUsd } from '@billing/money';
import { decide } from './decide.js';
import {
  EMPTY_KEY_SPEND,
  keySpentNanos,
  periodResetsAtMs,
  recordKeyCharge,
  utcDayStartMs,
  utcMonthStartMs,
} from './key-spend.js';
import { decodeLedgerState, encodeLedgerState } from './state-codec.js';
import {
  charge,
  holdExpired,
  holdPlaced,
  placeHold,
  releaseHold,
  T0,
  topUp,
  usd,
} from './testing/builders.js';
import { expectEvents, expectFailure, givenCommands } from './testing/scenario.js';

// Per-key spend limits (issue #17), decided with the hold: given the key's charges and open holds,
// when a hold of the key is placed with its limits, then it is admitted or refused with the limit
// it would pass. Periods are UTC calendar days and months; money to the nano-dollar.

const funded = (...more: Parameters<typeof givenCommands>) =>
  givenCommands(topUp('t1', '100'), ...more);
const at = (iso: string): number => Date.parse(iso);
const k1 = { apiKeyId: 'key_1' };

describe('a key with a daily spend limit of $0.01', () => {
  it('given nothing spent, when a hold of exactly $0.01 is placed, then it is admitted and names its key', () => {
    const outcome = funded().when(placeHold('h1', '0.01', { ...k1, daily: '0.01' }));

    expectEvents(outcome, [holdPlaced('h1', '0.01', k1)]);
  });

  it('given $0.009 charged to the key today, when a hold of $0.001 is placed, then spend is exactly at the limit and it is admitted', () => {
    const outcome = funded(charge('r1', '0.009', { ...k1, at: T0 + 1_000 })).when(
      placeHold('h1', '0.001', { ...k1, daily: '0.01', at: T0 + 2_000 }),
    );

    expectEvents(outcome, [holdPlaced('h1', '0.001', { ...k1, at: T0 + 2_000 })]);
  });

  it.each([
    ['one nano-dollar', '0.001000001'],
    ['one micro-dollar', '0.001001'],
  ])(
    'given $0.009 charged to the key today, when a hold %s over the rest is placed, then it is refused with LEDGER.KEY_DAILY_SPEND_LIMIT_REACHED, saying when it resets',
    (_over, amount) => {
      const outcome = funded(charge('r1', '0.009', { ...k1, at: T0 + 1_000 })).when(
        placeHold('h1', amount, { ...k1, daily: '0.01', at: T0 + 2_000 }),
      );

      expectFailure(outcome, 'LEDGER.KEY_DAILY_SPEND_LIMIT_REACHED');
      expect(!outcome.decision.ok && outcome.decision.error.message).toContain(
        'resets at 2026-01-02T00:00:00.000Z',
      );
    },
  );

  it("given an open $0.006 hold of the key, when a $0.005 hold is placed, then it is refused: the key's open holds count", () => {
    const story = funded(placeHold('h1', '0.006', { ...k1, daily: '0.01' }));

    expectFailure(
      story.when(placeHold('h2', '0.005', { ...k1, daily: '0.01' })),
      'LEDGER.KEY_DAILY_SPEND_LIMIT_REACHED',
    );
    const afterRelease = story.when(releaseHold('h1')).then;
    expectEvents(afterRelease.when(placeHold('h2', '0.005', { ...k1, daily: '0.01' })), [
      holdPlaced('h2', '0.005', k1),
    ]);
  });

  it('given a $0.01 hold captured by a $0.004 charge, then $0.006 more fits and $0.006000001 does not', () => {
    const story = funded(
      placeHold('h1', '0.01', { ...k1, daily: '0.01' }),
      charge('r1', '0.004', { ...k1, holdId: 'h1' }),
    );

    expectEvents(story.when(placeHold('h2', '0.006', { ...k1, daily: '0.01' })), [
      holdPlaced('h2', '0.006', k1),
    ]);
    expectFailure(
      story.when(placeHold('h2', '0.006000001', { ...k1, daily: '0.01' })),
      'LEDGER.KEY_DAILY_SPEND_LIMIT_REACHED',
    );
  });

  it('given a hold of the key past its TTL, when a new hold is placed, then the expired one is settled first and no longer counts', () => {
    const outcome = funded(placeHold('h1', '0.01', { ...k1, daily: '0.01', ttlSeconds: 60 })).when(
      placeHold('h2', '0.01', { ...k1, daily: '0.01', at: T0 + 60_000 }),
    );

    expectEvents(outcome, [
      holdExpired('h1', '0.01', { expiresAt: T0 + 60_000 }),
      holdPlaced('h2', '0.01', { ...k1, at: T0 + 60_000 }),
    ]);
  });

  it('given usage charged to the key without a hold (a hold lost), then that usage counts too', () => {
    expectFailure(
      funded(charge('r1', '0.01', k1)).when(
        placeHold('h1', '0.000000001', { ...k1, daily: '0.01' }),
      ),
      'LEDGER.KEY_DAILY_SPEND_LIMIT_REACHED',
    );
  });

  it('given the key at its limit, when another key of the account or a hold of no key is placed, then they are not affected', () => {
    const story = funded(charge('r1', '0.01', k1));

    expectEvents(story.when(placeHold('h2', '0.01', { apiKeyId: 'key_2', daily: '0.01' })), [
      holdPlaced('h2', '0.01', { apiKeyId: 'key_2' }),
    ]);
    expectEvents(story.when(placeHold('h3', '5')), [holdPlaced('h3', '5')]);
    // The key itself, without limits sent (none set), is not limited either.
    expectEvents(story.when(placeHold('h4', '1', k1)), [holdPlaced('h4', '1', k1)]);
  });

  it('given the key at $0.01, when its limit is raised to $0.02 (the limits come with each hold), then $0.01 more is admitted at once', () => {
    const story = funded(charge('r1', '0.01', k1));

    expectFailure(
      story.when(placeHold('h1', '0.01', { ...k1, daily: '0.01' })),
      'LEDGER.KEY_DAILY_SPEND_LIMIT_REACHED',
    );
    expectEvents(story.when(placeHold('h1', '0.01', { ...k1, daily: '0.02' })), [
      holdPlaced('h1', '0.01', k1),
    ]);
  });

  it("given a key's spend of $0.01 and a balance of $0, when a hold is refused for both, then the key's limit is named (a top-up would not help)", () => {
    const story = givenCommands(topUp('t1', '0.01'), charge('r1', '0.01', k1));

    expectFailure(
      story.when(placeHold('h1', '0.001', { ...k1, daily: '0.01' })),
      'LEDGER.KEY_DAILY_SPEND_LIMIT_REACHED',
    );
    expectFailure(
      story.when(placeHold('h1', '0.001', { ...k1, daily: '1' })),
      'LEDGER.INSUFFICIENT_FUNDS',
    );
  });
});

describe('the UTC day and month boundaries', () => {
  it('given $0.01 charged at 23:59:59.999 UTC, then the same day refuses one nano-dollar more and 00:00:00.000 UTC the next day admits $0.01', () => {
    const lastMs = at('2026-03-10T23:59:59.999Z');
    const story = funded(charge('r1', '0.01', { ...k1, at: lastMs }));

    expectFailure(
      story.when(placeHold('h1', '0.000000001', { ...k1, daily: '0.01', at: lastMs })),
      'LEDGER.KEY_DAILY_SPEND_LIMIT_REACHED',
    );
    const midnight = at('2026-03-11T00:00:00.000Z');
    expectEvents(story.when(placeHold('h1', '0.01', { ...k1, daily: '0.01', at: midnight })), [
      holdPlaced('h1', '0.01', { ...k1, at: midnight }),
    ]);
  });

  it('given a hold placed before midnight and still open after it, then it counts against the new day in full', () => {
    const before = at('2026-03-10T23:59:30.000Z');
    const after = at('2026-03-11T00:00:10.000Z');
    const story = funded(placeHold('h1', '0.008', { ...k1, daily: '0.01', at: before }));

    expectFailure(
      story.when(placeHold('h2', '0.003', { ...k1, daily: '0.01', at: after })),
      'LEDGER.KEY_DAILY_SPEND_LIMIT_REACHED',
    );
  });

  it('given $0.60 charged on the 1st and $0.40 on the 20th, then a monthly limit of $1 refuses one nano-dollar more on the 31st and admits $1 on the 1st of the next month', () => {
    const story = funded(
      charge('r1', '0.6', { ...k1, at: at('2026-01-01T08:00:00.000Z') }),
      charge('r2', '0.4', { ...k1, at: at('2026-01-20T08:00:00.000Z') }),
    );
    const last = at('2026-01-31T23:59:59.999Z');
    const first = at('2026-02-01T00:00:00.000Z');

    const refused = story.when(placeHold('h1', '0.000000001', { ...k1, monthly: '1', at: last }));
    expectFailure(refused, 'LEDGER.KEY_MONTHLY_SPEND_LIMIT_REACHED');
    expect(!refused.decision.ok && refused.decision.error.message).toContain(
      'resets at 2026-02-01T00:00:00.000Z',
    );
    expectEvents(story.when(placeHold('h1', '1', { ...k1, monthly: '1', at: first })), [
      holdPlaced('h1', '1', { ...k1, at: first }),
    ]);
  });

  it('given a key past both its daily and monthly limits, then the monthly one is named (it lasts longer)', () => {
    const story = funded(charge('r1', '1', k1));

    expectFailure(
      story.when(placeHold('h1', '0.01', { ...k1, daily: '1', monthly: '1' })),
      'LEDGER.KEY_MONTHLY_SPEND_LIMIT_REACHED',
    );
  });

  it('resets at the next 00:00 UTC and the next 1st, across a year and a leap February', () => {
    expect(new Date(periodResetsAtMs('daily', at('2026-12-31T12:00:00Z'))).toISOString()).toBe(
      '2027-01-01T00:00:00.000Z',
    );
    expect(new Date(periodResetsAtMs('monthly', at('2026-12-31T12:00:00Z'))).toISOString()).toBe(
      '2027-01-01T00:00:00.000Z',
    );
    expect(new Date(periodResetsAtMs('monthly', at('2028-02-29T23:59:59Z'))).toISOString()).toBe(
      '2028-03-01T00:00:00.000Z',
    );
    expect(new Date(utcDayStartMs(at('2026-03-10T23:59:59.999Z'))).toISOString()).toBe(
      '2026-03-10T00:00:00.000Z',
    );
    expect(new Date(utcMonthStartMs(at('2026-03-31T23:59:59.999Z'))).toISOString()).toBe(
      '2026-03-01T00:00:00.000Z',
    );
  });
});

describe('the key spend book', () => {
  it('forgets the keys of earlier months when the month turns, and ignores a charge stamped in a day already over', () => {
    let book = recordKeyCharge(EMPTY_KEY_SPEND, 'key_old', usd('1'), at('2026-01-15T00:00:00Z'));
    book = recordKeyCharge(book, 'key_1', usd('2'), at('2026-02-01T00:00:01Z'));
    expect([...book.settled.keys()]).toEqual(['key_1']);

    // Another ledger replica's clock a little behind, around midnight: a charge stamped in the
    // previous day (and month) is not added to the current day's or month's spend.
    book = recordKeyCharge(book, 'key_1', usd('3'), at('2026-01-31T23:59:59.900Z'));
    const now = at('2026-02-01T00:00:02Z');
    expect(formatUsd(keySpentNanos(book, 'key_1', 'daily', now))).toBe('2');
    expect(formatUsd(keySpentNanos(book, 'key_1', 'monthly', now))).toBe('2');
  });

  it("survives a snapshot: a decoded state refuses and admits exactly as the folded one, each key's open holds included", () => {
    const story = funded(
      charge('r1', '0.004', { ...k1, at: T0 + 1 }),
      placeHold('h1', '0.005', { ...k1, daily: '0.01', at: T0 + 2 }),
      placeHold('h2', '0.5', { apiKeyId: 'key_2', at: T0 + 3 }),
    );
    const restored = decodeLedgerState(JSON.parse(JSON.stringify(encodeLedgerState(story.state))));
    expect(restored.keySpend).toEqual(story.state.keySpend);

    for (const [amount, ok] of [
      ['0.001', true],
      ['0.001000001', false],
    ] as const) {
      const command = placeHold('h3', amount, { ...k1, daily: '0.01', at: T0 + 4 });
      expect(decide(command, restored)).toEqual(decide(command, story.state));
      expect(decide(command, restored).ok).toBe(ok);
    }
  });

  it('refuses a version 1 snapshot (folded without key spend) rather than read it as nothing spent', () => {
    const v1 = { ...encodeLedgerState(funded().state), v: 1 };
    expect(() => decodeLedgerState(v1)).toThrow(/version 2/);
  });
});
