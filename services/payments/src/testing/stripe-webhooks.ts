import Stripe from 'stripe';

/**
 * Signs a webhook body the way Stripe does, with the real `stripe` library (HMAC-SHA256 over
 * `<timestamp>.<body>` with the endpoint secret): what the payments service verifies is exactly
 * what production verifies.
 */
export function stripeSignatureHeader(
  payload: string,
  secret: string,
  timestampSeconds: number = Math.floor(Date.now() / 1000),
): string {
  return Stripe.webhooks.generateTestHeaderString({
    payload,
    secret,
    timestamp: timestampSeconds,
  });
}

export interface SignedWebhook {
  readonly body: string;
  readonly headers: Record<string, string>;
}

/** A Stripe event as Stripe POSTs it: pretty-printed JSON, `Stripe-Signature`, JSON content type. */
export function signedWebhook(
  event: unknown,
  secret: string,
  timestampSeconds?: number,
): SignedWebhook {
  const body = typeof event === 'string' ? event : JSON.stringify(event, null, 2);
  return {
    body,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'stripe-signature': stripeSignatureHeader(body, secret, timestampSeconds),
      'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
    },
  };
}

/** POSTs a signed event to a webhook endpoint; answers its status and body. */
export async function deliverWebhook(
  url: string,
  event: unknown,
  secret: string,
  timestampSeconds?: number,
): Promise<{ status: number; body: string }> {
  const { body, headers } = signedWebhook(event, secret, timestampSeconds);
  const res = await fetch(url, { method: 'POST', headers, body });
  return { status: res.status, body: await res.text() };
}
