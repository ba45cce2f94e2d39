import { addOneMonth, SimulatedPaymentProvider } from './simulated-payment-provider.js';

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

  it('saves a card to the account customer at once, charges it only with that customer, and forgets nothing across instances but detachment', async () => {
    const provider = new SimulatedPaymentProvider('development');
    const { customerId } = await provider.createCustomer({
      accountId: 'acct_1',
      idempotencyKey: 'k',
    });
    expect(
      (await provider.createCustomer({ accountId: 'acct_1', idempotencyKey: 'k2' })).customerId,
    ).toBe(customerId);
    const other = (await provider.createCustomer({ accountId: 'acct_2', idempotencyKey: 'k' }))
      .customerId;
    expect(other).not.toBe(customerId);
    const setup = await provider.createPaymentMethodSetup({
      accountId: 'acct_1',
      customerId,
      successUrl: 'http://x/ok',
      cancelUrl: 'http://x/no',
      idempotencyKey: 's',
    });
    if (setup.kind !== 'saved') throw new Error('the simulated provider saves at once');
    const pm = setup.paymentMethod.id;
    expect(setup.paymentMethod).toMatchObject({
      customerId,
      type: 'card',
      card: { last4: '4242' },
    });
    // A new instance (a restart) still knows where the card belongs.
    const restarted = new SimulatedPaymentProvider('development');
    expect((await restarted.retrievePaymentMethod(pm))?.customerId).toBe(customerId);
    const charge = (customer: string) =>
      provider.chargeOffSession({
        topUpId: 'tu_1',
        accountId: 'acct_1',
        amountCents: 5_000,
        customerId: customer,
        paymentMethodId: pm,
        idempotencyKey: 'auto-top-up:tu_1',
      });
    await expect(charge(customerId)).resolves.toMatchObject({ kind: 'succeeded' });
    await expect(charge(other)).resolves.toMatchObject({
      kind: 'declined',
      code: 'payment_method_not_attached',
    });
    await provider.detachPaymentMethod(pm);
    expect((await provider.retrievePaymentMethod(pm))?.customerId).toBeNull();
    await expect(charge(customerId)).resolves.toMatchObject({ kind: 'declined' });
    expect(await provider.retrievePaymentMethod('pm_card_visa')).toBeUndefined();
  });
});

describe('addOneMonth (the simulated Builder period)', () => {
  it.each([
    ['2027-01-15T10:20:30.400Z', '2027-02-15T10:20:30.400Z'],
    ['2027-01-31T00:00:00.000Z', '2027-02-28T00:00:00.000Z'],
    ['2028-01-31T12:00:00.000Z', '2028-02-29T12:00:00.000Z'],
    ['2027-12-31T23:59:59.999Z', '2028-01-31T23:59:59.999Z'],
  ])('from %s ends at %s (the last day of a shorter month)', (from, to) => {
    expect(new Date(addOneMonth(Date.parse(from))).toISOString()).toBe(to);
  });
});
