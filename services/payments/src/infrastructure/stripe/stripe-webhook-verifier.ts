import Stripe from 'stripe';

export type VerifiedWebhook =
  { readonly ok: true; readonly event: unknown } | { readonly ok: false; readonly reason: string };

/**
 * Checks `Stripe-Signature` over the raw request body with the `stripe` library: HMAC-SHA256 with
 * the endpoint secret, and a timestamp no older than the tolerance (a captured request replayed
 * later is refused). Only then is the body parsed. Never throws.
 */
export class StripeWebhookVerifier {
  constructor(
    private readonly secret: string,
    private readonly toleranceSeconds: number,
  ) {}

  verify(rawBody: Buffer | undefined, signature: string | string[] | undefined): VerifiedWebhook {
    if (rawBody === undefined || rawBody.length === 0) {
      return { ok: false, reason: 'the body must be the raw JSON of a Stripe event' };
    }
    const header = Array.isArray(signature)
      ? signature.length === 1
        ? signature[0]
        : undefined
      : signature;
    if (typeof header !== 'string' || header.length === 0 || header.length > 4096) {
      return { ok: false, reason: 'a single Stripe-Signature header is required' };
    }
    try {
      const event: unknown = Stripe.webhooks.constructEvent(
        rawBody,
        header,
        this.secret,
        this.toleranceSeconds,
      );
      return { ok: true, event };
    } catch (err) {
      if (err instanceof Stripe.errors.StripeSignatureVerificationError) {
        return { ok: false, reason: err.message.split('\n')[0] ?? 'invalid signature' };
      }
      // A valid signature over something that is not JSON.
      return { ok: false, reason: 'the signed body is not valid JSON' };
    }
  }
}
