import Stripe from 'stripe';
import {
  ProviderUnavailableError,
  type ChargeResult,
  type CheckoutRequest,
  type CheckoutResult,
  type OffSessionChargeRequest,
  type PaymentProvider,
} from '../../ports/payment-provider.js';

/**
 * The payment provider port on Stripe:
 *
 * - a manual top-up is a Checkout Session, mode `payment`, one line item of the top-up amount,
 *   `allowed_payment_method_types` card and Alipay (the API version this library pins,
 *   2026-10-28.endive, replaced `payment_method_types` by `allowed_payment_method_types`),
 *   `metadata.accountId/topUpId/trigger` on the session and, through `payment_intent_data`, on its
 *   PaymentIntent; the idempotency key is the top-up id;
 * - an auto top-up is a PaymentIntent confirmed off-session on the saved card, same metadata with
 *   `trigger = "auto"`, the idempotency key of the attempt.
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
    try {
      const session = await this.stripe.checkout.sessions.create(
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
          allowed_payment_method_types: [
            ...request.paymentMethodTypes,
          ] as Stripe.Checkout.SessionCreateParams.AllowedPaymentMethodType[],
          success_url: request.successUrl,
          cancel_url: request.cancelUrl,
          client_reference_id: request.topUpId,
          metadata,
          payment_intent_data: { metadata, description: `Top-up ${request.topUpId}` },
        },
        { idempotencyKey: request.topUpId },
      );
      if (!session.url)
        throw new Error(`Stripe returned checkout session ${session.id} without a url`);
      return { kind: 'redirect', sessionId: session.id, url: session.url };
    } catch (err) {
      throw unavailable(err, 'creating a checkout session');
    }
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
