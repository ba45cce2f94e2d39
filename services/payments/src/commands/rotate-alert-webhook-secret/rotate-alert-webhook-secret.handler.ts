import { withTransaction } from '@billing/service-kit';
import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { fail, ok, type Result } from '../../domain/index.js';
import { newWebhookSecret } from '../../infrastructure/alerts/alert-signature.js';
import { PaymentsStore } from '../../infrastructure/payments-store.js';
import { PAYMENTS_OPTIONS, type ResolvedPaymentsOptions } from '../../payments.options.js';
import { RotateAlertWebhookSecretCommand } from './rotate-alert-webhook-secret.command.js';

@CommandHandler(RotateAlertWebhookSecretCommand)
export class RotateAlertWebhookSecretHandler implements ICommandHandler<RotateAlertWebhookSecretCommand> {
  constructor(
    private readonly store: PaymentsStore,
    @Inject(PAYMENTS_OPTIONS) private readonly options: ResolvedPaymentsOptions,
  ) {}

  async execute({
    accountId,
  }: RotateAlertWebhookSecretCommand): Promise<Result<{ webhookSecret: string }>> {
    return withTransaction(this.store.pool, async (client) => {
      const settings = await this.store.lowBalanceAlerts.get(client, accountId, true);
      if (settings?.webhookUrl == null) {
        return fail('PAYMENTS.NOT_FOUND', 'no low-balance alert webhook is configured');
      }
      const webhookSecret = newWebhookSecret();
      await this.store.lowBalanceAlerts.save(client, {
        ...settings,
        webhookSecret,
        updatedAtMs: this.options.nowMs(),
      });
      return ok({ webhookSecret });
    });
  }
}
