import { randomBytes } from 'node:crypto';

/** How long a printed sign-in link works: long enough to open it, short enough to be useless in a scrollback. */
export const SIGN_IN_CODE_TTL_MS = 10 * 60_000;

export interface IssuedCode {
  readonly code: string;
  readonly expiresAtMs: number;
}

export type Redeemed =
  | { readonly ok: true; readonly accountId: string }
  | { readonly ok: false; readonly reason: 'unknown' | 'used' | 'expired' };

/**
 * The banner's sign-in links: a random code per link, good once and for ten minutes, exchanged by
 * the console for an account token (`POST /v1/console/sessions`). They live in this process only,
 * so a restart (which prints a new banner) forgets the old ones. A used or expired code is kept
 * until it would have expired, so the answer can say which it was; nothing else about it is kept.
 */
export class SignInCodes {
  private readonly codes = new Map<
    string,
    { accountId: string; expiresAtMs: number; used: boolean }
  >();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly newCode: () => string = () => randomBytes(24).toString('base64url'),
    private readonly ttlMs = SIGN_IN_CODE_TTL_MS,
  ) {}

  issue(accountId: string): IssuedCode {
    this.forgetExpired();
    const code = this.newCode();
    const expiresAtMs = this.now() + this.ttlMs;
    this.codes.set(code, { accountId, expiresAtMs, used: false });
    return { code, expiresAtMs };
  }

  /** Marks the code used: a second exchange of the same link fails, even within its ten minutes. */
  redeem(code: string): Redeemed {
    const entry = this.codes.get(code);
    this.forgetExpired();
    if (entry === undefined) return { ok: false, reason: 'unknown' };
    if (this.now() >= entry.expiresAtMs) return { ok: false, reason: 'expired' };
    if (entry.used) return { ok: false, reason: 'used' };
    entry.used = true;
    return { ok: true, accountId: entry.accountId };
  }

  private forgetExpired(): void {
    const now = this.now();
    for (const [code, entry] of this.codes) {
      if (now >= entry.expiresAtMs) this.codes.delete(code);
    }
  }
}
