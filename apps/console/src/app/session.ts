/**
 * Who is signed in: an account's customer (an account token), or an operator (the admin's or the
 * read-only auditor's token), kept in sessionStorage so that it lives as long as the tab (a
 * closed tab forgets it) and is never sent anywhere but this origin's API. The role only decides
 * which pages are shown: the services decide what each token may do (docs/SECURITY.md).
 */
export interface AccountSession {
  readonly accountId: string;
  readonly token: string;
  readonly expiresAt: string;
}

export type OperatorRole = 'admin' | 'auditor';

export interface OperatorSession {
  readonly role: OperatorRole;
  readonly token: string;
  readonly expiresAt: string;
}

export type Session = AccountSession | OperatorSession;

export function isOperator(session: Session | undefined): session is OperatorSession {
  return session !== undefined && 'role' in session;
}

const KEY = 'billing-console.session';
const listeners = new Set<() => void>();
let cached: Session | undefined | null = null;

export function currentSession(): Session | undefined {
  if (cached !== null) return cached;
  const stored = sessionStorage.getItem(KEY);
  cached = stored === null ? undefined : (JSON.parse(stored) as Session);
  if (cached !== undefined && Date.parse(cached.expiresAt) <= Date.now()) {
    sessionStorage.removeItem(KEY);
    cached = undefined;
  }
  return cached;
}

export function signIn(session: Session): void {
  sessionStorage.setItem(KEY, JSON.stringify(session));
  cached = session;
  listeners.forEach((l) => l());
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
  cached = undefined;
  listeners.forEach((l) => l());
}

export function onSessionChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * A session from an account token pasted by hand (the banner prints one): its account and expiry
 * read from the token's claims. Only the API checks the signature; a token it refuses signs out.
 */
export function sessionFromToken(token: string): AccountSession | undefined {
  const payload = token.trim().split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const claims = JSON.parse(
      atob(
        payload
          .replaceAll('-', '+')
          .replaceAll('_', '/')
          .padEnd(Math.ceil(payload.length / 4) * 4, '='),
      ),
    ) as { sub?: unknown; exp?: unknown };
    if (typeof claims.sub !== 'string' || typeof claims.exp !== 'number') return undefined;
    return {
      accountId: claims.sub,
      token: token.trim(),
      expiresAt: new Date(claims.exp * 1000).toISOString(),
    };
  } catch {
    return undefined;
  }
}
