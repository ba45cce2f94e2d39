/**
 * The payment provider, as the payments service needs it: open a hosted checkout for a manual
 * top-up, charge a saved payment method off-session for an auto top-up, and say which payment
 * method a payment used. Two adapters: Stripe (`infrastructure/stripe/`) and the simulated
 * provider of the standalone mode (`infrastructure/simulated-payment-provider.ts`).
 *
 * Amounts cross this port in whole cents (what card networks charge); the service converts from
 * and to nano-dollars on its side.
 */
export const PAYMENT_PROVIDER = Symbol('PAYMENT_PROVIDER');

export interface CheckoutRequest {
  readonly topUpId: string;
  readonly accountId: string;
  readonly amountCents: number;
  /** "card", "alipay": what the customer may pay with. */
  readonly paymentMethodTypes: readonly string[];
  readonly successUrl: string;
  readonly cancelUrl: string;
}

export type CheckoutResult =
  /** The customer must go to `url` and pay; a webhook tells the outcome. */
  | { readonly kind: 'redirect'; readonly sessionId: string; readonly url: string }
  /** Paid already (the simulated provider): settle now. */
  | {
      readonly kind: 'settled';
      readonly sessionId: string;
      readonly url: string;
      readonly paymentReference: string;
      readonly method: string;
    };

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

export interface PaymentProvider {
  readonly name: string;
  createCheckout(request: CheckoutRequest): Promise<CheckoutResult>;
  chargeOffSession(request: OffSessionChargeRequest): Promise<ChargeResult>;
  /** The payment method type ("card", "alipay", ...) of a payment, when its webhook did not say. */
  paymentMethodOf(paymentReference: string): Promise<string>;
}
