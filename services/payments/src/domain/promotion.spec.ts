import { parseUsd } from '@billing/money';
import {
  decideRedemption,
  discountOf,
  formatPercentOff,
  parsePercentOff,
  validatePromotionCode,
  type PromotionCode,
  type RedemptionCounts,
} from './promotion.js';

// Given a code and the redemptions that count against it, when an account redeems it on a top-up
// at an instant, then the discount and the charge to the nano-dollar, or the typed refusal.

const T0 = Date.UTC(2026, 11, 1);
const DAY = 86_400_000;

const percent = (percentBps: number, over: Partial<PromotionCode> = {}): PromotionCode => ({
  code: 'SPRING10',
  discount: { kind: 'percent', percentBps },
  validFromMs: null,
  validUntilMs: null,
  maxRedemptions: null,
  maxRedemptionsPerAccount: null,
  disabledAtMs: null,
  ...over,
});

const fixed = (amount: string, over: Partial<PromotionCode> = {}): PromotionCode =>
  percent(0, { code: 'FIVE', discount: { kind: 'fixed', amountNanos: parseUsd(amount) }, ...over });

const none: RedemptionCounts = { total: 0, byAccount: 0 };

const given = (code: PromotionCode, counts: RedemptionCounts = none) => ({
  when: (amount: string, nowMs = T0) => decideRedemption(code, counts, parseUsd(amount), nowMs),
});

const accepted = (discount: string, charged: string) => ({
  ok: true,
  value: { discountNanos: parseUsd(discount), chargedNanos: parseUsd(charged) },
});
const refused = (code: string) => ({ ok: false, error: { code } });

describe('promotion codes: percentage and fixed discounts', () => {
  it('given 10% off, when $100 is topped up, then $10 off and $90 charged', () => {
    expect(given(percent(1000)).when('100')).toMatchObject(accepted('10', '90'));
  });

  it('given 10% off, when $10.05 is topped up, then the discount is rounded DOWN to the cent: $1.00 off, $9.05 charged', () => {
    // Exactly $1.005: never more than the stated percentage, and the charge stays whole cents.
    expect(given(percent(1000)).when('10.05')).toMatchObject(accepted('1', '9.05'));
  });

  it('given 12.5% off, when $33.33 is topped up, then $4.16 off (4.16625 rounded down) and $29.17 charged', () => {
    expect(given(percent(1250)).when('33.33')).toMatchObject(accepted('4.16', '29.17'));
  });

  it('given $5 off, when $20 is topped up, then $5 off and $15 charged whatever the amount', () => {
    expect(given(fixed('5')).when('20')).toMatchObject(accepted('5', '15'));
    expect(given(fixed('5')).when('1000')).toMatchObject(accepted('5', '995'));
  });

  it('given $25 off, when $20 is topped up, then refused: a discount larger than the amount is never capped', () => {
    expect(given(fixed('25')).when('20')).toMatchObject(
      refused('PAYMENTS.DISCOUNT_EXCEEDS_AMOUNT'),
    );
  });

  it('given $20 off, when exactly $20 is topped up, then refused: nothing would be charged', () => {
    expect(given(fixed('20')).when('20')).toMatchObject(
      refused('PAYMENTS.DISCOUNT_EXCEEDS_AMOUNT'),
    );
  });

  it('given $19.50 off, then $20 (charging the $0.50 minimum) is accepted and $19.99 is refused', () => {
    expect(given(fixed('19.5')).when('20')).toMatchObject(accepted('19.5', '0.5'));
    expect(given(fixed('19.5')).when('19.99')).toMatchObject(
      refused('PAYMENTS.DISCOUNT_EXCEEDS_AMOUNT'),
    );
  });

  it('given 1% off, when $0.99 is topped up, then refused: the discount rounds down to nothing', () => {
    expect(given(percent(100)).when('0.99')).toMatchObject(
      refused('PAYMENTS.DISCOUNT_EXCEEDS_AMOUNT'),
    );
    expect(discountOf({ kind: 'percent', percentBps: 100 }, parseUsd('0.99'))).toBe(0n);
  });
});

describe('promotion codes: the validity window [validFrom, validUntil)', () => {
  const windowed = percent(1000, { validFromMs: T0, validUntilMs: T0 + DAY });

  it('given a window, when redeemed 1 ms before it opens, then refused', () => {
    expect(given(windowed).when('100', T0 - 1)).toMatchObject(
      refused('PAYMENTS.PROMOTION_CODE_INVALID'),
    );
  });

  it('given a window, when redeemed at its first instant and at its last millisecond, then accepted', () => {
    expect(given(windowed).when('100', T0)).toMatchObject(accepted('10', '90'));
    expect(given(windowed).when('100', T0 + DAY - 1)).toMatchObject(accepted('10', '90'));
  });

  it('given a window, when redeemed exactly at validUntil, then refused: the end is exclusive', () => {
    expect(given(windowed).when('100', T0 + DAY)).toMatchObject(
      refused('PAYMENTS.PROMOTION_CODE_INVALID'),
    );
  });

  it('given a code disabled at T0, when redeemed before T0 then accepted, and at T0 refused', () => {
    const disabled = percent(1000, { disabledAtMs: T0 });
    expect(given(disabled).when('100', T0 - 1)).toMatchObject(accepted('10', '90'));
    expect(given(disabled).when('100', T0)).toMatchObject(
      refused('PAYMENTS.PROMOTION_CODE_INVALID'),
    );
  });
});

describe('promotion codes: redemption limits', () => {
  it('given a per-account limit of 1, when the account has no redemption, then accepted', () => {
    const once = percent(1000, { maxRedemptionsPerAccount: 1 });
    expect(given(once, { total: 7, byAccount: 0 }).when('100')).toMatchObject(accepted('10', '90'));
  });

  it('given a per-account limit of 1, when the account already holds one (reserved or confirmed), then refused', () => {
    const once = percent(1000, { maxRedemptionsPerAccount: 1 });
    expect(given(once, { total: 1, byAccount: 1 }).when('100')).toMatchObject(
      refused('PAYMENTS.PROMOTION_CODE_EXHAUSTED'),
    );
  });

  it('given a total limit of 3, when 2 redemptions count, then accepted; when 3 count, then refused', () => {
    const three = percent(1000, { maxRedemptions: 3 });
    expect(given(three, { total: 2, byAccount: 0 }).when('100')).toMatchObject(
      accepted('10', '90'),
    );
    expect(given(three, { total: 3, byAccount: 0 }).when('100')).toMatchObject(
      refused('PAYMENTS.PROMOTION_CODE_EXHAUSTED'),
    );
  });
});

describe('validatePromotionCode', () => {
  it('accepts a percentage, normalises the code to upper case, and keeps the limits', () => {
    expect(
      validatePromotionCode({
        code: 'spring10',
        percentOff: '12.5',
        validFrom: '2026-12-01T00:00:00Z',
        validUntil: '2027-01-01T00:00:00Z',
        maxRedemptions: 100,
        maxRedemptionsPerAccount: 1,
      }),
    ).toEqual({
      ok: true,
      value: {
        code: 'SPRING10',
        discount: { kind: 'percent', percentBps: 1250 },
        validFromMs: T0,
        validUntilMs: Date.UTC(2027, 0, 1),
        maxRedemptions: 100,
        maxRedemptionsPerAccount: 1,
        disabledAtMs: null,
      },
    });
  });

  it('accepts a fixed amount in whole cents', () => {
    expect(validatePromotionCode({ code: 'FIVE', amountOff: '5.50' })).toMatchObject({
      ok: true,
      value: { discount: { kind: 'fixed', amountNanos: parseUsd('5.5') } },
    });
  });

  it.each([
    [{ code: 'X', percentOff: '10' }, 'PAYMENTS.INVALID_REQUEST'],
    [{ code: 'BOTH', percentOff: '10', amountOff: '5' }, 'PAYMENTS.INVALID_REQUEST'],
    [{ code: 'NEITHER' }, 'PAYMENTS.INVALID_REQUEST'],
    [{ code: 'ALL', percentOff: '100' }, 'PAYMENTS.INVALID_REQUEST'],
    [{ code: 'NONE', percentOff: '0' }, 'PAYMENTS.INVALID_REQUEST'],
    [{ code: 'FINE', percentOff: '10.125' }, 'PAYMENTS.INVALID_REQUEST'],
    [{ code: 'CENT', amountOff: '0.001' }, 'PAYMENTS.INVALID_AMOUNT'],
    [{ code: 'NEG', amountOff: '-5' }, 'PAYMENTS.INVALID_AMOUNT'],
    [
      {
        code: 'BACKWARDS',
        percentOff: '10',
        validFrom: '2027-01-01T00:00:00Z',
        validUntil: '2026-12-01T00:00:00Z',
      },
      'PAYMENTS.INVALID_REQUEST',
    ],
    [{ code: 'ZERO', percentOff: '10', maxRedemptions: 0 }, 'PAYMENTS.INVALID_REQUEST'],
  ] as const)('refuses %p with %s', (request, code) => {
    expect(validatePromotionCode(request)).toMatchObject(refused(code));
  });

  it('formats basis points back to the percentage typed', () => {
    expect([1000, 1250, 1205, 1, 9999].map(formatPercentOff)).toEqual([
      '10',
      '12.5',
      '12.05',
      '0.01',
      '99.99',
    ]);
    expect(['10', '12.5', '12.05', '0.01', '99.99'].map(parsePercentOff)).toEqual([
      1000, 1250, 1205, 1, 9999,
    ]);
  });
});
