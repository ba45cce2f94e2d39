import Stripe from 'stripe';
import {
  ProviderUnavailableError,
  type BuilderSubscriptionCheckoutRequest,
  type BuilderSubscriptionCheckoutResult,
  type ChargeResult,
  type CheckoutRequest,
  type CheckoutResult,
  type CustomerRequest,
  type HostedPage,
  type OffSessionChargeRequest,
  type PaymentMethodSetupRequest,
  type PaymentMethodSetupResult,
  type PaymentProvider,
  type ReturnUrls,
  type SavedPaymentMethod,
} from '../../domain/payment-provider.js';
import { BUILDER_PLAN_METADATA } from './stripe-events.js';

/**
 * The payment provider port on Stripe:
 *
 * - a manual top-up is a Checkout Session, mode `payment`, one line item of the top-up amount,
 *   `allowed_payment_method_types` card and Alipay (the API version this library pins,
 *   2026-10-28.endive, replaced `payment_method_types` by `allowed_payment_method_types`),
 *   `metadata.accountId/topUpId/trigger` on the session and, through `payment_intent_data`, on its
 *   PaymentIntent; the idempotency key is the top-up id;
 * - an auto top-up is a PaymentIntent confirmed off-session on the saved card, same metadata with
 *   `trigger = "auto"`, the idempotency key of the attempt;
 * - each account has one Customer (`metadata.accountId`); a card is saved to it through a Checkout
 *   Session in mode `setup` (`currency` usd, card only, `metadata` and `setup_intent_data.metadata`
 *   `{accountId, purpose: "payment_method"}`), read back with `GET /v1/payment_methods/{id}` and
 *   removed with `POST /v1/payment_methods/{id}/detach`.
 *
 * Errors are sorted the way the caller must react: a card error or a refused request is the
 * customer's (`declined`: record it, back off); anything where Stripe may not have acted, or that
 * is ours to fix (network, 5xx, rate limit, bad API key), is `ProviderUnavailableError`: keep the
 * attempt and retry it with the same key.
 */
export class StripePaymentProvider implements PaymentProvider {
  readonly name = 'stripe';

  constructor(private readonly stripe: Stripe) {}

  async createCheckout(request: CheckoutRequest): Promise<CheckoutResult> {
    const metadata = {
      accountId: request.accountId,
      topUpId: request.topUpId,
      trigger: 'manual',
    };
    return this.openCheckoutSession(
      {
        mode: 'payment',
        line_items: [
          {
            quantity: 1,
            price_data: {
              currency: 'usd',
              unit_amount: request.amountCents,
              product_data: {
                name: 'Account top-up',
                description: `Prepaid credits for account ${request.accountId}`,
              },
            },
          },
        ],
        client_reference_id: request.topUpId,
        metadata,
        payment_intent_data: { metadata, description: `Top-up ${request.topUpId}` },
      },
      { types: request.paymentMethodTypes, returnTo: request, idempotencyKey: request.topUpId },
      'creating a checkout session',
    );
  }

  async chargeOffSession(request: OffSessionChargeRequest): Promise<ChargeResult> {
    let intent: Stripe.PaymentIntent;
    try {
      intent = await this.stripe.paymentIntents.create(
        {
          amount: request.amountCents,
          currency: 'usd',
          customer: request.customerId,
          payment_method: request.paymentMethodId,
          confirm: true,
          off_session: true,
          description: `Auto top-up ${request.topUpId}`,
          metadata: { accountId: request.accountId, topUpId: request.topUpId, trigger: 'auto' },
          expand: ['payment_method'],
        },
        { idempotencyKey: request.idempotencyKey },
      );
    } catch (err) {
      if (err instanceof Stripe.errors.StripeCardError) {
        return {
          kind: 'declined',
          code: err.decline_code ?? err.code ?? 'card_declined',
          message: err.message,
          paymentReference: err.payment_intent?.id ?? null,
        };
      }
      if (
        err instanceof Stripe.errors.StripeInvalidRequestError ||
        err instanceof Stripe.errors.StripeIdempotencyError
      ) {
        // The request can never succeed as it is (a detached card, a deleted customer): the
        // customer's settings are at fault, so it counts as a failed attempt.
        if (err.statusCode === 409) throw unavailable(err, 'charging off-session');
        return {
          kind: 'declined',
          code: err.code ?? err.type,
          message: err.message,
          paymentReference: err.payment_intent?.id ?? null,
        };
      }
      throw unavailable(err, 'charging off-session');
    }
    switch (intent.status) {
      case 'succeeded':
        return { kind: 'succeeded', paymentReference: intent.id, method: methodOf(intent) };
      case 'processing':
        return { kind: 'processing', paymentReference: intent.id };
      default:
        return {
          kind: 'declined',
          code: intent.last_payment_error?.code ?? intent.status,
          message: intent.last_payment_error?.message ?? `the payment is ${intent.status}`,
          paymentReference: intent.id,
        };
    }
  }

  async paymentMethodOf(paymentReference: string): Promise<string> {
    try {
      const intent = await this.stripe.paymentIntents.retrieve(paymentReference, {
        expand: ['latest_charge'],
      });
      const charge = intent.latest_charge;
      const fromCharge =
        typeof charge === 'object' && charge !== null ? charge.payment_method_details?.type : null;
      return fromCharge ?? methodOf(intent);
    } catch (err) {
      throw unavailable(err, 'reading a payment intent');
    }
  }

  async createCustomer(request: CustomerRequest): Promise<{ readonly customerId: string }> {
    try {
      const customer = await this.stripe.customers.create(
        {
          description: `Account ${request.accountId}`,
          metadata: { accountId: request.accountId },
        },
        { idempotencyKey: request.idempotencyKey },
      );
      return { customerId: customer.id };
    } catch (err) {
      throw unavailable(err, 'creating a customer');
    }
  }

  async createPaymentMethodSetup(
    request: PaymentMethodSetupRequest,
  ): Promise<PaymentMethodSetupResult> {
    const metadata = { accountId: request.accountId, purpose: 'payment_method' };
    return this.openCheckoutSession(
      {
        mode: 'setup',
        customer: request.customerId,
        currency: 'usd',
        client_reference_id: request.accountId,
        metadata,
        setup_intent_data: { metadata, description: `Card for account ${request.accountId}` },
      },
      { types: ['card'], returnTo: request, idempotencyKey: request.idempotencyKey },
      'creating a setup session',
    );
  }

  async createBuilderSubscriptionCheckout(
    request: BuilderSubscriptionCheckoutRequest,
  ): Promise<BuilderSubscriptionCheckoutResult> {
    if (request.priceId === null) throw new Error('a Builder subscription needs BUILDER_PRICE_ID');
    const metadata = { accountId: request.accountId, plan: BUILDER_PLAN_METADATA };
    return this.openCheckoutSession(
      {
        mode: 'subscription',
        customer: request.customerId,
        line_items: [{ price: request.priceId, quantity: 1 }],
        client_reference_id: request.accountId,
        metadata,
        subscription_data: { metadata, description: `Builder plan of ${request.accountId}` },
      },
      { types: ['card'], returnTo: request, idempotencyKey: request.idempotencyKey },
      'creating a subscription checkout session',
    );
  }

  /**
   * A Checkout Session (a payment or a card setup) the customer is redirected to: `types` are
   * the payment methods it offers, `returnTo` where it sends the customer back.
   */
  private async openCheckoutSession(
    params: Stripe.Checkout.SessionCreateParams,
    page: { types: readonly string[]; returnTo: ReturnUrls; idempotencyKey: string },
    doing: string,
  ): Promise<HostedPage & { readonly kind: 'redirect' }> {
    try {
      const session = await this.stripe.checkout.sessions.create(
        {
          ...params,
          allowed_payment_method_types: [
            ...page.types,
          ] as Stripe.Checkout.SessionCreateParams.AllowedPaymentMethodType[],
          success_url: page.returnTo.successUrl,
          cancel_url: page.returnTo.cancelUrl,
        },
        { idempotencyKey: page.idempotencyKey },
      );
      if (!session.url)
        throw new Error(`Stripe returned checkout session ${session.id} without a url`);
      return { kind: 'redirect', sessionId: session.id, url: session.url };
    } catch (err) {
      throw unavailable(err, doing);
    }
  }

  async retrievePaymentMethod(paymentMethodId: string): Promise<SavedPaymentMethod | undefined> {
    try {
      const pm = await this.stripe.paymentMethods.retrieve(paymentMethodId);
      return savedPaymentMethod(pm);
    } catch (err) {
      if (err instanceof Stripe.errors.StripeInvalidRequestError && err.statusCode === 404) {
        return undefined;
      }
      throw unavailable(err, 'reading a payment method');
    }
  }

  async paymentMethodOfSetup(setupIntentId: string): Promise<string | undefined> {
    try {
      const intent = await this.stripe.setupIntents.retrieve(setupIntentId);
      const pm = intent.payment_method;
      if (pm === null) return undefined;
      return typeof pm === 'string' ? pm : pm.id;
    } catch (err) {
      if (err instanceof Stripe.errors.StripeInvalidRequestError && err.statusCode === 404) {
        return undefined;
      }
      throw unavailable(err, 'reading a setup intent');
    }
  }

  async detachPaymentMethod(paymentMethodId: string, idempotencyKey: string): Promise<void> {
    try {
      await this.stripe.paymentMethods.detach(paymentMethodId, {}, { idempotencyKey });
    } catch (err) {
      // Detached already (by the Dashboard, or by a first attempt whose answer was lost): the
      // goal is reached.
      if (err instanceof Stripe.errors.StripeInvalidRequestError && err.statusCode === 400) {
        const now = await this.retrievePaymentMethod(paymentMethodId);
        if (now === undefined || now.customerId === null) return;
      }
      throw unavailable(err, 'detaching a payment method');
    }
  }
}

function savedPaymentMethod(pm: Stripe.PaymentMethod): SavedPaymentMethod {
  const customer = pm.customer;
  return {
    id: pm.id,
    customerId: customer === null ? null : typeof customer === 'string' ? customer : customer.id,
    type: pm.type,
    card: pm.card
      ? {
          brand: pm.card.brand,
          last4: pm.card.last4,
          expMonth: pm.card.exp_month,
          expYear: pm.card.exp_year,
        }
      : null,
  };
}

function methodOf(intent: Stripe.PaymentIntent): string {
  const pm = intent.payment_method;
  if (typeof pm === 'object' && pm !== null) return pm.type;
  return intent.payment_method_types[0] ?? 'card';
}

function unavailable(err: unknown, doing: string): ProviderUnavailableError {
  if (err instanceof ProviderUnavailableError) return err;
  const detail =
    err instanceof Stripe.errors.StripeError
      ? `${err.type}${err.statusCode ? ` ${err.statusCode}` : ''}: ${err.message}`
      : err instanceof Error
        ? err.message
        : String(err);
  return new ProviderUnavailableError(`Stripe failed while ${doing}: ${detail}`, { cause: err });
}
