import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The `Billing-Signature` of a low-balance alert webhook, Stripe's scheme: `t=<unix seconds>,
 * v1=<hex HMAC-SHA256 of "<t>.<raw body>" keyed with the endpoint's signing secret>`. The
 * timestamp is signed with the body, so a receiver that rejects old timestamps also rejects a
 * replayed request. docs/CONTRACTS.md tells receivers how to verify it; `verifyAlertSignature` is
 * that recipe in code (the tests use it as a receiver would).
 */
export const SIGNATURE_HEADER = 'Billing-Signature';
export const DELIVERY_ID_HEADER = 'Billing-Delivery-Id';

/** A new signing secret: `whsec_` and 32 random bytes in hex (the log redaction knows the shape). */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('hex')}`;
}

export function alertSignature(secret: string, timestampSeconds: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestampSeconds}.${body}`, 'utf8').digest('hex');
}

export function signatureHeader(secret: string, timestampSeconds: number, body: string): string {
  return `t=${timestampSeconds},v1=${alertSignature(secret, timestampSeconds, body)}`;
}

/**
 * A receiver's check: the header parses, one of its `v1` signatures matches the raw body (compared
 * in constant time), and its timestamp is within `toleranceSeconds` of now.
 */
export function verifyAlertSignature(
  header: string | undefined,
  rawBody: string,
  secret: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  if (header === undefined) return false;
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const [key, value] = part.split('=', 2);
    if (key === 't' && value !== undefined && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    if (key === 'v1' && value !== undefined && /^[0-9a-f]{64}$/.test(value)) signatures.push(value);
  }
  if (timestamp === undefined || Math.abs(nowSeconds - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(alertSignature(secret, timestamp, rawBody), 'hex');
  return signatures.some((s) => timingSafeEqual(Buffer.from(s, 'hex'), expected));
}
