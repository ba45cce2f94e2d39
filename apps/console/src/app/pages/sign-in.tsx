import { useEffect, useRef, useState, type FormEvent } from 'react';
import { ApiError } from '../api.js';
import { navigate, useLocation } from '../router.js';
import { sessionFromToken, signIn, type Session } from '../session.js';
import { Problem } from '../ui.js';

/**
 * Signing in: the banner's link (`/sign-in?code=...`) is exchanged for an account token at once;
 * an account token can also be pasted (the banner prints one; a platform's own identity provider
 * issues them in production, docs/CONTRACTS.md "Authentication").
 */
export function SignIn() {
  const location = useLocation();
  const code = location.searchParams.get('code');
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
        const res = await fetch('/v1/console/sessions', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ code }),
        });
        const body = (await res.json()) as Session & { error?: { code: string; message: string } };
        if (!res.ok || body.error !== undefined) {
          throw new ApiError(res.status, body.error?.code ?? 'HTTP', body.error?.message ?? '');
        }
        signIn({ accountId: body.accountId, token: body.token, expiresAt: body.expiresAt });
        navigate('/', { replace: true });
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
    navigate('/', { replace: true });
  };

  return (
    <>
      <h1>Sign in to the billing console</h1>
      {busy ? (
        <p role="status">Signing in…</p>
      ) : (
        <>
          <Problem error={error} />
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
        </>
      )}
    </>
  );
}
