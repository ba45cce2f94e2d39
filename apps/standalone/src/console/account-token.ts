import { DEFAULT_ACCOUNT_TOKEN_AUDIENCE, DEFAULT_ACCOUNT_TOKEN_ISSUER } from '@billing/service-kit';
import { SignJWT } from 'jose';

/**
 * An account token (HS256, CONSOLE_JWT_SECRET) for the console routes of one account, with the
 * claims every account-facing service checks (docs/CONTRACTS.md, "Authentication"). Tokens live at
 * most CONSOLE_JWT_MAX_LIFETIME_SECONDS (24 hours by default).
 */
export async function mintAccountToken(
  secret: string,
  accountId: string,
  lifetimeSeconds: number,
): Promise<{ token: string; expiresAt: string }> {
  const issuedAt = Math.floor(Date.now() / 1000);
  const expiresAtSeconds = issuedAt + lifetimeSeconds;
  const token = await new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(accountId)
    .setIssuer(DEFAULT_ACCOUNT_TOKEN_ISSUER)
    .setAudience(DEFAULT_ACCOUNT_TOKEN_AUDIENCE)
    .setIssuedAt(issuedAt)
    .setExpirationTime(expiresAtSeconds)
    .sign(new TextEncoder().encode(secret));
  return { token, expiresAt: new Date(expiresAtSeconds * 1000).toISOString() };
}
