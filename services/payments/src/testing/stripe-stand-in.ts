import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatUsdFixed } from '@billing/money';
import { decodeForm, FormDecodeError, type FormObject, type FormValue } from './form-encoding.js';
import { deliverWebhook } from './stripe-webhooks.js';

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
 */
export const STAND_IN_API_VERSION = '2026-10-28.endive';

export interface StripeStandInOptions {
  readonly secretKey: string;
  /** Where `deliver` sends events, and the secret it signs them with. */
  readonly webhook?: { readonly url: string; readonly secret: string };
  readonly host?: string;
  readonly port?: number;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly idempotencyKey: string | undefined;
  readonly params: FormObject;
  readonly status: number;
  readonly response: unknown;
  /** Answered from the idempotency store, not executed again. */
  readonly replayed: boolean;
}

export type StripeObject = Record<string, unknown>;

export interface StripeEvent {
  readonly id: string;
  readonly object: 'event';
  readonly api_version: string;
  readonly created: number;
  readonly livemode: false;
  readonly pending_webhooks: number;
  readonly request: { readonly id: string | null; readonly idempotency_key: string | null };
  readonly type: string;
  readonly data: { readonly object: StripeObject; readonly previous_attributes?: StripeObject };
}

class StripeApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: { error: Record<string, unknown> },
  ) {
    super(String(body.error.message));
  }
}

const invalid = (message: string, code?: string, param?: string): StripeApiError =>
  new StripeApiError(400, {
    error: {
      type: 'invalid_request_error',
      message,
      ...(code ? { code } : {}),
      ...(param ? { param } : {}),
    },
  });

const missing = (param: string): StripeApiError =>
  invalid(`Missing required param: ${param}.`, 'parameter_missing', param);

const unknownParam = (param: string): StripeApiError =>
  invalid(`Received unknown parameter: ${param}`, 'parameter_unknown', param);

const notFound = (kind: string, id: string, param = 'id'): StripeApiError =>
  new StripeApiError(404, {
    error: {
      type: 'invalid_request_error',
      code: 'resource_missing',
      param,
      message: `No such ${kind}: '${id}'`,
    },
  });

const PAYMENT_METHOD_TYPES = new Set([
  'card',
  'alipay',
  'link',
  'us_bank_account',
  'sepa_debit',
  'wechat_pay',
  'paypal',
]);
const CHECKOUT_PARAMS = new Set([
  'mode',
  'line_items',
  'success_url',
  'cancel_url',
  'metadata',
  'payment_intent_data',
  'allowed_payment_method_types',
  'excluded_payment_method_types',
  'client_reference_id',
  'customer',
  'customer_email',
  'expires_at',
  'expand',
  'locale',
  'submit_type',
  'currency',
  'setup_intent_data',
]);
const SETUP_INTENT_DATA_PARAMS = new Set(['metadata', 'description', 'on_behalf_of']);
const CUSTOMER_PARAMS = new Set(['metadata', 'description', 'email', 'name', 'phone', 'expand']);
/** What a saved test card looks like, by the test token it was saved from. */
const TEST_CARDS: Record<string, { brand: string; last4: string }> = {
  pm_card_visa: { brand: 'visa', last4: '4242' },
  pm_card_mastercard: { brand: 'mastercard', last4: '4444' },
  pm_card_chargeDeclined: { brand: 'visa', last4: '0002' },
  pm_card_chargeDeclinedInsufficientFunds: { brand: 'visa', last4: '9995' },
  pm_card_authenticationRequired: { brand: 'visa', last4: '3184' },
};
const PAYMENT_INTENT_DATA_PARAMS = new Set([
  'metadata',
  'description',
  'statement_descriptor',
  'statement_descriptor_suffix',
  'receipt_email',
  'setup_future_usage',
  'capture_method',
]);
const PAYMENT_INTENT_PARAMS = new Set([
  'amount',
  'currency',
  'customer',
  'payment_method',
  'confirm',
  'off_session',
  'metadata',
  'description',
  'expand',
  'receipt_email',
  'statement_descriptor',
  'statement_descriptor_suffix',
  'allowed_payment_method_types',
  'capture_method',
]);
/** Stripe's minimum charge in USD is $0.50; its maximum is $999,999.99. */
const MIN_CENTS = 50;
const MAX_CENTS = 99_999_999;

function randomId(prefix: string): string {
  return `${prefix}${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x')}`;
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

/** Canonical JSON (sorted keys), to compare the parameters of two idempotent requests. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

function isObject(value: FormValue | undefined): value is FormObject {
  return value !== undefined && typeof value === 'object' && !Array.isArray(value);
}

function str(params: FormObject, name: string, path = name): string | undefined {
  const value = params[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string')
    throw invalid(`Invalid string: ${path}`, 'parameter_invalid_string', path);
  return value;
}

function requiredStr(params: FormObject, name: string, path = name): string {
  const value = str(params, name, path);
  if (value === undefined || value === '') throw missing(path);
  return value;
}

function int(params: FormObject, name: string, path = name): number | undefined {
  const value = str(params, name, path);
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw invalid(`Invalid integer: ${value}`, 'parameter_invalid_integer', path);
  }
  return Number(value);
}

function bool(params: FormObject, name: string): boolean | undefined {
  const value = str(params, name);
  if (value === undefined) return undefined;
  if (value !== 'true' && value !== 'false') {
    throw invalid(`Invalid boolean: ${value}`, 'parameter_invalid_boolean', name);
  }
  return value === 'true';
}

function array(params: FormObject, name: string): FormValue[] | undefined {
  const value = params[name];
  if (value === undefined) return undefined;
  if (!Array.isArray(value))
    throw invalid(`Invalid array: ${name}`, 'parameter_invalid_array', name);
  return value;
}

function onlyKnown(params: FormObject, known: Set<string>, prefix = ''): void {
  for (const key of Object.keys(params)) {
    if (!known.has(key)) throw unknownParam(prefix ? `${prefix}[${key}]` : key);
  }
}

function metadata(value: FormValue | undefined, path: string): Record<string, string> {
  if (value === undefined || value === '') return {};
  if (!isObject(value)) throw invalid(`Invalid hash: ${path}`, 'parameter_invalid_hash', path);
  const entries = Object.entries(value);
  if (entries.length > 50) throw invalid('Metadata can have at most 50 keys.', undefined, path);
  const out: Record<string, string> = {};
  for (const [k, v] of entries) {
    if (typeof v !== 'string') throw invalid(`Invalid string: ${path}[${k}]`, undefined, path);
    if (k.length > 40)
      throw invalid('Metadata keys can be at most 40 characters.', undefined, path);
    if (v.length > 500)
      throw invalid('Metadata values can be at most 500 characters.', undefined, path);
    out[k] = v;
  }
  return out;
}

function url(params: FormObject, name: string, required: boolean): string | null {
  const value = required ? requiredStr(params, name) : str(params, name);
  if (value === undefined) return null;
  try {
    const parsed = new URL(value);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw invalid(`Not a valid URL`, 'url_invalid', name);
  }
  return value;
}

function paymentMethodTypes(params: FormObject, name: string): string[] | null {
  const list = array(params, name);
  if (list === undefined) return null;
  return list.map((v, i) => {
    if (typeof v !== 'string' || !PAYMENT_METHOD_TYPES.has(v)) {
      throw invalid(
        `Invalid ${name}[${i}]: must be one of ${[...PAYMENT_METHOD_TYPES].join(', ')}`,
        undefined,
        name,
      );
    }
    return v;
  });
}

interface StoredSession {
  session: StripeObject;
  paymentIntentData: { metadata: Record<string, string>; description: string | null };
}

interface Idempotent {
  readonly method: string;
  readonly path: string;
  readonly params: string;
  readonly status: number;
  readonly body: unknown;
}

/** How a test payment method behaves when charged. */
function cardOutcome(
  paymentMethod: string,
):
  | { kind: 'succeeded'; type: string }
  | { kind: 'processing'; type: string }
  | { kind: 'declined'; code: string; declineCode?: string; message: string } {
  switch (paymentMethod) {
    case 'pm_card_chargeDeclined':
      return {
        kind: 'declined',
        code: 'card_declined',
        declineCode: 'generic_decline',
        message: 'Your card was declined.',
      };
    case 'pm_card_chargeDeclinedInsufficientFunds':
      return {
        kind: 'declined',
        code: 'card_declined',
        declineCode: 'insufficient_funds',
        message: 'Your card has insufficient funds.',
      };
    case 'pm_card_authenticationRequired':
      return {
        kind: 'declined',
        code: 'authentication_required',
        declineCode: 'authentication_required',
        message: 'Your card was declined. This transaction requires authentication.',
      };
    case 'pm_usBankAccount':
      return { kind: 'processing', type: 'us_bank_account' };
    default:
      return { kind: 'succeeded', type: paymentMethod.startsWith('pm_alipay') ? 'alipay' : 'card' };
  }
}

export class StripeStandIn {
  readonly requests: RecordedRequest[] = [];
  private readonly sessions = new Map<string, StoredSession>();
  private readonly paymentIntents = new Map<string, StripeObject>();
  private readonly charges = new Map<string, StripeObject>();
  private readonly customers = new Map<string, StripeObject>();
  private readonly setupIntents = new Map<string, StripeObject>();
  /** Saved PaymentMethods, with the test token whose behaviour they have when charged. */
  private readonly paymentMethods = new Map<string, { pm: StripeObject; testCard: string }>();
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

  // ---- HTTP ------------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const parsedUrl = new URL(req.url ?? '/', this.url);
    const method = req.method ?? 'GET';
    const path = parsedUrl.pathname;
    if (path.startsWith('/c/pay/') || path.startsWith('/_stand-in/')) {
      await this.handleOutOfBand(req, res, method, path, body);
      return;
    }
    const key = header(req, 'idempotency-key');
    let params: FormObject = {};
    let status: number;
    let response: unknown;
    let replayed = false;
    try {
      this.authenticate(req);
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
            ({ status, response } = this.execute(method, path, params));
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
        ({ status, response } = this.execute(method, path, params));
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

  /**
   * What a customer's browser and a test harness do outside the API, for runs where the stand-in
   * is its own process (an end-to-end run without Stripe access):
   * - `GET /c/pay/{session}`: a bare "hosted checkout" page; `POST` to it pays (form field `method`),
   *   delivers the events Stripe would send to the webhook endpoint, and redirects to success_url;
   *   A setup-mode session's page saves a card instead (form field `paymentMethod`, a test token);
   * - `POST /_stand-in/checkout/sessions/{id}/complete` `{paymentMethodType?}` (setup mode:
   *   `{paymentMethod?}`, answering the saved `paymentMethodId`) and
   *   `POST /_stand-in/payment_intents/{id}/refund` `{amount}` (cents), with the secret key as
   *   bearer: the same, driven by a test; they answer the events delivered and their statuses.
   */
  private async handleOutOfBand(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    path: string,
    body: string,
  ): Promise<void> {
    const reply = (status: number, value: unknown, headers: Record<string, string> = {}): void => {
      const text = typeof value === 'string' ? value : JSON.stringify(value);
      res.writeHead(status, {
        'content-type': typeof value === 'string' ? 'text/html; charset=utf-8' : 'application/json',
        ...headers,
      });
      res.end(text);
    };
    try {
      let m: RegExpExecArray | null;
      if ((m = /^\/c\/pay\/(cs_test_\w+)$/.exec(path))) {
        const id = m[1] ?? '';
        const stored = this.sessions.get(id);
        if (!stored) return reply(404, '<h1>No such checkout session</h1>');
        const { session } = stored;
        if (session.mode === 'setup') {
          if (method === 'GET') {
            return reply(
              200,
              `<!doctype html><title>Stripe stand-in checkout</title><h1>Stripe stand-in: save a card</h1>` +
                `<p>This is a stand-in for Stripe Checkout in setup mode; nothing is charged.</p><form method="post">` +
                Object.keys(TEST_CARDS)
                  .map((x) => `<button name="paymentMethod" value="${x}">Save ${x}</button>`)
                  .join(' ') +
                `</form>`,
            );
          }
          if (method !== 'POST') return reply(405, { error: { message: 'GET or POST' } });
          const card = new URLSearchParams(body).get('paymentMethod') ?? 'pm_card_visa';
          const saved = this.completeSetupSession(id, { paymentMethod: card });
          await this.deliverAll([
            saved.completed,
            saved.setupIntentSucceeded,
            saved.paymentMethodAttached,
          ]);
          return reply(303, '', { location: String(session.success_url) });
        }
        if (method === 'GET') {
          const methods = (session.allowed_payment_method_types as string[] | null) ?? ['card'];
          // Stripe amounts are integer cents; shown through libs/money, never through a float.
          const amount = formatUsdFixed(BigInt(session.amount_total as number) * 10_000_000n, 2);
          return reply(
            200,
            `<!doctype html><title>Stripe stand-in checkout</title><h1>Stripe stand-in: pay $${amount}</h1>` +
              `<p>This is a stand-in for Stripe Checkout; no money moves.</p><form method="post">` +
              methods
                .map((x) => `<button name="method" value="${x}">Pay with ${x}</button>`)
                .join(' ') +
              `</form>`,
          );
        }
        if (method !== 'POST') return reply(405, { error: { message: 'GET or POST' } });
        const chosen = new URLSearchParams(body).get('method') ?? 'card';
        const paid = this.completeCheckoutSession(id, { paymentMethodType: chosen });
        await this.deliverAll([paid.completed, paid.paymentIntentSucceeded, paid.chargeSucceeded]);
        return reply(303, '', { location: String(session.success_url) });
      }
      this.authenticate(req);
      const input = body.length > 0 ? (JSON.parse(body) as Record<string, unknown>) : {};
      if (
        method === 'POST' &&
        (m = /^\/_stand-in\/checkout\/sessions\/(cs_test_\w+)\/complete$/.exec(path))
      ) {
        if (this.sessions.get(m[1] ?? '')?.session.mode === 'setup') {
          const card =
            typeof input.paymentMethod === 'string' ? input.paymentMethod : 'pm_card_visa';
          const saved = this.completeSetupSession(m[1] ?? '', { paymentMethod: card });
          return reply(200, {
            paymentMethodId: saved.paymentMethodId,
            deliveries: await this.deliverAll([
              saved.completed,
              saved.setupIntentSucceeded,
              saved.paymentMethodAttached,
            ]),
          });
        }
        const type = typeof input.paymentMethodType === 'string' ? input.paymentMethodType : 'card';
        const paid = this.completeCheckoutSession(m[1] ?? '', { paymentMethodType: type });
        const events = [paid.completed, paid.paymentIntentSucceeded, paid.chargeSucceeded];
        return reply(200, {
          paymentIntentId: paid.paymentIntentId,
          deliveries: await this.deliverAll(events),
        });
      }
      if (
        method === 'POST' &&
        (m = /^\/_stand-in\/payment_intents\/(pi_\w+)\/refund$/.exec(path))
      ) {
        if (typeof input.amount !== 'number')
          return reply(400, { error: { message: 'amount (cents) is required' } });
        const { refundId, chargeRefunded } = this.refund(m[1] ?? '', input.amount);
        return reply(200, { refundId, deliveries: await this.deliverAll([chargeRefunded]) });
      }
      return reply(404, {
        error: { message: `Unrecognized stand-in request (${method}: ${path}).` },
      });
    } catch (err) {
      if (err instanceof StripeApiError) return reply(err.status, err.body);
      return reply(400, { error: { message: err instanceof Error ? err.message : String(err) } });
    }
  }

  private async deliverAll(
    events: readonly (StripeEvent | null)[],
  ): Promise<{ type: string; status: number }[]> {
    const out: { type: string; status: number }[] = [];
    for (const event of events) {
      if (event === null) continue;
      out.push({ type: event.type, status: (await this.deliver(event)).status });
    }
    return out;
  }

  private authenticate(req: IncomingMessage): void {
    const auth = header(req, 'authorization') ?? '';
    const match = /^Bearer (\S+)$/.exec(auth);
    if (match?.[1] !== this.options.secretKey) {
      throw new StripeApiError(401, {
        error: {
          type: 'invalid_request_error',
          message: match
            ? `Invalid API Key provided: ${match[1]?.slice(0, 8)}***`
            : 'You did not provide an API key.',
        },
      });
    }
  }

  private execute(
    method: string,
    path: string,
    params: FormObject,
  ): { status: number; response: unknown } {
    let m: RegExpExecArray | null;
    if (method === 'POST' && path === '/v1/checkout/sessions') {
      return { status: 200, response: this.createCheckoutSession(params) };
    }
    if (method === 'POST' && path === '/v1/payment_intents') {
      return this.createPaymentIntent(params);
    }
    if (method === 'POST' && path === '/v1/customers') {
      return { status: 200, response: this.createCustomer(params) };
    }
    if (method === 'GET' && (m = /^\/v1\/customers\/([^/]+)$/.exec(path))) {
      const customer = this.customers.get(m[1] ?? '');
      if (!customer) throw notFound('customer', m[1] ?? '');
      return { status: 200, response: clone(customer) };
    }
    if (method === 'GET' && (m = /^\/v1\/setup_intents\/([^/]+)$/.exec(path))) {
      const intent = this.setupIntents.get(m[1] ?? '');
      if (!intent) throw notFound('setup_intent', m[1] ?? '');
      return { status: 200, response: clone(intent) };
    }
    if (method === 'GET' && path === '/v1/payment_methods') {
      onlyKnown(params, new Set(['customer', 'type', 'limit']));
      const customer = requiredStr(params, 'customer');
      if (!this.customers.has(customer)) throw notFound('customer', customer, 'customer');
      const type = str(params, 'type');
      const data = [...this.paymentMethods.values()]
        .map((x) => x.pm)
        .filter((pm) => pm.customer === customer && (type === undefined || pm.type === type))
        .map((pm) => clone(pm));
      return {
        status: 200,
        response: { object: 'list', url: '/v1/payment_methods', has_more: false, data },
      };
    }
    if (method === 'GET' && (m = /^\/v1\/payment_methods\/([^/]+)$/.exec(path))) {
      const stored = this.paymentMethods.get(m[1] ?? '');
      if (!stored) throw notFound('PaymentMethod', m[1] ?? '');
      return { status: 200, response: clone(stored.pm) };
    }
    if (method === 'POST' && (m = /^\/v1\/payment_methods\/([^/]+)\/detach$/.exec(path))) {
      onlyKnown(params, new Set(['expand']));
      const stored = this.paymentMethods.get(m[1] ?? '');
      if (!stored) throw notFound('PaymentMethod', m[1] ?? '');
      if (stored.pm.customer === null) {
        throw invalid(
          'The payment method you provided is not attached to a customer so detachment is impossible.',
        );
      }
      stored.pm.customer = null;
      return { status: 200, response: clone(stored.pm) };
    }
    if (method === 'GET' && (m = /^\/v1\/checkout\/sessions\/([^/]+)$/.exec(path))) {
      const stored = this.sessions.get(m[1] ?? '');
      if (!stored) throw notFound('checkout.session', m[1] ?? '');
      return { status: 200, response: clone(stored.session) };
    }
    if (method === 'GET' && (m = /^\/v1\/payment_intents\/([^/]+)$/.exec(path))) {
      const pi = this.paymentIntents.get(m[1] ?? '');
      if (!pi) throw notFound('payment_intent', m[1] ?? '');
      return { status: 200, response: this.expandPaymentIntent(pi, array(params, 'expand') ?? []) };
    }
    throw new StripeApiError(404, {
      error: {
        type: 'invalid_request_error',
        message: `Unrecognized request URL (${method}: ${path}).`,
      },
    });
  }

  // ---- Checkout Sessions -----------------------------------------------------------------------

  private createCheckoutSession(params: FormObject): StripeObject {
    onlyKnown(params, CHECKOUT_PARAMS);
    const mode = requiredStr(params, 'mode');
    if (!['payment', 'setup', 'subscription'].includes(mode)) {
      throw invalid(
        `Invalid mode: must be one of payment, setup, or subscription`,
        'parameter_invalid',
        'mode',
      );
    }
    if (mode === 'setup') return this.createSetupSession(params);
    if (mode !== 'payment')
      throw invalid(
        'The Stripe stand-in implements modes payment and setup only.',
        undefined,
        'mode',
      );
    if (params.setup_intent_data !== undefined) {
      throw invalid(
        'You can only pass in `setup_intent_data` in `setup` mode.',
        undefined,
        'setup_intent_data',
      );
    }
    const lineItems = array(params, 'line_items');
    if (!lineItems || lineItems.length === 0) throw missing('line_items');
    let currency: string | undefined;
    let total = 0;
    lineItems.forEach((item, i) => {
      const p = `line_items[${i}]`;
      if (!isObject(item)) throw invalid(`Invalid hash: ${p}`, 'parameter_invalid_hash', p);
      onlyKnown(item, new Set(['price_data', 'quantity', 'price']), p);
      if (item.price !== undefined)
        throw invalid(
          'The Stripe stand-in supports price_data only, not price ids.',
          undefined,
          `${p}[price]`,
        );
      const quantity = int(item, 'quantity', `${p}[quantity]`);
      if (quantity === undefined) throw missing(`${p}[quantity]`);
      if (quantity < 1) throw invalid('Quantity must be at least 1.', undefined, `${p}[quantity]`);
      const priceData = item.price_data;
      if (!isObject(priceData)) throw missing(`${p}[price_data]`);
      onlyKnown(
        priceData,
        new Set(['currency', 'unit_amount', 'unit_amount_decimal', 'product_data', 'product']),
        `${p}[price_data]`,
      );
      const itemCurrency = requiredStr(priceData, 'currency', `${p}[price_data][currency]`);
      if (!/^[a-z]{3}$/.test(itemCurrency))
        throw invalid(
          `Invalid currency: ${itemCurrency}`,
          'parameter_invalid',
          `${p}[price_data][currency]`,
        );
      if (currency !== undefined && currency !== itemCurrency)
        throw invalid('All line items must have the same currency.');
      currency = itemCurrency;
      const unitAmount = int(priceData, 'unit_amount', `${p}[price_data][unit_amount]`);
      if (unitAmount === undefined) throw missing(`${p}[price_data][unit_amount]`);
      if (unitAmount < 0)
        throw invalid(
          'unit_amount must be non-negative',
          undefined,
          `${p}[price_data][unit_amount]`,
        );
      const product = priceData.product_data;
      if (!isObject(product)) throw missing(`${p}[price_data][product_data]`);
      requiredStr(product, 'name', `${p}[price_data][product_data][name]`);
      total += unitAmount * quantity;
    });
    if (total < MIN_CENTS)
      throw invalid(
        "The Checkout Session's total amount due must add up to at least $0.50 usd",
        'amount_too_small',
      );
    if (total > MAX_CENTS)
      throw invalid(
        "The Checkout Session's total amount due must be no more than $999,999.99 usd",
        'amount_too_large',
      );
    const successUrl = url(params, 'success_url', true);
    const cancelUrl = url(params, 'cancel_url', false);
    const pid = params.payment_intent_data;
    let paymentIntentData: StoredSession['paymentIntentData'] = { metadata: {}, description: null };
    if (pid !== undefined) {
      if (!isObject(pid))
        throw invalid(
          'Invalid hash: payment_intent_data',
          'parameter_invalid_hash',
          'payment_intent_data',
        );
      onlyKnown(pid, PAYMENT_INTENT_DATA_PARAMS, 'payment_intent_data');
      paymentIntentData = {
        metadata: metadata(pid.metadata, 'payment_intent_data[metadata]'),
        description: str(pid, 'description', 'payment_intent_data[description]') ?? null,
      };
    }
    const clientReferenceId = str(params, 'client_reference_id') ?? null;
    if (clientReferenceId !== null && clientReferenceId.length > 200) {
      throw invalid(
        'client_reference_id must be at most 200 characters.',
        undefined,
        'client_reference_id',
      );
    }
    const id = randomId('cs_test_');
    const created = nowSeconds();
    const session: StripeObject = {
      id,
      object: 'checkout.session',
      mode,
      status: 'open',
      payment_status: 'unpaid',
      amount_subtotal: total,
      amount_total: total,
      currency,
      url: `${this.url}/c/pay/${id}`,
      success_url: successUrl,
      cancel_url: cancelUrl,
      client_reference_id: clientReferenceId,
      customer: str(params, 'customer') ?? null,
      customer_email: str(params, 'customer_email') ?? null,
      customer_details: null,
      metadata: metadata(params.metadata, 'metadata'),
      allowed_payment_method_types: paymentMethodTypes(params, 'allowed_payment_method_types'),
      payment_intent: null,
      created,
      expires_at: int(params, 'expires_at') ?? created + 24 * 3600,
      livemode: false,
    };
    this.sessions.set(id, { session, paymentIntentData });
    return clone(session);
  }

  /**
   * Checkout in setup mode saves a card without charging: no line items and no
   * `payment_intent_data`; `currency` is required (dynamic payment methods), `customer` must exist
   * (the card is attached to it on completion), `setup_intent_data.metadata` is copied to the
   * SetupIntent.
   */
  private createSetupSession(params: FormObject): StripeObject {
    if (params.line_items !== undefined) {
      throw invalid('You cannot pass `line_items` in `setup` mode.', undefined, 'line_items');
    }
    if (params.payment_intent_data !== undefined) {
      throw invalid(
        'You can only pass in `payment_intent_data` in `payment` mode.',
        undefined,
        'payment_intent_data',
      );
    }
    const currency = requiredStr(params, 'currency');
    if (!/^[a-z]{3}$/.test(currency))
      throw invalid(`Invalid currency: ${currency}`, 'parameter_invalid', 'currency');
    const customer = str(params, 'customer') ?? null;
    if (customer !== null && !this.customers.has(customer))
      throw notFound('customer', customer, 'customer');
    const successUrl = url(params, 'success_url', true);
    const cancelUrl = url(params, 'cancel_url', false);
    const sid = params.setup_intent_data;
    let setupIntentData: StoredSession['paymentIntentData'] = { metadata: {}, description: null };
    if (sid !== undefined) {
      if (!isObject(sid))
        throw invalid(
          'Invalid hash: setup_intent_data',
          'parameter_invalid_hash',
          'setup_intent_data',
        );
      onlyKnown(sid, SETUP_INTENT_DATA_PARAMS, 'setup_intent_data');
      setupIntentData = {
        metadata: metadata(sid.metadata, 'setup_intent_data[metadata]'),
        description: str(sid, 'description', 'setup_intent_data[description]') ?? null,
      };
    }
    const id = randomId('cs_test_');
    const created = nowSeconds();
    const session: StripeObject = {
      id,
      object: 'checkout.session',
      mode: 'setup',
      status: 'open',
      payment_status: 'no_payment_required',
      amount_subtotal: null,
      amount_total: null,
      currency,
      url: `${this.url}/c/pay/${id}`,
      success_url: successUrl,
      cancel_url: cancelUrl,
      client_reference_id: str(params, 'client_reference_id') ?? null,
      customer,
      customer_email: str(params, 'customer_email') ?? null,
      customer_details: null,
      metadata: metadata(params.metadata, 'metadata'),
      allowed_payment_method_types: paymentMethodTypes(params, 'allowed_payment_method_types'),
      payment_intent: null,
      setup_intent: null,
      created,
      expires_at: int(params, 'expires_at') ?? created + 24 * 3600,
      livemode: false,
    };
    this.sessions.set(id, { session, paymentIntentData: setupIntentData });
    return clone(session);
  }

  // ---- Customers and PaymentMethods ------------------------------------------------------------

  private createCustomer(params: FormObject): StripeObject {
    onlyKnown(params, CUSTOMER_PARAMS);
    const customer: StripeObject = {
      id: randomId('cus_'),
      object: 'customer',
      description: str(params, 'description') ?? null,
      email: str(params, 'email') ?? null,
      name: str(params, 'name') ?? null,
      metadata: metadata(params.metadata, 'metadata'),
      created: nowSeconds(),
      livemode: false,
    };
    this.customers.set(customer.id as string, customer);
    return clone(customer);
  }

  customer(id: string): StripeObject {
    const customer = this.customers.get(id);
    if (!customer) throw new Error(`no customer ${id}`);
    return customer;
  }

  /** All customers, as the Dashboard lists them. */
  allCustomers(): StripeObject[] {
    return [...this.customers.values()].map((c) => clone(c));
  }

  storedPaymentMethod(id: string): StripeObject {
    const stored = this.paymentMethods.get(id);
    if (!stored) throw new Error(`no payment method ${id}`);
    return stored.pm;
  }

  /**
   * A PaymentMethod made from a test token (`pm_card_visa`, `pm_card_chargeDeclined`,
   * `pm_usBankAccount`, ...) and attached to `customerId` (or to nobody): what the Dashboard or
   * another integration on the same Stripe account could create.
   */
  savePaymentMethod(customerId: string | null, testCard = 'pm_card_visa'): StripeObject {
    if (customerId !== null && !this.customers.has(customerId))
      throw new Error(`no customer ${customerId}`);
    const bank = testCard === 'pm_usBankAccount';
    const card = TEST_CARDS[testCard] ?? { brand: 'visa', last4: '4242' };
    const pm: StripeObject = {
      id: randomId('pm_'),
      object: 'payment_method',
      type: bank ? 'us_bank_account' : 'card',
      ...(bank
        ? { us_bank_account: { bank_name: 'STRIPE TEST BANK', last4: '6789' } }
        : {
            card: {
              brand: card.brand,
              last4: card.last4,
              exp_month: 12,
              exp_year: new Date().getUTCFullYear() + 3,
              funding: 'credit',
              country: 'US',
            },
          }),
      billing_details: { name: null, email: null },
      customer: customerId,
      metadata: {},
      created: nowSeconds(),
      livemode: false,
    };
    this.paymentMethods.set(pm.id as string, { pm, testCard });
    return pm;
  }

  /**
   * The customer enters a card on a setup-mode Checkout page: a PaymentMethod behaving as
   * `paymentMethod` (a test token) is attached to the session's customer through a succeeded
   * SetupIntent carrying `setup_intent_data.metadata`.
   */
  completeSetupSession(
    id: string,
    options: { paymentMethod?: string } = {},
  ): {
    paymentMethodId: string;
    setupIntentId: string;
    completed: StripeEvent;
    setupIntentSucceeded: StripeEvent;
    paymentMethodAttached: StripeEvent;
  } {
    const stored = this.sessions.get(id);
    if (!stored) throw new Error(`no checkout session ${id}`);
    const { session } = stored;
    if (session.mode !== 'setup') throw new Error(`session ${id} is not in setup mode`);
    if (session.status !== 'open') throw new Error(`session ${id} is ${String(session.status)}`);
    if (typeof session.customer !== 'string') {
      // Stripe would create a customer; this service always passes its own.
      session.customer = this.createCustomer({}).id;
    }
    const pm = this.savePaymentMethod(
      session.customer as string,
      options.paymentMethod ?? 'pm_card_visa',
    );
    const intent: StripeObject = {
      id: randomId('seti_'),
      object: 'setup_intent',
      customer: session.customer,
      payment_method: pm.id,
      payment_method_types: [pm.type],
      status: 'succeeded',
      usage: 'off_session',
      metadata: clone(stored.paymentIntentData.metadata),
      description: stored.paymentIntentData.description,
      created: nowSeconds(),
      livemode: false,
    };
    this.setupIntents.set(intent.id as string, intent);
    Object.assign(session, { status: 'complete', setup_intent: intent.id });
    return {
      paymentMethodId: pm.id as string,
      setupIntentId: intent.id as string,
      completed: this.event('checkout.session.completed', session),
      setupIntentSucceeded: this.event('setup_intent.succeeded', intent),
      paymentMethodAttached: this.event('payment_method.attached', pm),
    };
  }

  /** The card is detached outside the service (the Dashboard): `payment_method.detached`. */
  detachPaymentMethod(id: string): StripeEvent {
    const pm = this.storedPaymentMethod(id);
    if (pm.customer === null) throw new Error(`payment method ${id} is not attached`);
    const previous = pm.customer;
    pm.customer = null;
    const event = this.event('payment_method.detached', pm);
    return { ...event, data: { ...event.data, previous_attributes: { customer: previous } } };
  }

  // ---- PaymentIntents --------------------------------------------------------------------------

  private createPaymentIntent(params: FormObject): { status: number; response: unknown } {
    onlyKnown(params, PAYMENT_INTENT_PARAMS);
    const amount = int(params, 'amount');
    if (amount === undefined) throw missing('amount');
    if (amount < MIN_CENTS)
      throw invalid('Amount must be at least $0.50 usd', 'amount_too_small', 'amount');
    if (amount > MAX_CENTS)
      throw invalid('Amount must be no more than $999,999.99', 'amount_too_large', 'amount');
    const currency = requiredStr(params, 'currency');
    if (!/^[a-z]{3}$/.test(currency))
      throw invalid(`Invalid currency: ${currency}`, 'parameter_invalid', 'currency');
    const confirm = bool(params, 'confirm') ?? false;
    const offSession = bool(params, 'off_session');
    if (offSession !== undefined && !confirm) {
      throw invalid(
        'You can only pass in `off_session` when `confirm` is `true`.',
        'parameter_invalid',
        'off_session',
      );
    }
    const paymentMethod = str(params, 'payment_method');
    const customer = str(params, 'customer');
    if (confirm && !paymentMethod) throw missing('payment_method');
    if (paymentMethod !== undefined && !/^pm_\w+$/.test(paymentMethod))
      throw notFound('PaymentMethod', paymentMethod, 'payment_method');
    if (offSession && !customer) {
      throw invalid(
        'The provided PaymentMethod was previously used with a PaymentIntent without Customer attachment ... pass `customer` to charge a saved PaymentMethod off-session.',
        'parameter_missing',
        'customer',
      );
    }
    if (customer !== undefined && !this.customers.has(customer))
      throw notFound('customer', customer, 'customer');
    const savedPm =
      paymentMethod === undefined ? undefined : this.paymentMethods.get(paymentMethod);
    if (customer !== undefined && paymentMethod !== undefined) {
      // A saved card is charged only with the customer it is attached to.
      if (
        savedPm === undefined ||
        (savedPm.pm.customer !== null && savedPm.pm.customer !== customer)
      ) {
        throw invalid(
          `The customer does not have a payment method with the ID ${paymentMethod}. The payment method must be attached to the customer.`,
          undefined,
          'payment_method',
        );
      }
      if (savedPm.pm.customer === null) {
        throw invalid(
          'The provided PaymentMethod was previously used with a PaymentIntent without Customer attachment, shared with a connected account without Customer attachment, or was detached from a Customer. It may not be used again. To use a PaymentMethod multiple times, you must attach it to a Customer first.',
          undefined,
          'payment_method',
        );
      }
    }
    const pi: StripeObject = {
      id: randomId('pi_'),
      object: 'payment_intent',
      amount,
      amount_received: 0,
      currency,
      customer: customer ?? null,
      payment_method: paymentMethod ?? null,
      allowed_payment_method_types: paymentMethodTypes(params, 'allowed_payment_method_types') ?? [
        'card',
      ],
      payment_method_types: ['card'],
      metadata: metadata(params.metadata, 'metadata'),
      description: str(params, 'description') ?? null,
      status: confirm ? 'processing' : 'requires_confirmation',
      latest_charge: null,
      last_payment_error: null,
      capture_method: 'automatic',
      confirmation_method: 'automatic',
      created: nowSeconds(),
      livemode: false,
    };
    this.paymentIntents.set(pi.id as string, pi);
    const expand = array(params, 'expand') ?? [];
    if (!confirm || paymentMethod === undefined) {
      return { status: 200, response: this.expandPaymentIntent(pi, expand) };
    }
    const outcome = cardOutcome(savedPm?.testCard ?? paymentMethod);
    if (outcome.kind === 'declined') {
      const charge = this.newCharge(pi, 'card', 'failed');
      const error = {
        type: 'card_error',
        code: outcome.code,
        ...(outcome.declineCode ? { decline_code: outcome.declineCode } : {}),
        message: outcome.message,
        charge: charge.id,
        payment_method: { id: paymentMethod, object: 'payment_method', type: 'card' },
      };
      Object.assign(pi, {
        status: 'requires_payment_method',
        latest_charge: charge.id,
        last_payment_error: error,
      });
      return {
        status: 402,
        response: { error: { ...error, payment_intent: this.expandPaymentIntent(pi, []) } },
      };
    }
    pi.payment_method_types = [outcome.type];
    if (outcome.kind === 'processing') {
      pi.status = 'processing';
      return { status: 200, response: this.expandPaymentIntent(pi, expand) };
    }
    this.succeed(pi, outcome.type);
    return { status: 200, response: this.expandPaymentIntent(pi, expand) };
  }

  private succeed(pi: StripeObject, type: string): StripeObject {
    const charge = this.newCharge(pi, type, 'succeeded');
    Object.assign(pi, {
      status: 'succeeded',
      amount_received: pi.amount,
      latest_charge: charge.id,
    });
    return charge;
  }

  private newCharge(pi: StripeObject, type: string, status: 'succeeded' | 'failed'): StripeObject {
    const charge: StripeObject = {
      id: randomId('ch_'),
      object: 'charge',
      amount: pi.amount,
      amount_captured: status === 'succeeded' ? pi.amount : 0,
      amount_refunded: 0,
      currency: pi.currency,
      customer: pi.customer,
      payment_intent: pi.id,
      payment_method: pi.payment_method,
      payment_method_details: { type },
      metadata: clone(pi.metadata),
      paid: status === 'succeeded',
      captured: status === 'succeeded',
      refunded: false,
      status,
      created: nowSeconds(),
      livemode: false,
    };
    this.charges.set(charge.id as string, charge);
    return charge;
  }

  private expandPaymentIntent(pi: StripeObject, expand: FormValue[]): StripeObject {
    const out = clone(pi);
    for (const field of expand) {
      if (field === 'latest_charge' && typeof pi.latest_charge === 'string') {
        out.latest_charge = clone(this.charges.get(pi.latest_charge));
      } else if (field === 'payment_method' && typeof pi.payment_method === 'string') {
        const saved = this.paymentMethods.get(pi.payment_method);
        out.payment_method = saved
          ? clone(saved.pm)
          : {
              id: pi.payment_method,
              object: 'payment_method',
              type: (pi.payment_method_types as string[])[0] ?? 'card',
              customer: pi.customer,
            };
      } else if (field !== 'latest_charge' && field !== 'payment_method') {
        throw invalid(
          `This property cannot be expanded (${typeof field === 'string' ? field : 'a non-string'}).`,
          undefined,
          'expand',
        );
      }
    }
    return out;
  }

  // ---- What happens later, driven by the test --------------------------------------------------

  /** A Stripe event wrapping a snapshot of `object`. */
  event(type: string, object: StripeObject): StripeEvent {
    return {
      id: randomId('evt_'),
      object: 'event',
      api_version: STAND_IN_API_VERSION,
      created: nowSeconds(),
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
      data: { object: clone(object) },
    };
  }

  session(id: string): StripeObject {
    const stored = this.sessions.get(id);
    if (!stored) throw new Error(`no checkout session ${id}`);
    return stored.session;
  }

  paymentIntent(id: string): StripeObject {
    const pi = this.paymentIntents.get(id);
    if (!pi) throw new Error(`no payment intent ${id}`);
    return pi;
  }

  /**
   * The customer pays on the Checkout page: a PaymentIntent (carrying `payment_intent_data.metadata`)
   * and its charge are created and the session completes. With `async: true` (a delayed method) the
   * session completes `unpaid` and `asyncPaymentSucceeded` finishes it later.
   */
  completeCheckoutSession(
    id: string,
    options: {
      paymentMethodType?: string;
      customerName?: string;
      customerEmail?: string;
      async?: boolean;
    } = {},
  ): {
    paymentIntentId: string;
    chargeId: string | null;
    completed: StripeEvent;
    paymentIntentSucceeded: StripeEvent | null;
    chargeSucceeded: StripeEvent | null;
  } {
    const stored = this.sessions.get(id);
    if (!stored) throw new Error(`no checkout session ${id}`);
    const { session } = stored;
    if (session.status !== 'open') throw new Error(`session ${id} is ${String(session.status)}`);
    const type = options.paymentMethodType ?? 'card';
    const allowed = session.allowed_payment_method_types as string[] | null;
    if (allowed && !allowed.includes(type)) throw new Error(`session ${id} does not allow ${type}`);
    const pi: StripeObject = {
      id: randomId('pi_'),
      object: 'payment_intent',
      amount: session.amount_total,
      amount_received: 0,
      currency: session.currency,
      customer: null,
      payment_method: randomId(`pm_`),
      allowed_payment_method_types: allowed ?? ['card'],
      payment_method_types: [type],
      metadata: clone(stored.paymentIntentData.metadata),
      description: stored.paymentIntentData.description,
      status: 'processing',
      latest_charge: null,
      last_payment_error: null,
      capture_method: 'automatic',
      confirmation_method: 'automatic',
      created: nowSeconds(),
      livemode: false,
    };
    this.paymentIntents.set(pi.id as string, pi);
    Object.assign(session, {
      status: 'complete',
      payment_intent: pi.id,
      customer_details: {
        email: options.customerEmail ?? null,
        name: options.customerName ?? null,
      },
    });
    if (options.async) {
      session.payment_status = 'unpaid';
      return {
        paymentIntentId: pi.id as string,
        chargeId: null,
        completed: this.event('checkout.session.completed', session),
        paymentIntentSucceeded: null,
        chargeSucceeded: null,
      };
    }
    const charge = this.succeed(pi, type);
    session.payment_status = 'paid';
    return {
      paymentIntentId: pi.id as string,
      chargeId: charge.id as string,
      completed: this.event('checkout.session.completed', session),
      paymentIntentSucceeded: this.event('payment_intent.succeeded', pi),
      chargeSucceeded: this.event('charge.succeeded', charge),
    };
  }

  /** The delayed payment of a session completed `unpaid` went through. */
  asyncPaymentSucceeded(id: string): {
    succeeded: StripeEvent;
    paymentIntentSucceeded: StripeEvent;
  } {
    const { session } = this.sessions.get(id) ?? {};
    if (!session || typeof session.payment_intent !== 'string')
      throw new Error(`session ${id} is not awaiting a payment`);
    const pi = this.paymentIntent(session.payment_intent);
    this.succeed(pi, (pi.payment_method_types as string[])[0] ?? 'card');
    session.payment_status = 'paid';
    return {
      succeeded: this.event('checkout.session.async_payment_succeeded', session),
      paymentIntentSucceeded: this.event('payment_intent.succeeded', pi),
    };
  }

  asyncPaymentFailed(id: string): StripeEvent {
    const { session } = this.sessions.get(id) ?? {};
    if (!session) throw new Error(`no checkout session ${id}`);
    return this.event('checkout.session.async_payment_failed', session);
  }

  expireCheckoutSession(id: string): StripeEvent {
    const { session } = this.sessions.get(id) ?? {};
    if (!session) throw new Error(`no checkout session ${id}`);
    Object.assign(session, { status: 'expired', url: null });
    return this.event('checkout.session.expired', session);
  }

  /** A `processing` PaymentIntent (bank debit) succeeded. */
  succeedPaymentIntent(id: string): StripeEvent {
    const pi = this.paymentIntent(id);
    this.succeed(pi, (pi.payment_method_types as string[])[0] ?? 'card');
    return this.event('payment_intent.succeeded', pi);
  }

  /**
   * Refunds part of a payment, as the Dashboard would: `charge.refunded` carries the charge with its
   * cumulative `amount_refunded`.
   */
  refund(
    paymentIntentId: string,
    amountCents: number,
  ): { refundId: string; chargeRefunded: StripeEvent } {
    const pi = this.paymentIntent(paymentIntentId);
    const charge = this.charges.get(String(pi.latest_charge));
    if (!charge || charge.status !== 'succeeded')
      throw new Error(`payment ${paymentIntentId} has no successful charge`);
    const already = charge.amount_refunded as number;
    if (amountCents <= 0 || already + amountCents > (charge.amount as number)) {
      throw new Error(
        `cannot refund ${amountCents} of ${String(charge.amount)} (already ${already})`,
      );
    }
    charge.amount_refunded = already + amountCents;
    charge.refunded = charge.amount_refunded === charge.amount;
    return { refundId: randomId('re_'), chargeRefunded: this.event('charge.refunded', charge) };
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

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
