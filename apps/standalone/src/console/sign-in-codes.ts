import { randomBytes } from 'node:crypto';

/** How long a printed sign-in link works: long enough to open it, short enough to be useless in a scrollback. */
export const SIGN_IN_CODE_TTL_MS = 10 * 60_000;

export interface IssuedCode {
  readonly code: string;
  readonly expiresAtMs: number;
}

/** The operators' two roles: `admin` changes things, `auditor` only reads (docs/SECURITY.md). */
export type OperatorRole = 'admin' | 'auditor';

/** Who a link signs in: one account's customer, or an operator in a role. */
export type SignInSubject = { readonly accountId: string } | { readonly role: OperatorRole };

export type Redeemed =
  | ({ readonly ok: true } & SignInSubject)
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
    { subject: SignInSubject; expiresAtMs: number; used: boolean }
  >();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly newCode: () => string = () => randomBytes(24).toString('base64url'),
    private readonly ttlMs = SIGN_IN_CODE_TTL_MS,
  ) {}

  /** A link that signs in as this account's customer. */
  issue(accountId: string): IssuedCode {
    return this.issueFor({ accountId });
  }

  /** A link that signs in as an operator in `role` (the operator's desk of the console). */
  issueOperator(role: OperatorRole): IssuedCode {
    return this.issueFor({ role });
  }

  private issueFor(subject: SignInSubject): IssuedCode {
    this.forgetExpired();
    const code = this.newCode();
    const expiresAtMs = this.now() + this.ttlMs;
    this.codes.set(code, { subject, expiresAtMs, used: false });
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
    return { ok: true, ...entry.subject };
  }

  private forgetExpired(): void {
    const now = this.now();
    for (const [code, entry] of this.codes) {
      if (now >= entry.expiresAtMs) this.codes.delete(code);
    }
  }
}
