import type {
  ChargeResult,
  CheckoutRequest,
  CheckoutResult,
  OffSessionChargeRequest,
  PaymentProvider,
} from '../ports/payment-provider.js';

/**
 * The standalone mode's payment provider: no network, no money. A checkout is paid the moment it
 * is opened and an off-session charge always succeeds, so a developer can top up and spend offline.
 *
 * It refuses to exist in production (NODE_ENV=production): a configuration mistake there would
 * credit accounts for nothing. The check is in the constructor, so no code path can get one.
 */
export class SimulatedPaymentProvider implements PaymentProvider {
  readonly name = 'simulated';

  constructor(nodeEnv: string | undefined) {
    if (nodeEnv === 'production') {
      throw new Error(
        'the simulated payment provider credits top-ups without payment and is refused when NODE_ENV=production',
      );
    }
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
    return Promise.resolve({
      kind: 'succeeded',
      paymentReference: `sim_pi_${request.topUpId}`,
      method: 'card',
    });
  }

  paymentMethodOf(): Promise<string> {
    return Promise.resolve('card');
  }
}
