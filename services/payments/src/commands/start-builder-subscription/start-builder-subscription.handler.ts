import { randomUUID } from 'node:crypto';
import { Inject, Logger } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { centsOf, fail, nanosOfCents, ok, type Result } from '../../domain/index.js';
import {
  PAYMENT_PROVIDER,
  ProviderUnavailableError,
  type BuilderSubscriptionCheckoutResult,
  type PaymentProvider,
} from '../../domain/payment-provider.js';
import { PaymentsStore } from '../../infrastructure/payments-store.js';
import { PAYMENTS_OPTIONS, type ResolvedPaymentsOptions } from '../../payments.options.js';
import { BuilderSubscriptions } from '../builder-subscriptions.js';
import { PaymentMethods } from '../payment-methods.js';
import {
  StartBuilderSubscriptionCommand,
  type StartedBuilderSubscription,
} from './start-builder-subscription.command.js';

@CommandHandler(StartBuilderSubscriptionCommand)
export class StartBuilderSubscriptionHandler implements ICommandHandler<StartBuilderSubscriptionCommand> {
  private readonly logger = new Logger('BuilderSubscription');

  constructor(
    private readonly store: PaymentsStore,
    private readonly paymentMethods: PaymentMethods,
    private readonly subscriptions: BuilderSubscriptions,
    @Inject(PAYMENT_PROVIDER) private readonly provider: PaymentProvider,
    @Inject(PAYMENTS_OPTIONS) private readonly options: ResolvedPaymentsOptions,
  ) {}

  async execute({
    accountId,
  }: StartBuilderSubscriptionCommand): Promise<Result<StartedBuilderSubscription>> {
    const { priceId, monthlyPriceNanos } = this.options.builderPlan;
    const simulated = this.provider.name === 'simulated';
    if (simulated ? monthlyPriceNanos === null : priceId === null) {
      return fail('PAYMENTS.BUILDER_PLAN_UNAVAILABLE', 'this deployment sells no Builder plan');
    }
    const current = await this.store.builderSubscriptions.get(this.store.pool, accountId);
    if (current?.active === true) {
      return fail(
        'PAYMENTS.BUILDER_SUBSCRIPTION_ACTIVE',
        'the account holds an active Builder subscription already',
      );
    }
    const nowMs = this.options.nowMs();
    let page: BuilderSubscriptionCheckoutResult;
    try {
      const customerId = await this.paymentMethods.ensureCustomer(accountId);
      page = await this.provider.createBuilderSubscriptionCheckout({
        accountId,
        customerId,
        priceId,
        monthlyPriceCents: monthlyPriceNanos === null ? null : centsOf(monthlyPriceNanos),
        successUrl: this.options.checkout.successUrl,
        cancelUrl: this.options.checkout.cancelUrl,
        // A fresh checkout each time: an abandoned one must not be answered again.
        idempotencyKey: `builder:${accountId}:${randomUUID()}`,
        atMs: nowMs,
      });
    } catch (err) {
      if (!(err instanceof ProviderUnavailableError)) throw err;
      this.logger.warn(`cannot open a Builder checkout for ${accountId}: ${err.message}`);
      return fail(
        'PAYMENTS.PROVIDER_UNAVAILABLE',
        'the payment provider is not available right now; please try again',
      );
    }
    if (page.kind === 'redirect') {
      return ok({ status: 'pending', checkoutUrl: page.url, sessionId: page.sessionId });
    }
    // The simulated provider paid the first period: recorded as its invoice.paid would be.
    await this.subscriptions.handleEvent(
      `evt_sim_${page.providerInvoiceId}`,
      'invoice.paid',
      accountId,
      {
        kind: 'invoice_paid',
        subscriptionId: page.subscriptionId,
        providerInvoiceId: page.providerInvoiceId,
        amountNanos: nanosOfCents(page.amountCents),
        currency: 'usd',
        periodStartMs: page.periodStartMs,
        periodEndMs: page.periodEndMs,
        customer: null,
      },
    );
    return ok({ status: 'active', checkoutUrl: page.url, sessionId: page.sessionId });
  }
}
