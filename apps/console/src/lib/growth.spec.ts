import {
  checkPromotionCode,
  formatTtft,
  normalizeReferralCode,
  promotionCodeProblem,
  referralCodeOf,
  referralLink,
  referralProblem,
} from './growth.js';

describe('checkPromotionCode', () => {
  it('takes a code in any case, with spaces around it, as payments matches it', () => {
    expect(checkPromotionCode('  spring10 ')).toEqual({ ok: true, code: 'SPRING10' });
    expect(checkPromotionCode('BLACK-FRIDAY_26')).toEqual({ ok: true, code: 'BLACK-FRIDAY_26' });
  });

  it.each([
    ['', 'Enter a promotion code.'],
    ['ab', 'A promotion code is 3 to 40 letters, digits, "-" or "_", like SPRING10.'],
    ['-SPRING', 'A promotion code is 3 to 40 letters, digits, "-" or "_", like SPRING10.'],
    ['SPRING 10', 'A promotion code is 3 to 40 letters, digits, "-" or "_", like SPRING10.'],
    ['A'.repeat(41), 'A promotion code is 3 to 40 letters, digits, "-" or "_", like SPRING10.'],
  ])('refuses %j before asking the API: %s', (input, problem) => {
    expect(checkPromotionCode(input)).toEqual({ ok: false, problem });
  });
});

describe('promotionCodeProblem', () => {
  const refusal = (status: number, code: string, message: string) => ({ status, code, message });

  it('says that an unknown code does not exist', () => {
    expect(
      promotionCodeProblem(
        refusal(400, 'PAYMENTS.PROMOTION_CODE_INVALID', 'promotion code NOPE does not exist'),
        'NOPE',
      ),
    ).toBe('There is no promotion code NOPE. Check its spelling.');
  });

  it('says that an expired code has expired, and when', () => {
    expect(
      promotionCodeProblem(
        refusal(
          400,
          'PAYMENTS.PROMOTION_CODE_INVALID',
          'promotion code OLD expired at 2026-12-01T00:00:00.000Z',
        ),
        'OLD',
      ),
    ).toBe(
      'The promotion code OLD has expired (promotion code OLD expired at 2026-12-01T00:00:00.000Z).',
    );
  });

  it('says that a disabled or not-yet-valid code cannot be used now', () => {
    expect(
      promotionCodeProblem(
        refusal(400, 'PAYMENTS.PROMOTION_CODE_INVALID', 'promotion code X1Y is no longer valid'),
        'X1Y',
      ),
    ).toBe('The promotion code X1Y cannot be used now (promotion code X1Y is no longer valid).');
  });

  it('says that an exhausted code has been used up', () => {
    expect(
      promotionCodeProblem(
        refusal(
          409,
          'PAYMENTS.PROMOTION_CODE_EXHAUSTED',
          'promotion code ONCE has been redeemed the most times allowed',
        ),
        'ONCE',
      ),
    ).toBe(
      'The promotion code ONCE has been used up (promotion code ONCE has been redeemed the most times allowed).',
    );
  });

  it('passes on why a discount does not fit the amount', () => {
    expect(
      promotionCodeProblem(
        refusal(400, 'PAYMENTS.DISCOUNT_EXCEEDS_AMOUNT', 'top up a larger amount'),
        'BIG',
      ),
    ).toBe('The promotion code BIG does not fit this amount (top up a larger amount).');
  });

  it('names any other failure with its message, or its status', () => {
    expect(promotionCodeProblem(refusal(503, 'HTTP_503', ''), 'ANY')).toBe(
      'The promotion code ANY could not be checked: the server answered 503.',
    );
  });
});

describe('referral codes and links', () => {
  it('accepts 8 characters of Crockford’s base 32 in any case', () => {
    expect(normalizeReferralCode(' k7m2qx9p ')).toBe('K7M2QX9P');
  });

  it.each(['K7M2QX9', 'K7M2QX9PP', 'K7M2QX9I', 'K7M2QX9L', 'K7M2QX9O', 'K7M2QX9U', 'K7M2-X9P'])(
    'refuses %s',
    (code) => {
      expect(normalizeReferralCode(code)).toBeUndefined();
    },
  );

  it('makes a sign-up link that carries the code, and reads the code back from it', () => {
    const link = referralLink('http://localhost:8080', 'K7M2QX9P');
    expect(link).toBe('http://localhost:8080/sign-in?ref=K7M2QX9P');
    expect(referralCodeOf(new URL(link).searchParams)).toBe('K7M2QX9P');
    expect(referralCodeOf(new URLSearchParams('ref=k7m2qx9p'))).toBe('K7M2QX9P');
  });

  it('ignores a link without a code, or with something that is not one', () => {
    expect(referralCodeOf(new URLSearchParams(''))).toBeUndefined();
    expect(referralCodeOf(new URLSearchParams('ref=<script>'))).toBeUndefined();
  });

  it.each([
    [
      'PAYMENTS.REFERRAL_CODE_UNKNOWN',
      'No account has the referral code K7M2QX9P. Check its spelling.',
    ],
    [
      'PAYMENTS.SELF_REFERRAL',
      "K7M2QX9P is this account's own referral code; share it with others instead.",
    ],
    [
      'PAYMENTS.ALREADY_REFERRED',
      'This account signed up with another referral code already; it keeps that one.',
    ],
    [
      'PAYMENTS.REFERRAL_TOO_LATE',
      'A referral code can only be used before the account’s first top-up is paid.',
    ],
  ])('explains %s', (code, text) => {
    expect(referralProblem({ status: 409, code, message: 'whatever' }, 'K7M2QX9P')).toBe(text);
  });
});

describe('formatTtft', () => {
  it('writes whole milliseconds as seconds, without a float', () => {
    expect(formatTtft(31_005)).toBe('31.005 s');
    expect(formatTtft(0)).toBe('0.000 s');
    expect(formatTtft(null)).toBe('—');
  });
});
