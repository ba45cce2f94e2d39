import { parseUsd } from '@billing/money';
import {
  adminCreditFingerprint,
  validateAdminCredit,
  type AdminCreditRequest,
} from './admin-credit.js';

const base: AdminCreditRequest = {
  accountId: 'acct_1',
  type: 'gift',
  amount: '25',
  reason: 'welcome',
  reference: 'ref-1',
};

describe('validateAdminCredit', () => {
  it('accepts a positive gift and a negative adjustment', () => {
    expect(validateAdminCredit(base, null, 0)).toMatchObject({
      ok: true,
      value: { amountNanos: parseUsd('25') },
    });
    expect(validateAdminCredit({ ...base, type: 'adjustment', amount: '-2.5' }, null, 0).ok).toBe(
      true,
    );
  });

  it.each([
    [{ amount: '0' }, null, 'PAYMENTS.INVALID_AMOUNT'],
    [{ amount: '-1' }, null, 'PAYMENTS.INVALID_AMOUNT'],
    [{ amount: 'abc' }, null, 'PAYMENTS.INVALID_AMOUNT'],
    [{ amount: '10000000000' }, null, 'PAYMENTS.INVALID_AMOUNT'],
    [{ type: 'adjustment', amount: '0' }, null, 'PAYMENTS.INVALID_AMOUNT'],
    [{ type: 'adjustment', amount: '1' }, 10, 'PAYMENTS.INVALID_REQUEST'],
    [{}, 5, 'PAYMENTS.INVALID_REQUEST'],
    [{ referredAccountId: 'acct_2' }, null, 'PAYMENTS.INVALID_REQUEST'],
    [{ claimId: 'claim_1' }, null, 'PAYMENTS.INVALID_REQUEST'],
  ] as const)('refuses %p (expiresAt %p) with %s', (over, expiresAtMs, code) => {
    const result = validateAdminCredit({ ...base, ...over }, expiresAtMs, 5);
    expect(result).toMatchObject({ ok: false, error: { code } });
  });

  it('fingerprints the meaning, not the spelling', () => {
    const a = validateAdminCredit(base, null, 0);
    const b = validateAdminCredit({ ...base, amount: '25.00' }, null, 0);
    const c = validateAdminCredit({ ...base, amount: '26' }, null, 0);
    if (!a.ok || !b.ok || !c.ok) throw new Error('expected valid requests');
    expect(adminCreditFingerprint(a.value)).toBe(adminCreditFingerprint(b.value));
    expect(adminCreditFingerprint(a.value)).not.toBe(adminCreditFingerprint(c.value));
  });
});
