import { createHash, randomBytes } from 'node:crypto';
import type {
  BuilderSubscriptionCheckoutRequest,
  BuilderSubscriptionCheckoutResult,
  ChargeResult,
  CheckoutRequest,
  CheckoutResult,
  CustomerRequest,
  OffSessionChargeRequest,
  PaymentMethodSetupRequest,
  PaymentMethodSetupResult,
  PaymentProvider,
  SavedPaymentMethod,
} from '../domain/payment-provider.js';

const SIM_CUSTOMER = /^cus_sim_([0-9a-f]{24})$/;
const SIM_PAYMENT_METHOD = /^pm_sim_([0-9a-f]{24})_[0-9a-f]{16}$/;

/**
 * The standalone mode's payment provider: no network, no money. A checkout is paid the moment it
 * is opened, a card is saved the moment its setup is opened, and an off-session charge of a saved
 * card succeeds, so a developer can top up, link a card and spend offline.
 *
 * It keeps no state of its own, so it agrees with the database after a restart: the customer id is
 * derived from the account id, and a payment method id carries its customer's part
 * (`pm_sim_<customer>_<random>`). Only detaching is remembered (in memory): after a restart the
 * service's own record of the detachment still refuses the card.
 *
 * It refuses to exist in production (NODE_ENV=production): a configuration mistake there would
 * credit accounts for nothing. The check is in the constructor, so no code path can get one.
 */
export class SimulatedPaymentProvider implements PaymentProvider {
  readonly name = 'simulated';
  private readonly detached = new Set<string>();

  constructor(nodeEnv: string | undefined) {
    if (nodeEnv === 'production') {
      throw new Error(
        'the simulated payment provider credits top-ups without payment and is refused when NODE_ENV=production',
      );
    }
  }

  /**
   * Subscribed and the first month paid at once: the period runs from now to the same instant of
   * the next UTC calendar month (clamped to its last day). Ids derive from the account and the
   * request's idempotency key, so a retry names the same subscription and invoice.
   */
  createBuilderSubscriptionCheckout(
    request: BuilderSubscriptionCheckoutRequest,
  ): Promise<BuilderSubscriptionCheckoutResult> {
    if (request.monthlyPriceCents === null) {
      throw new Error('the simulated Builder subscription needs BUILDER_MONTHLY_PRICE_USD');
    }
    const id = createHash('sha256')
      .update(`${request.accountId}\n${request.idempotencyKey}`)
      .digest('hex')
      .slice(0, 24);
    const startMs = request.atMs;
    return Promise.resolve({
      kind: 'subscribed',
      sessionId: `sim_cs_sub_${id}`,
      url: request.successUrl,
      subscriptionId: `sub_sim_${id}`,
      providerInvoiceId: `in_sim_${id}`,
      amountCents: request.monthlyPriceCents,
      periodStartMs: startMs,
      periodEndMs: addOneMonth(startMs),
    });
  }

  createCheckout(request: CheckoutRequest): Promise<CheckoutResult> {
    return Promise.resolve({
      kind: 'settled',
      sessionId: `sim_cs_${request.topUpId}`,
      url: request.successUrl,
      paymentReference: `sim_pi_${request.topUpId}`,
      method: request.paymentMethodTypes[0] ?? 'card',
    });
  }

  chargeOffSession(request: OffSessionChargeRequest): Promise<ChargeResult> {
    const pm = this.read(request.paymentMethodId);
    if (pm === undefined || pm.customerId !== request.customerId) {
      // As Stripe refuses a payment method that is not attached to the customer.
      return Promise.resolve({
        kind: 'declined',
        code: 'payment_method_not_attached',
        message: 'The payment method is not attached to this customer.',
        paymentReference: null,
      });
    }
    return Promise.resolve({
      kind: 'succeeded',
      paymentReference: `sim_pi_${request.topUpId}`,
      method: 'card',
    });
  }

  paymentMethodOf(): Promise<string> {
    return Promise.resolve('card');
  }

  createCustomer(request: CustomerRequest): Promise<{ readonly customerId: string }> {
    return Promise.resolve({ customerId: `cus_sim_${digest(request.accountId)}` });
  }

  createPaymentMethodSetup(request: PaymentMethodSetupRequest): Promise<PaymentMethodSetupResult> {
    const customer = SIM_CUSTOMER.exec(request.customerId);
    if (customer === null) {
      return Promise.reject(new Error(`${request.customerId} is not a simulated customer`));
    }
    const id = `pm_sim_${customer[1] ?? ''}_${randomBytes(8).toString('hex')}`;
    const paymentMethod = this.read(id);
    if (paymentMethod === undefined) return Promise.reject(new Error(`cannot read back ${id}`));
    return Promise.resolve({
      kind: 'saved',
      sessionId: `sim_cs_setup_${id}`,
      url: request.successUrl,
      paymentMethod,
    });
  }

  retrievePaymentMethod(paymentMethodId: string): Promise<SavedPaymentMethod | undefined> {
    return Promise.resolve(this.read(paymentMethodId));
  }

  paymentMethodOfSetup(): Promise<string | undefined> {
    // Setups complete at once and are recorded then; no setup webhook ever names one.
    return Promise.resolve(undefined);
  }

  detachPaymentMethod(paymentMethodId: string): Promise<void> {
    this.detached.add(paymentMethodId);
    return Promise.resolve();
  }

  private read(id: string): SavedPaymentMethod | undefined {
    const m = SIM_PAYMENT_METHOD.exec(id);
    if (m === null) return undefined;
    return {
      id,
      customerId: this.detached.has(id) ? null : `cus_sim_${m[1] ?? ''}`,
      type: 'card',
      card: { brand: 'visa', last4: '4242', expMonth: 12, expYear: 2034 },
    };
  }
}

function digest(accountId: string): string {
  return createHash('sha256').update(accountId).digest('hex').slice(0, 24);
}

/** The same instant one UTC calendar month later, on the month's last day when it has fewer days. */
export function addOneMonth(ms: number): number {
  const d = new Date(ms);
  const year = d.getUTCFullYear();
  const month = d.getUTCMonth() + 1;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return Date.UTC(
    year,
    month,
    Math.min(d.getUTCDate(), lastDay),
    d.getUTCHours(),
    d.getUTCMinutes(),
    d.getUTCSeconds(),
    d.getUTCMilliseconds(),
  );
}
