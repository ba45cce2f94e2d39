import { randomUUID } from 'node:crypto';
import { Inject, Logger } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { PaymentMethods } from '../payment-methods.js';
import { fail, ok, type Result } from '../../domain/index.js';
import { PaymentsStore } from '../../infrastructure/payments-store.js';
import { PAYMENTS_OPTIONS, type ResolvedPaymentsOptions } from '../../payments.options.js';
import {
  PAYMENT_PROVIDER,
  ProviderUnavailableError,
  type PaymentMethodSetupResult,
  type PaymentProvider,
} from '../../domain/payment-provider.js';
import { paymentMethodView } from '../../queries/list-payment-methods/list-payment-methods.query.js';
import {
  LinkPaymentMethodCommand,
  type PaymentMethodSetup,
} from './link-payment-method.command.js';

/** Provider calls happen outside any transaction; the customer row is written once it exists. */
@CommandHandler(LinkPaymentMethodCommand)
export class LinkPaymentMethodHandler implements ICommandHandler<LinkPaymentMethodCommand> {
  private readonly logger = new Logger('LinkPaymentMethod');

  constructor(
    private readonly store: PaymentsStore,
    private readonly paymentMethods: PaymentMethods,
    @Inject(PAYMENT_PROVIDER) private readonly provider: PaymentProvider,
    @Inject(PAYMENTS_OPTIONS) private readonly options: ResolvedPaymentsOptions,
  ) {}

  async execute({ accountId }: LinkPaymentMethodCommand): Promise<Result<PaymentMethodSetup>> {
    let setup: PaymentMethodSetupResult;
    try {
      const customerId = await this.paymentMethods.ensureCustomer(accountId);
      setup = await this.provider.createPaymentMethodSetup({
        accountId,
        customerId,
        successUrl: this.options.paymentMethodSetup.successUrl,
        cancelUrl: this.options.paymentMethodSetup.cancelUrl,
        // One setup page per request; a retry of the same request by the library reuses it.
        idempotencyKey: `setup:${accountId}:${randomUUID()}`,
      });
    } catch (err) {
      if (!(err instanceof ProviderUnavailableError)) throw err;
      this.logger.warn(`cannot open a card setup for ${accountId}: ${err.message}`);
      return fail('PAYMENTS.PROVIDER_UNAVAILABLE', 'the payment provider could not be reached');
    }
    if (setup.kind === 'redirect') {
      return ok({
        status: 'pending',
        setupUrl: setup.url,
        sessionId: setup.sessionId,
        paymentMethod: null,
      });
    }
    await this.paymentMethods.recordSaved(this.store.pool, setup.paymentMethod);
    const row = await this.store.paymentMethods.get(this.store.pool, setup.paymentMethod.id);
    if (row?.accountId !== accountId) {
      throw new Error(`the provider saved ${setup.paymentMethod.id} to another customer`);
    }
    return ok({
      status: 'saved',
      setupUrl: setup.url,
      sessionId: setup.sessionId,
      paymentMethod: paymentMethodView(row, null),
    });
  }
}
