import { withTransaction } from '@billing/service-kit';
import type { AutoTopUpSettings } from '../../infrastructure/auto-top-up-repository.js';
import { PG_INT8_MAX, tryParseUsd } from '@billing/money';
import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { PaymentMethods } from '../payment-methods.js';
import { configureAutoTopUp, fail, ok, parseTopUpAmount, type Result } from '../../domain/index.js';
import { PaymentsStore } from '../../infrastructure/payments-store.js';
import { PAYMENTS_OPTIONS, type ResolvedPaymentsOptions } from '../../payments.options.js';
import {
  autoTopUpView,
  type AutoTopUpView,
} from '../../queries/get-auto-top-up/get-auto-top-up.query.js';
import { ConfigureAutoTopUpCommand } from './configure-auto-top-up.command.js';

@CommandHandler(ConfigureAutoTopUpCommand)
export class ConfigureAutoTopUpHandler implements ICommandHandler<ConfigureAutoTopUpCommand> {
  constructor(
    private readonly store: PaymentsStore,
    private readonly paymentMethods: PaymentMethods,
    @Inject(PAYMENTS_OPTIONS) private readonly options: ResolvedPaymentsOptions,
  ) {}

  async execute(c: ConfigureAutoTopUpCommand): Promise<Result<AutoTopUpView>> {
    // The amount is charged like a manual top-up: whole cents, within the same limits.
    const amount = parseTopUpAmount(c.amount, this.options.topUpLimits);
    if (!amount.ok) return amount;
    const thresholdNanos = tryParseUsd(c.threshold);
    if (thresholdNanos === undefined || thresholdNanos < 0n || thresholdNanos > PG_INT8_MAX) {
      return fail(
        'PAYMENTS.INVALID_AMOUNT',
        'threshold must be a non-negative decimal USD string, e.g. "10"',
      );
    }
    // The card must be the account's own, here and at the provider, now.
    const own = await this.paymentMethods.verifyOwn(c.accountId, c.paymentMethodId);
    if (!own.ok) return own;
    const nowMs = this.options.nowMs();
    const saved = await withTransaction<AutoTopUpSettings | undefined>(
      this.store.pool,
      async (client, rollback) => {
        const previous = await this.store.autoTopUps.get(client, c.accountId, true);
        // Under the settings lock and the card's row lock, which a removal takes too: a card removed
        // since the check above is refused here, and a removal waiting for these locks sees these
        // settings once they commit, and switches them off.
        const card = await this.store.paymentMethods.get(client, c.paymentMethodId, true);
        if (card?.accountId !== c.accountId || card.detachedAtMs !== null) {
          return rollback(undefined);
        }
        const state = configureAutoTopUp(previous ?? null, {
          enabled: c.enabled,
          thresholdNanos,
          amountNanos: amount.value,
        });
        const settings = {
          ...state,
          accountId: c.accountId,
          paymentMethodId: c.paymentMethodId,
          customerId: own.value.customerId,
          updatedAtMs: nowMs,
        };
        await this.store.autoTopUps.save(client, settings);
        // A balance already known to be below the new threshold is served by the sweeper.
        await this.store.notifyCharger(client);
        return settings;
      },
    );
    if (saved === undefined) {
      return fail(
        'PAYMENTS.PAYMENT_METHOD_NOT_ATTACHED',
        'paymentMethodId is not a card saved on this account',
      );
    }
    return ok(autoTopUpView(saved));
  }
}
