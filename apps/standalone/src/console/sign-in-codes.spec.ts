import { SIGN_IN_CODE_TTL_MS, SignInCodes } from './sign-in-codes.js';

describe('the banner’s sign-in codes', () => {
  let now = 1_000_000;
  let next = 0;
  const codes = (): SignInCodes =>
    new SignInCodes(
      () => now,
      () => `code${(next += 1)}`,
    );

  it('exchanges a fresh code once for its account', () => {
    const c = codes();
    const { code, expiresAtMs } = c.issue('acct_demo');
    expect(expiresAtMs).toBe(now + SIGN_IN_CODE_TTL_MS);
    expect(c.redeem(code)).toEqual({ ok: true, accountId: 'acct_demo' });
  });

  it('exchanges an operator code once for its role, never for an account', () => {
    const c = codes();
    const admin = c.issueOperator('admin').code;
    const auditor = c.issueOperator('auditor').code;
    expect(c.redeem(auditor)).toEqual({ ok: true, role: 'auditor' });
    expect(c.redeem(admin)).toEqual({ ok: true, role: 'admin' });
    expect(c.redeem(admin)).toEqual({ ok: false, reason: 'used' });
  });

  it('refuses a replayed code: a link copied from a scrollback after its use opens nothing', () => {
    const c = codes();
    const { code } = c.issue('acct_demo');
    c.redeem(code);
    expect(c.redeem(code)).toEqual({ ok: false, reason: 'used' });
  });

  it('refuses a code after its ten minutes, even unused', () => {
    const c = codes();
    const { code } = c.issue('acct_demo');
    now += SIGN_IN_CODE_TTL_MS - 1;
    const other = c.issue('acct_demo').code;
    now += 1;
    expect(c.redeem(code)).toEqual({ ok: false, reason: 'expired' });
    expect(c.redeem(other)).toEqual({ ok: true, accountId: 'acct_demo' });
  });

  it('refuses a code at the very instant it expires', () => {
    const c = codes();
    const { code } = c.issue('acct_demo');
    now += SIGN_IN_CODE_TTL_MS;
    expect(c.redeem(code).ok).toBe(false);
  });

  it('refuses a code it never issued', () => {
    expect(codes().redeem('guessed')).toEqual({ ok: false, reason: 'unknown' });
  });
});
