import {
  bonusExpiry,
  grantExpiry,
  NO_CREDIT_LIFETIMES,
  type CreditLifetimes,
} from './credit-lifetimes.js';

const DAY = 86_400_000;
const SETTLED_AT = Date.parse('2026-12-01T10:00:00.000Z');
const policy: CreditLifetimes = {
  bonusDays: 30,
  giftDays: 90,
  referralDays: 180,
  compensationDays: 365,
};

describe('the credit expiry policy', () => {
  it('given no lifetime (the default), then a top-up bonus never expires, as before the policy', () => {
    expect(bonusExpiry(NO_CREDIT_LIFETIMES, SETTLED_AT)).toBeNull();
  });

  it('given a bonus lifetime of 30 days, then the bonus expires exactly 30 days after the settlement', () => {
    expect(bonusExpiry(policy, SETTLED_AT)).toBe(SETTLED_AT + 30 * DAY);
    expect(new Date(bonusExpiry(policy, SETTLED_AT) ?? 0).toISOString()).toBe(
      '2026-12-31T10:00:00.000Z',
    );
  });

  it.each([
    ['gift', 90],
    ['referral', 180],
    ['compensation', 365],
  ] as const)(
    'given a %s granted without expiresAt, then it expires its lifetime (%i days) after the grant',
    (type, days) => {
      expect(grantExpiry(type, null, policy, SETTLED_AT)).toBe(SETTLED_AT + days * DAY);
    },
  );

  it("given an operator's own expiresAt, then the policy's default does not replace it", () => {
    const given = SETTLED_AT + 2 * DAY;
    expect(grantExpiry('gift', given, policy, SETTLED_AT)).toBe(given);
  });

  it('given any policy, then an adjustment never expires', () => {
    expect(grantExpiry('adjustment', null, policy, SETTLED_AT)).toBeNull();
  });

  it('given no lifetime for a type, then its grants without expiresAt never expire', () => {
    for (const type of ['gift', 'referral', 'compensation'] as const) {
      expect(grantExpiry(type, null, NO_CREDIT_LIFETIMES, SETTLED_AT)).toBeNull();
    }
  });
});
