/**
 * The payment provider, as the payments service needs it: open a hosted checkout for a manual
 * top-up, charge a saved payment method off-session for an auto top-up, say which payment
 * method a payment used, and keep the account's saved cards (one provider customer per account,
 * a hosted page that saves a card to it, read and detach a card). Two adapters: Stripe (`infrastructure/stripe/`) and the simulated
 * provider of the standalone mode (`infrastructure/simulated-payment-provider.ts`).
 *
 * Amounts cross this port in whole cents (what card networks charge); the service converts from
 * and to nano-dollars on its side.
 */
export const PAYMENT_PROVIDER = Symbol('PAYMENT_PROVIDER');

/** Where a hosted page (a checkout, a card setup) sends the customer back to. */
export interface ReturnUrls {
  readonly successUrl: string;
  readonly cancelUrl: string;
}

/** A hosted page the provider opened: its session, and where the customer goes. */
export interface HostedPage {
  readonly sessionId: string;
  readonly url: string;
}

/**
 * What opening a hosted page answers: `redirect`, the customer must go to `url` and a webhook
 * tells the outcome; or `Done` (the simulated provider), finished already with `Outcome`, which
 * the service records at once.
 */
export type HostedPageResult<Done extends string, Outcome> =
  (HostedPage & { readonly kind: 'redirect' }) | (HostedPage & { readonly kind: Done } & Outcome);

export interface CheckoutRequest extends ReturnUrls {
  readonly topUpId: string;
  readonly accountId: string;
  readonly amountCents: number;
  /** "card", "alipay": what the customer may pay with. */
  readonly paymentMethodTypes: readonly string[];
}

/** `redirect`: the customer pays there. `settled`: paid already, settle now. */
export type CheckoutResult = HostedPageResult<
  'settled',
  { readonly paymentReference: string; readonly method: string }
>;

export interface OffSessionChargeRequest {
  readonly topUpId: string;
  readonly accountId: string;
  readonly amountCents: number;
  readonly customerId: string;
  readonly paymentMethodId: string;
  /** The same key on a retry: the provider answers the first result instead of charging again. */
  readonly idempotencyKey: string;
}

export type ChargeResult =
  | { readonly kind: 'succeeded'; readonly paymentReference: string; readonly method: string }
  /** Accepted, not final (a bank debit): a webhook tells the outcome. */
  | { readonly kind: 'processing'; readonly paymentReference: string }
  /** Refused for a reason of the customer's (declined, authentication needed, bad card). */
  | {
      readonly kind: 'declined';
      readonly code: string;
      readonly message: string;
      readonly paymentReference: string | null;
    };

/**
 * The provider could not answer (network, outage, rate limit, our credentials): nothing is known,
 * so the caller keeps the attempt and retries it later with the same idempotency key.
 */
export class ProviderUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProviderUnavailableError';
  }
}

/** A saved payment method as the provider knows it now. */
export interface SavedPaymentMethod {
  readonly id: string;
  /** The customer it is attached to; null once detached (or never attached). */
  readonly customerId: string | null;
  /** "card", "us_bank_account", ... */
  readonly type: string;
  readonly card: {
    readonly brand: string;
    readonly last4: string;
    readonly expMonth: number;
    readonly expYear: number;
  } | null;
}

export interface CustomerRequest {
  readonly accountId: string;
  /** The same key on a retry: the provider answers the customer it created the first time. */
  readonly idempotencyKey: string;
}

export interface PaymentMethodSetupRequest extends ReturnUrls {
  readonly accountId: string;
  readonly customerId: string;
  readonly idempotencyKey: string;
}

/** `redirect`: the customer enters a card there. `saved`: the card is saved already, record it. */
export type PaymentMethodSetupResult = HostedPageResult<
  'saved',
  { readonly paymentMethod: SavedPaymentMethod }
>;

/**
 * A Builder subscription's hosted Checkout (mode `subscription`) on the account's customer, for
 * the configured recurring price. The subscription carries `metadata {accountId, plan: "builder"}`,
 * which its webhooks (`invoice.paid`, `customer.subscription.*`) are read by.
 */
export interface BuilderSubscriptionCheckoutRequest extends ReturnUrls {
  readonly accountId: string;
  readonly customerId: string;
  /** The Stripe Price (null with the simulated provider, which charges `monthlyPriceCents`). */
  readonly priceId: string | null;
  readonly monthlyPriceCents: number | null;
  readonly idempotencyKey: string;
  /** When it was asked for: the simulated provider's first period starts then. */
  readonly atMs: number;
}

/**
 * `redirect`: the customer subscribes there, webhooks tell the rest. `subscribed` (the simulated
 * provider): the first period is paid already, as its `invoice.paid` would say.
 */
export type BuilderSubscriptionCheckoutResult = HostedPageResult<
  'subscribed',
  {
    readonly subscriptionId: string;
    readonly providerInvoiceId: string;
    readonly amountCents: number;
    readonly periodStartMs: number;
    readonly periodEndMs: number;
  }
>;

export interface PaymentProvider {
  readonly name: string;
  createCheckout(request: CheckoutRequest): Promise<CheckoutResult>;
  chargeOffSession(request: OffSessionChargeRequest): Promise<ChargeResult>;
  /** The payment method type ("card", "alipay", ...) of a payment, when its webhook did not say. */
  paymentMethodOf(paymentReference: string): Promise<string>;
  /** Creates the account's one customer (metadata `accountId`). */
  createCustomer(request: CustomerRequest): Promise<{ readonly customerId: string }>;
  /** Opens a hosted page that saves a card to the account's customer (no charge). */
  createPaymentMethodSetup(request: PaymentMethodSetupRequest): Promise<PaymentMethodSetupResult>;
  /** The payment method as the provider knows it now; undefined when it does not exist. */
  retrievePaymentMethod(paymentMethodId: string): Promise<SavedPaymentMethod | undefined>;
  /** The payment method a completed setup saved (a Checkout Session in setup mode). */
  paymentMethodOfSetup(setupIntentId: string): Promise<string | undefined>;
  /** Detaches it from its customer: it can never be charged again. */
  detachPaymentMethod(paymentMethodId: string, idempotencyKey: string): Promise<void>;
  /** Opens the Checkout of a Builder subscription (a fixed monthly fee, billed by the provider). */
  createBuilderSubscriptionCheckout(
    request: BuilderSubscriptionCheckoutRequest,
  ): Promise<BuilderSubscriptionCheckoutResult>;
}
