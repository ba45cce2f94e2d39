import { withTransaction, type Queryable } from '@billing/service-kit';
import { randomUUID } from 'node:crypto';
import { Inject, Logger } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { PaymentOutcomes } from '../payment-outcomes.js';
import { formatUsd } from '@billing/money';
import {
  centsOf,
  fail,
  ok,
  parseTopUpAmount,
  type DiscountQuote,
  type Result,
} from '../../domain/index.js';
import { PromotionRedemptions } from '../promotion-redemptions.js';
import { PaymentsStore } from '../../infrastructure/payments-store.js';
import { PAYMENTS_OPTIONS, type ResolvedPaymentsOptions } from '../../payments.options.js';
import {
  PAYMENT_PROVIDER,
  ProviderUnavailableError,
  type CheckoutResult,
  type PaymentProvider,
} from '../../domain/payment-provider.js';
import { CreateTopUpCommand, type CreatedTopUp } from './create-top-up.command.js';

/** What a manual top-up may be paid with when the customer did not choose. */
export const DEFAULT_CHECKOUT_METHODS = ['card', 'alipay'] as const;

/**
 * The top-up row is committed first, then the provider is called (never inside a transaction: a
 * slow provider must not hold locks or connections), then the checkout is recorded. The provider
 * call's idempotency key is the top-up id, so a retry never opens a second checkout.
 */
@CommandHandler(CreateTopUpCommand)
export class CreateTopUpHandler implements ICommandHandler<CreateTopUpCommand> {
  private readonly logger = new Logger('CreateTopUp');

  constructor(
    private readonly store: PaymentsStore,
    private readonly outcomes: PaymentOutcomes,
    private readonly promotions: PromotionRedemptions,
    @Inject(PAYMENT_PROVIDER) private readonly provider: PaymentProvider,
    @Inject(PAYMENTS_OPTIONS) private readonly options: ResolvedPaymentsOptions,
  ) {}

  async execute({
    accountId,
    amount,
    method,
    promotionCode,
  }: CreateTopUpCommand): Promise<Result<CreatedTopUp>> {
    const parsed = parseTopUpAmount(amount, this.options.topUpLimits);
    if (!parsed.ok) return parsed;
    const topUpId = `tu_${randomUUID().replaceAll('-', '')}`;
    const insert = (db: Queryable, amountNanos: bigint): Promise<void> =>
      this.store.topUps.insert(db, {
        topUpId,
        accountId,
        amountNanos,
        trigger: 'manual',
        requestedMethod: method ?? null,
        createdAtMs: this.options.nowMs(),
        chargeState: null,
        customerId: null,
        paymentMethodId: null,
      });
    let discount: DiscountQuote | null = null;
    if (promotionCode === undefined) {
      await insert(this.store.pool, parsed.value);
    } else {
      // The top-up and the code's reservation commit together, under the code's row lock.
      const reserved = await withTransaction(this.store.pool, (client) =>
        this.promotions.reserve(
          client,
          { accountId, topUpId, code: promotionCode },
          parsed.value,
          (charged) => insert(client, charged),
        ),
      );
      if (!reserved.ok) return reserved;
      discount = reserved.value;
    }
    // What the provider charges: the top-up's own amount from here on.
    const amountNanos = discount?.chargedNanos ?? parsed.value;
    const answer = {
      charged: formatUsd(amountNanos),
      discount: discount === null ? null : formatUsd(discount.discountNanos),
      promotionCode: discount?.code ?? null,
    };

    let checkout: CheckoutResult;
    try {
      checkout = await this.provider.createCheckout({
        topUpId,
        accountId,
        amountCents: centsOf(amountNanos),
        paymentMethodTypes: method === undefined ? DEFAULT_CHECKOUT_METHODS : [method],
        successUrl: this.options.checkout.successUrl,
        cancelUrl: this.options.checkout.cancelUrl,
      });
    } catch (err) {
      if (!(err instanceof ProviderUnavailableError)) throw err;
      this.logger.error(`top-up ${topUpId}: ${err.message}`);
      await this.store.topUps.markFailed(this.store.pool, topUpId, {
        code: 'checkout_unavailable',
        message: 'the payment provider could not open a checkout',
        atMs: this.options.nowMs(),
      });
      await this.promotions.release(this.store.pool, topUpId);
      return fail(
        'PAYMENTS.PROVIDER_UNAVAILABLE',
        'the payment provider is not available right now; please try again',
      );
    }

    if (checkout.kind === 'redirect') {
      await this.store.topUps.setCheckout(
        this.store.pool,
        topUpId,
        checkout.sessionId,
        checkout.url,
      );
      return ok({ topUpId, status: 'pending', checkoutUrl: checkout.url, ...answer });
    }
    // The simulated provider: paid at once, settled through the same path as a webhook.
    await withTransaction(this.store.pool, async (client) => {
      await this.store.topUps.setCheckout(client, topUpId, checkout.sessionId, checkout.url);
      const locked = await this.store.lockTopUp(client, topUpId);
      if (locked === undefined) throw new Error(`top-up ${topUpId} vanished`);
      await this.outcomes.apply(client, locked.topUp, undefined, {
        kind: 'succeeded',
        source: 'simulated',
        amountNanos,
        currency: 'usd',
        paymentReference: checkout.paymentReference,
        method: checkout.method,
      });
    });
    return ok({ topUpId, status: 'settled', checkoutUrl: checkout.url, ...answer });
  }
}
