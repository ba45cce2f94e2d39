import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeForm, FormDecodeError, type FormObject } from '../form-encoding.js';
import { deliverWebhook } from '../stripe-webhooks.js';
import { execute } from './api.js';
import {
  asyncPaymentFailed,
  asyncPaymentSucceeded,
  completeCheckoutSession,
  completeSetupSession,
  expireCheckoutSession,
  type CheckoutPayment,
} from './checkout.js';
import { detachPaymentMethod, savePaymentMethod } from './customers.js';
import { authenticate, header, invalid, StripeApiError } from './errors.js';
import { handleOutOfBand } from './out-of-band.js';
import { refund, succeedPaymentIntent } from './payment-intents.js';
import { StripeStore } from './store.js';
import {
  STAND_IN_API_VERSION,
  type RecordedRequest,
  type StripeEvent,
  type StripeObject,
  type StripeStandInOptions,
} from './types.js';
import { canonical, clone, randomId } from './values.js';

export {
  STAND_IN_API_VERSION,
  type RecordedRequest,
  type StripeEvent,
  type StripeObject,
  type StripeStandInOptions,
} from './types.js';

/**
 * A STRIPE STAND-IN: a small HTTP server that answers the part of Stripe's API the payments
 * service calls, for tests and for runs without network access to Stripe (`STRIPE_API_BASE`).
 * It is not Stripe and does not pretend to be complete. It checks requests the way Stripe does
 * where it matters to us, and answers with objects shaped like Stripe's (API 2026-10-28.endive):
 *
 * - `Authorization: Bearer <secret key>` (401 otherwise), form-encoded bodies, unknown parameters
 *   refused (`parameter_unknown`), required parameters checked (`parameter_missing`), integers
 *   that must be integers (`unit_amount`), metadata limits (50 keys, 40-char keys, 500-char values).
 * - `Idempotency-Key`: the same key with the same parameters replays the first response (status and
 *   body, header `Idempotent-Replayed: true`); with other parameters it is a 400 `idempotency_error`.
 *   Stricter than Stripe: a POST without a key is refused, because the payments service must never
 *   send one (a retried charge without a key can charge twice).
 * - `POST /v1/checkout/sessions` (mode `payment`, and mode `setup` with `customer`, `currency`,
 *   `setup_intent_data`), `GET /v1/checkout/sessions/{id}`;
 *   `POST /v1/payment_intents` (confirm + off_session charges of a saved card: the customer must
 *   exist and the PaymentMethod must be attached to it, as at Stripe),
 *   `GET /v1/payment_intents/{id}` with `expand[]=latest_charge|payment_method`.
 * - `POST /v1/customers` (metadata), `GET /v1/customers/{id}`; `GET /v1/setup_intents/{id}`;
 *   `GET /v1/payment_methods/{id}` (with `customer`), `GET /v1/payment_methods?customer=`,
 *   `POST /v1/payment_methods/{id}/detach` (a detached PaymentMethod is never attached or
 *   charged again).
 * - Test cards as Stripe names them: `pm_card_chargeDeclined` (402 `card_declined`),
 *   `pm_card_chargeDeclinedInsufficientFunds`, `pm_card_authenticationRequired` (402
 *   `authentication_required`), `pm_usBankAccount` (answers `processing`; finish it with
 *   `succeedPaymentIntent`), any other `pm_...` succeeds (`pm_alipay...` is an Alipay method).
 *   A card saved through a setup session (`completeSetupSession(id, {paymentMethod})`) gets an id
 *   of its own and behaves as the test card it was saved from.
 *
 * What a customer or Stripe does later is driven from the test through methods that change the
 * stored objects and return the Stripe events that would be sent (`completeCheckoutSession`,
 * `completeSetupSession`, `detachPaymentMethod`, `expireCheckoutSession`, `refund`, ...); `deliver` signs one with the `stripe` library and POSTs it
 * to the webhook endpoint. Every API request is recorded in `requests` for assertions.
 *
 * The modules: `index.ts` the HTTP server (idempotency, recorded requests, injected failures),
 * `api.ts` the routes, `checkout.ts`, `payment-intents.ts` and `customers.ts` what each object
 * does, `store.ts` the objects, `params.ts` and `errors.ts` Stripe's validation and error bodies,
 * `cards.ts` the test cards, `out-of-band.ts` the hosted pages and the test-driving routes.
 */

interface Idempotent {
  readonly method: string;
  readonly path: string;
  readonly params: string;
  readonly status: number;
  readonly body: unknown;
}

export class StripeStandIn {
  readonly requests: RecordedRequest[] = [];
  private readonly store = new StripeStore();
  private readonly idempotency = new Map<string, Idempotent>();
  private readonly inFlightKeys = new Set<string>();
  private webhook: { readonly url: string; readonly secret: string } | undefined;
  private dropResponses: { count: number; only?: { method: string; path: string } } = {
    count: 0,
  };
  private failures: { count: number; status: number } = { count: 0, status: 500 };

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly options: StripeStandInOptions,
  ) {
    this.webhook = options.webhook;
  }

  /** Where `deliver` POSTs events (the application under test may start after the stand-in). */
  useWebhook(webhook: { readonly url: string; readonly secret: string }): void {
    this.webhook = webhook;
  }

  static async start(options: StripeStandInOptions): Promise<StripeStandIn> {
    const holder: { standIn?: StripeStandIn } = {};
    const server = createServer((req, res) => {
      void holder.standIn?.handle(req, res);
    });
    server.keepAliveTimeout = 1_000;
    await new Promise<void>((resolve) =>
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve),
    );
    const { address, port } = server.address() as AddressInfo;
    const standIn = new StripeStandIn(server, `http://${address}:${port}`, options);
    holder.standIn = standIn;
    return standIn;
  }

  get port(): number {
    return Number(new URL(this.url).port);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Forgets recorded requests (objects and idempotency keys stay, as at Stripe). */
  clearRequests(): void {
    this.requests.length = 0;
  }

  /** Requests to one endpoint (`POST /v1/payment_intents`), replays included. */
  requestsTo(method: string, path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && r.path === path);
  }

  /**
   * The next `count` requests are executed (objects created, idempotency stored) but the
   * connection is then destroyed without an answer: a timeout or a crash on our side. With
   * `only`, the requests to that endpoint only (`POST /v1/payment_intents`).
   */
  dropNextResponses(count: number, only?: { method: string; path: string }): void {
    this.dropResponses = only === undefined ? { count } : { count, only };
  }

  /** The next `count` requests fail with `status` before doing anything (a Stripe outage). */
  failNextRequests(count: number, status = 500): void {
    this.failures = { count, status };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const parsedUrl = new URL(req.url ?? '/', this.url);
    const method = req.method ?? 'GET';
    const path = parsedUrl.pathname;
    if (path.startsWith('/c/pay/') || path.startsWith('/_stand-in/')) {
      await handleOutOfBand(this, this.store, this.options.secretKey, req, res, method, path, body);
      return;
    }
    const key = header(req, 'idempotency-key');
    let params: FormObject = {};
    let status: number;
    let response: unknown;
    let replayed = false;
    try {
      authenticate(req, this.options.secretKey);
      if (this.failures.count > 0) {
        this.failures.count--;
        throw new StripeApiError(this.failures.status, {
          error: { type: 'api_error', message: 'The stand-in was told to fail this request.' },
        });
      }
      if (method === 'POST') {
        const type = header(req, 'content-type') ?? '';
        if (!type.startsWith('application/x-www-form-urlencoded')) {
          throw invalid(
            'Stripe API requests must be form-encoded (application/x-www-form-urlencoded).',
          );
        }
        params = decodeForm(body);
        if (key === undefined || key === '') {
          throw invalid(
            'The Stripe stand-in requires an Idempotency-Key header on every POST.',
            'idempotency_key_missing',
          );
        }
        if (key.length > 255) throw invalid('Idempotency-Key must be at most 255 characters.');
        const stored = this.idempotency.get(key);
        const fingerprint = canonical(params);
        if (stored !== undefined) {
          if (stored.method !== method || stored.path !== path || stored.params !== fingerprint) {
            throw new StripeApiError(400, {
              error: {
                type: 'idempotency_error',
                message:
                  'Keys for idempotent requests can only be used with the same parameters they were first used with. ' +
                  `Try using a key other than '${key}' if you meant to execute a different request.`,
              },
            });
          }
          status = stored.status;
          response = clone(stored.body);
          replayed = true;
        } else {
          if (this.inFlightKeys.has(key)) {
            throw new StripeApiError(409, {
              error: {
                type: 'idempotency_error',
                message:
                  'There is currently another in-progress request using this Idempotent Key.',
              },
            });
          }
          this.inFlightKeys.add(key);
          try {
            ({ status, response } = execute(this.store, this.url, method, path, params));
          } catch (err) {
            if (!(err instanceof StripeApiError)) throw err;
            ({ status, response } = { status: err.status, response: err.body });
          } finally {
            this.inFlightKeys.delete(key);
          }
          // Stripe stores the outcome of any request that started executing, errors included;
          // requests refused during validation are not stored (they may be retried as new).
          if (status < 400 || status === 402) {
            this.idempotency.set(key, {
              method,
              path,
              params: fingerprint,
              status,
              body: clone(response),
            });
          }
        }
      } else {
        params = decodeForm(parsedUrl.search.slice(1));
        ({ status, response } = execute(this.store, this.url, method, path, params));
      }
    } catch (err) {
      if (err instanceof StripeApiError) {
        status = err.status;
        response = err.body;
      } else if (err instanceof FormDecodeError) {
        status = 400;
        response = { error: { type: 'invalid_request_error', message: err.message } };
      } else {
        status = 500;
        response = { error: { type: 'api_error', message: String(err) } };
      }
    }
    this.requests.push({ method, path, idempotencyKey: key, params, status, response, replayed });
    // A long-running stand-in (its own process) keeps the recent requests only.
    if (this.requests.length > 10_000) this.requests.splice(0, this.requests.length - 10_000);
    const drop = this.dropResponses;
    if (
      drop.count > 0 &&
      (drop.only === undefined || (drop.only.method === method && drop.only.path === path))
    ) {
      drop.count--;
      req.socket.destroy();
      return;
    }
    res.writeHead(status, {
      'content-type': 'application/json',
      'request-id': randomId('req_'),
      'stripe-version': STAND_IN_API_VERSION,
      ...(replayed ? { 'idempotent-replayed': 'true' } : {}),
    });
    res.end(JSON.stringify(response));
  }

  // What a customer, the Dashboard or Stripe does later, driven by the test: each changes the
  // stored objects and returns the events Stripe would send (`deliver` sends one).

  /** A Stripe event wrapping a snapshot of `object`. */
  event(type: string, object: StripeObject): StripeEvent {
    return this.store.event(type, object);
  }

  customer(id: string): StripeObject {
    return this.store.customer(id);
  }

  /** All customers, as the Dashboard lists them. */
  allCustomers(): StripeObject[] {
    return this.store.allCustomers();
  }

  storedPaymentMethod(id: string): StripeObject {
    return this.store.storedPaymentMethod(id);
  }

  session(id: string): StripeObject {
    return this.store.session(id);
  }

  /** What a subscription-mode session's subscription will carry (`subscription_data`). */
  subscriptionDataOf(sessionId: string): {
    metadata: Record<string, string>;
    description: string | null;
  } {
    const stored = this.store.sessions.get(sessionId);
    if (stored?.session.mode !== 'subscription') {
      throw new Error(`session ${sessionId} is not in subscription mode`);
    }
    return structuredClone(stored.paymentIntentData);
  }

  paymentIntent(id: string): StripeObject {
    return this.store.paymentIntent(id);
  }

  /** A PaymentMethod made from a test token, attached to `customerId` (or to nobody). */
  savePaymentMethod(customerId: string | null, testCard?: string): StripeObject {
    return savePaymentMethod(this.store, customerId, testCard);
  }

  /** The card is detached outside the service (the Dashboard): `payment_method.detached`. */
  detachPaymentMethod(id: string): StripeEvent {
    return detachPaymentMethod(this.store, id);
  }

  /** The customer pays on the Checkout page (`async: true`: a delayed method, paid later). */
  completeCheckoutSession(
    id: string,
    options?: CheckoutPayment,
  ): ReturnType<typeof completeCheckoutSession> {
    return completeCheckoutSession(this.store, id, options);
  }

  /** The customer saves a card on a setup-mode Checkout page. */
  completeSetupSession(
    id: string,
    options?: { paymentMethod?: string },
  ): ReturnType<typeof completeSetupSession> {
    return completeSetupSession(this.store, id, options);
  }

  /** The delayed payment of a session completed `unpaid` went through. */
  asyncPaymentSucceeded(id: string): ReturnType<typeof asyncPaymentSucceeded> {
    return asyncPaymentSucceeded(this.store, id);
  }

  asyncPaymentFailed(id: string): StripeEvent {
    return asyncPaymentFailed(this.store, id);
  }

  expireCheckoutSession(id: string): StripeEvent {
    return expireCheckoutSession(this.store, id);
  }

  /** A `processing` PaymentIntent (bank debit) succeeded. */
  succeedPaymentIntent(id: string): StripeEvent {
    return succeedPaymentIntent(this.store, id);
  }

  /** Refunds part of a payment, as the Dashboard would (`charge.refunded`). */
  refund(paymentIntentId: string, amountCents: number): ReturnType<typeof refund> {
    return refund(this.store, paymentIntentId, amountCents);
  }

  /** Signs `event` with the `stripe` library and POSTs it to the configured webhook endpoint. */
  async deliver(
    event: unknown,
    timestampSeconds?: number,
  ): Promise<{ status: number; body: string }> {
    const webhook = this.webhook;
    if (!webhook) throw new Error('the stand-in has no webhook endpoint: call useWebhook()');
    return deliverWebhook(webhook.url, event, webhook.secret, timestampSeconds);
  }
}
