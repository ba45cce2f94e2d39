import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import Stripe from 'stripe';
import { eventually } from '@billing/testing';

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
  /**
   * The referral reward payments runs with (`REFERRAL_REWARD_*`), or null for none: the default,
   * where referrals are recorded and nothing is paid.
   */
  readonly referralReward: ReferralReward | null;
  /** `npm run ops -- projections:verify` against this platform's ledger. */
  projectionsVerify(): Promise<CommandResult>;
  /** `npm run ops -- audit:verify [--account ID]` against this platform's ledger. */
  auditVerify(accountId?: string): Promise<CommandResult>;
  /** The last lines of every process's log, for a failure message. */
  logTail(lines?: number): string;
}

/** Decimal strings, as in the environment: `percent` of the first top-up, plus `fixedUsd`, at most `capUsd`. */
/**
 * Tops the account up through `settleTopUp` and resolves once the ledger shows money available:
 * the credit travels payments → `payments.v1` → ledger after the webhook has been answered, so
 * a call made right after `settleTopUp` alone may still meet an empty balance (402). A fresh
 * ledger may first replay its consumer groups' topics, hence the generous default.
 */
export async function fundAccount(
  p: Pick<Platform, 'urls' | 'accountToken' | 'settleTopUp'>,
  accountId: string,
  amountUsd: string,
  timeoutMs = 180_000,
): Promise<SettledTopUp> {
  const settled = await p.settleTopUp(accountId, amountUsd);
  const token = await p.accountToken(accountId);
  await eventually(
    async () => {
      const res = await fetch(`${p.urls.ledger}/v1/accounts/${accountId}/balance`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const balance = (await res.json()) as { available?: string };
      return res.status === 200 && Number(balance.available) > 0 ? true : undefined;
    },
    timeoutMs,
    200,
  );
  return settled;
}

/**
 * Funds the account through `fundAccount`, creates an API key for it on the keys service and
 * resolves once the gateway knows that key: an account a chat completion can be billed to.
 */
export async function fundedAccountKey(
  p: Pick<Platform, 'urls' | 'accountToken' | 'settleTopUp'>,
  accountId: string,
  amountUsd: string,
): Promise<{ readonly token: string; readonly key: string }> {
  const token = await p.accountToken(accountId);
  await fundAccount(p, accountId, amountUsd);
  const res = await fetch(`${p.urls.keys}/v1/accounts/${accountId}/api-keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'e2e' }),
  });
  if (res.status !== 201) throw new Error(`creating a key answered ${res.status}`);
  const { key } = (await res.json()) as { key: string };
  await waitForKey(p.urls.gateway, key);
  return { token, key };
}

/** Resolves once the gateway knows the key (it learns keys from keys.v1): listing models is free. */
export async function waitForKey(gatewayUrl: string, key: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const models = await fetch(`${gatewayUrl}/api/v1/models`, {
      headers: { authorization: `Bearer ${key}` },
    });
    if (models.status === 200) return;
    if (Date.now() > deadline) throw new Error(`the gateway never knew the key (${models.status})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface ReferralReward {
  readonly percent: string;
  readonly fixedUsd: string;
  readonly capUsd: string;
}

/** The reward the e2e platforms that configure one run with (10 % + $1, at most $50). */
export const E2E_REFERRAL_REWARD: ReferralReward = { percent: '10', fixedUsd: '1', capUsd: '50' };

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

/** A top-up opened on payments and the signed `checkout.session.completed` that settles it. */
export interface PreparedTopUp {
  readonly topUpId: string;
  readonly event: StripeEventLike;
}

export interface StripeTopUpOptions {
  /** The payments service's base URL (its `/webhooks/stripe` takes the events). */
  readonly paymentsUrl: string;
  /** The Stripe stand-in's base URL, as this process reaches it. */
  readonly stripeUrl: string;
  readonly stripeSecretKey: string;
  readonly webhookSecret: string;
  readonly consoleJwtSecret: string;
}

/**
 * Top-ups as a customer and Stripe make them, against payments and the Stripe stand-in wherever
 * they run (processes of this test, containers): `prepareTopUp` opens one and builds the signed
 * event that settles it, without delivering it; `settleTopUp` delivers it too.
 */
export function stripeTopUps(options: StripeTopUpOptions): {
  deliverStripeWebhook: (event: StripeEventLike) => Promise<HttpAnswer>;
  prepareTopUp: (accountId: string, amountUsd: string) => Promise<PreparedTopUp>;
  settleTopUp: (accountId: string, amountUsd: string) => Promise<SettledTopUp>;
} {
  const stripeUrl = new URL(options.stripeUrl);
  const stripe = new Stripe(options.stripeSecretKey, {
    host: stripeUrl.hostname,
    port: Number(stripeUrl.port),
    protocol: 'http',
    telemetry: false,
    maxNetworkRetries: 0,
  });
  const hex = (bytes: number): string => randomBytes(bytes).toString('hex');
  const webhookUrl = `${options.paymentsUrl}/webhooks/stripe`;
  const deliverStripeWebhook = (event: StripeEventLike): Promise<HttpAnswer> =>
    postSignedStripeEvent(webhookUrl, options.webhookSecret, event);

  const prepareTopUp = async (accountId: string, amountUsd: string): Promise<PreparedTopUp> => {
    const token = await mintAccountToken(options.consoleJwtSecret, accountId);
    const res = await fetch(`${options.paymentsUrl}/v1/accounts/${accountId}/top-ups`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ amount: amountUsd, method: 'card' }),
    });
    const text = await res.text();
    if (res.status !== 201) {
      throw new Error(`POST /v1/accounts/${accountId}/top-ups answered ${res.status}: ${text}`);
    }
    const created = JSON.parse(text) as { topUpId: string; checkoutUrl: string };
    const sessionId = /\/c\/pay\/(cs_test_\w+)/.exec(created.checkoutUrl)?.[1];
    if (sessionId === undefined) {
      throw new Error(`the checkout URL is not the stand-in's: ${created.checkoutUrl}`);
    }
    // What Stripe knows about the session payments opened, read through Stripe's API (the
    // stand-in, with the `stripe` library), then the event Stripe sends once the customer has
    // paid it by card, signed here. The PaymentIntent id is new to the stand-in: completing
    // the session there would make it send its own webhooks, and this suite signs its own.
    // Nothing asks Stripe about that PaymentIntent, because the top-up names its method.
    const session = (await stripe.checkout.sessions.retrieve(sessionId)) as unknown as Record<
      string,
      unknown
    >;
    const event: StripeEventLike = {
      id: `evt_e2e${hex(12)}`,
      object: 'event',
      api_version: '2026-10-28.endive',
      created: Math.floor(Date.now() / 1000),
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type: 'checkout.session.completed',
      data: {
        object: {
          ...session,
          status: 'complete',
          payment_status: 'paid',
          payment_intent: `pi_e2e${hex(12)}`,
          customer_details: { name: 'E2E Customer', email: `${accountId}@example.com` },
        },
      },
    };
    return { topUpId: created.topUpId, event };
  };
  const settleTopUp = async (accountId: string, amountUsd: string): Promise<SettledTopUp> => {
    const { topUpId, event } = await prepareTopUp(accountId, amountUsd);
    const settlement = await deliverStripeWebhook(event);
    return { topUpId, settlement, event };
  };
  return { deliverStripeWebhook, prepareTopUp, settleTopUp };
}
