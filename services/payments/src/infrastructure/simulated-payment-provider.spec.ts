import { SimulatedPaymentProvider } from './simulated-payment-provider.js';

describe('SimulatedPaymentProvider', () => {
  it('refuses to exist in production', () => {
    expect(() => new SimulatedPaymentProvider('production')).toThrow(
      /refused when NODE_ENV=production/,
    );
  });

  it('settles a checkout at once elsewhere', async () => {
    const provider = new SimulatedPaymentProvider('development');
    await expect(
      provider.createCheckout({
        topUpId: 'tu_1',
        accountId: 'acct_1',
        amountCents: 1000,
        paymentMethodTypes: ['card', 'alipay'],
        successUrl: 'http://x/ok',
        cancelUrl: 'http://x/no',
      }),
    ).resolves.toMatchObject({ kind: 'settled', paymentReference: 'sim_pi_tu_1', method: 'card' });
  });
});
