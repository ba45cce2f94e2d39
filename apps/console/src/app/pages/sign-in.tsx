import { useEffect, useRef, useState, type FormEvent } from 'react';
import { referralCodeOf } from '../../lib/growth.js';
import { ApiError, endpointUrl, type SignedIn } from '../api.js';
import { navigate, useLocation } from '../router.js';
import { sessionFromToken, signIn, type OperatorSession } from '../session.js';
import { Problem } from '../ui.js';
import { pendingReferralCode, rememberReferralCode } from './referrals.js';

/** Where an account lands once signed in: its Referrals page when it came by a referral link. */
const landing = (): string => (pendingReferralCode() === undefined ? '/' : '/referrals');

/**
 * Signing in: the banner's link (`/sign-in?code=...`) is exchanged for an account token at once;
 * an account token can also be pasted (the banner prints one; a platform's own identity provider
 * issues them in production, docs/CONTRACTS.md "Authentication").
 */
export function SignIn() {
  const location = useLocation();
  const code = location.searchParams.get('code');
  // A referral link (`?ref=`) is remembered for the tab before anything can drop it from the URL.
  const [referral] = useState(() => {
    const ref = referralCodeOf(location.searchParams);
    if (ref !== undefined) rememberReferralCode(ref);
    return ref ?? pendingReferralCode();
  });
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(code !== null);
  const exchanged = useRef(false);

  useEffect(() => {
    if (code === null || exchanged.current) return;
    // A code works once: the URL forgets it before anything else can read or repeat it.
    exchanged.current = true;
    window.history.replaceState(null, '', '/sign-in');
    void (async () => {
      try {
        const res = await fetch(endpointUrl('signIn', {}), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ code }),
        });
        const body = (await res.json()) as SignedIn;
        if (!res.ok || body.error !== undefined || body.token === undefined) {
          throw new ApiError(res.status, body.error?.code ?? 'HTTP', body.error?.message ?? '');
        }
        const { token, expiresAt = '' } = body;
        if (body.role !== undefined) {
          // An operator's link (the banner's "Operator desk" or "Auditor desk").
          signIn({ role: body.role, token, expiresAt });
          navigate('/operator', { replace: true });
        } else {
          signIn({ accountId: body.accountId ?? '', token, expiresAt });
          navigate(landing(), { replace: true });
        }
      } catch (err) {
        setError(err);
        setBusy(false);
      }
    })();
  }, [code]);

  const [token, setToken] = useState('');
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    const session = sessionFromToken(token);
    if (session === undefined) {
      setError(new Error('That is not an account token (a JWT with the account as its subject).'));
      return;
    }
    signIn(session);
    navigate(landing(), { replace: true });
  };

  return (
    <>
      <h1>Sign in to the billing console</h1>
      {busy ? (
        <p role="status">Signing in…</p>
      ) : (
        <>
          <Problem error={error} />
          {referral !== undefined && (
            <p role="status">
              You were invited with the referral code <code>{referral}</code>: once you are signed
              in, the Referrals page offers to sign your account up with it.
            </p>
          )}
          <p>
            Open the sign-in link that <code>npm start</code> prints in its banner, or paste an
            account token.
          </p>
          <form onSubmit={submit} className="stack">
            <label htmlFor="token">Account token</label>
            <textarea
              id="token"
              rows={4}
              value={token}
              onChange={(e) => setToken(e.target.value)}
              autoComplete="off"
              spellCheck={false}
              required
            />
            <div>
              <button type="submit">Sign in</button>
            </div>
          </form>
          <OperatorTokenForm />
        </>
      )}
    </>
  );
}

/**
 * An operator's token pasted by hand (distributed mode has no banner link): the admin's or the
 * auditor's. The role chosen here only picks the pages; every service checks the token itself.
 */
function OperatorTokenForm() {
  const [token, setToken] = useState('');
  const [role, setRole] = useState<OperatorSession['role']>('auditor');
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    // An operator's token does not expire; the console forgets it after a working day.
    const expiresAt = new Date(Date.now() + 8 * 3600_000).toISOString();
    signIn({ role, token: token.trim(), expiresAt });
    navigate('/operator', { replace: true });
  };
  return (
    <details>
      <summary>Operators: sign in with the admin or auditor token</summary>
      <form onSubmit={submit} className="stack">
        <label htmlFor="operator-role">Role</label>
        <select
          id="operator-role"
          value={role}
          onChange={(e) => setRole(e.target.value as OperatorSession['role'])}
        >
          <option value="auditor">Auditor (read-only)</option>
          <option value="admin">Admin</option>
        </select>
        <label htmlFor="operator-token">Operator token</label>
        <input
          id="operator-token"
          type="password"
          value={token}
          onChange={(e) => setToken(e.target.value)}
          autoComplete="off"
          required
        />
        <div>
          <button type="submit">Open the operator desk</button>
        </div>
      </form>
    </details>
  );
}
