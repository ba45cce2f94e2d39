import Stripe from 'stripe';

export interface StripeClientSettings {
  readonly secretKey: string;
  /** `http(s)://host:port` of a Stripe stand-in (STRIPE_API_BASE); api.stripe.com when absent. */
  readonly apiBase?: string | undefined;
  readonly maxNetworkRetries: number;
  readonly timeoutMs: number;
}

/**
 * The `stripe` library's client, pinned to the API version the library was generated for. With an
 * `apiBase` every request goes there instead of api.stripe.com (the stand-in in tests and offline
 * runs); nothing else changes, so the stand-in sees exactly what Stripe would.
 */
export function createStripeClient(settings: StripeClientSettings): Stripe {
  const base = settings.apiBase === undefined ? undefined : new URL(settings.apiBase);
  const protocol = base?.protocol === 'http:' ? 'http' : 'https';
  return new Stripe(settings.secretKey, {
    maxNetworkRetries: settings.maxNetworkRetries,
    timeout: settings.timeoutMs,
    telemetry: false,
    appInfo: { name: 'llm-billing-payments' },
    ...(base === undefined
      ? {}
      : {
          host: base.hostname,
          port: base.port === '' ? (protocol === 'http' ? 80 : 443) : Number(base.port),
          protocol,
        }),
  });
}
