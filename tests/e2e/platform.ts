import { SignJWT } from 'jose';
import Stripe from 'stripe';

/**
 * A running billing platform, seen only through what its users, its operators and Stripe can
 * reach: HTTP base URLs, the admin token, account tokens, signed Stripe webhooks and the ops CLI.
 * The end-to-end scenario (scenario.ts) is written against this interface alone, so the same
 * scenario runs against the five services as separate processes (distributed.ts) and, later,
 * against the standalone process, where every base URL is the same.
 *
 * Nothing here reaches into a service's database, its code or its topics: a test that needs that
 * belongs to the integration level.
 */
export interface Platform {
  /** How the platform runs; only for messages and the few steps whose mechanics differ. */
  readonly mode: 'distributed' | 'standalone';
  /** Base URLs without a trailing slash. In standalone mode they are all the same URL. */
  readonly urls: PlatformUrls;
  /** `ADMIN_TOKEN`: every management route and `/v1/admin/*`. */
  readonly adminToken: string;
  /** An account's console token (HS256 JWT with `CONSOLE_JWT_SECRET`, `sub` = account id). */
  accountToken(accountId: string, ttlSeconds?: number): Promise<string>;
  /**
   * Sends a Stripe event to `POST /webhooks/stripe`, signed as Stripe signs it (the `stripe`
   * library's HMAC over `<timestamp>.<body>` with the endpoint secret). Only where the platform
   * takes Stripe webhooks; standalone mode's simulated provider has none.
   */
  readonly deliverStripeWebhook?: (event: StripeEventLike) => Promise<HttpAnswer>;
  /**
   * Tops an account up the way a customer does and returns once the payment provider has told
   * payments that the money arrived (the credit itself reaches the ledger asynchronously). In
   * distributed mode: `POST /top-ups`, the Checkout Session it opened on the Stripe stand-in, and a
   * signed `checkout.session.completed` built from that session. In standalone mode: whatever the
   * simulated provider does.
   */
  settleTopUp(accountId: string, amountUsd: string): Promise<SettledTopUp>;
  /** `npm run ops -- projections:verify` against this platform's ledger. */
  projectionsVerify(): Promise<CommandResult>;
  /** `npm run ops -- audit:verify [--account ID]` against this platform's ledger. */
  auditVerify(accountId?: string): Promise<CommandResult>;
  /** The last lines of every process's log, for a failure message. */
  logTail(lines?: number): string;
}

export interface PlatformUrls {
  readonly gateway: string;
  readonly keys: string;
  readonly metering: string;
  readonly ledger: string;
  readonly payments: string;
}

export interface SettledTopUp {
  readonly topUpId: string;
  /** What the payment provider's side answered (e.g. the webhook's status and body). */
  readonly settlement: HttpAnswer;
  /** The Stripe event that settled it, when there was one (to replay it in a test). */
  readonly event?: StripeEventLike;
}

export interface HttpAnswer {
  readonly status: number;
  readonly body: string;
}

export interface CommandResult {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The part of a Stripe event that matters to us; the body sent is the whole object. */
export interface StripeEventLike {
  readonly id: string;
  readonly object: 'event';
  readonly type: string;
  readonly data: { readonly object: Record<string, unknown> };
  readonly [field: string]: unknown;
}

/** The console's account token: HS256, `sub` = account id, the default `iss` and `aud`, `iat` and `exp`. */
export async function mintAccountToken(
  secret: string,
  accountId: string,
  ttlSeconds = 3600,
): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(accountId)
    .setIssuer('billing-console')
    .setAudience('billing-api')
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .sign(new TextEncoder().encode(secret));
}

/** POSTs an event to a webhook endpoint as Stripe does: the body signed with the `stripe` library. */
export async function postSignedStripeEvent(
  webhookUrl: string,
  secret: string,
  event: StripeEventLike,
): Promise<HttpAnswer> {
  const payload = JSON.stringify(event, null, 2);
  const signature = Stripe.webhooks.generateTestHeaderString({
    payload,
    secret,
    timestamp: Math.floor(Date.now() / 1000),
  });
  const res = await fetch(webhookUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'stripe-signature': signature,
      'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
    },
    body: payload,
  });
  return { status: res.status, body: await res.text() };
}
