import { withTransaction } from '@billing/service-kit';
import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import {
  configureLowBalanceAlert,
  ok,
  validateAlertSettings,
  type Result,
} from '../../domain/index.js';
import { newWebhookSecret } from '../../infrastructure/alerts/alert-signature.js';
import { PaymentsStore } from '../../infrastructure/payments-store.js';
import { PAYMENTS_OPTIONS, type ResolvedPaymentsOptions } from '../../payments.options.js';
import { lowBalanceAlertView } from '../../queries/get-low-balance-alert/get-low-balance-alert.query.js';
import {
  ConfigureLowBalanceAlertCommand,
  type ConfiguredLowBalanceAlert,
} from './configure-low-balance-alert.command.js';

/**
 * Saves the settings and re-arms the alert. The webhook signing secret is issued when a webhook
 * URL is saved and none exists, and answered that once; changing the URL keeps it (rotation is its
 * own route), removing the URL deletes it, so a later URL gets a new one.
 */
@CommandHandler(ConfigureLowBalanceAlertCommand)
export class ConfigureLowBalanceAlertHandler implements ICommandHandler<ConfigureLowBalanceAlertCommand> {
  constructor(
    private readonly store: PaymentsStore,
    @Inject(PAYMENTS_OPTIONS) private readonly options: ResolvedPaymentsOptions,
  ) {}

  async execute(c: ConfigureLowBalanceAlertCommand): Promise<Result<ConfiguredLowBalanceAlert>> {
    const alerts = this.options.lowBalanceAlerts;
    const valid = validateAlertSettings(
      { enabled: c.enabled, threshold: c.threshold, email: c.email, webhookUrl: c.webhookUrl },
      { emailAvailable: alerts.smtpUrl !== null, allowHttpLoopback: alerts.allowHttpLoopback },
    );
    if (!valid.ok) return valid;
    const nowMs = this.options.nowMs();
    return withTransaction(this.store.pool, async (client) => {
      const previous = await this.store.lowBalanceAlerts.get(client, c.accountId, true);
      const state = configureLowBalanceAlert(previous ?? null, valid.value);
      let issued: string | undefined;
      let secret = previous?.webhookSecret ?? null;
      if (valid.value.webhookUrl === null) secret = null;
      else if (secret === null) secret = issued = newWebhookSecret();
      const settings = {
        ...state,
        accountId: c.accountId,
        email: valid.value.email,
        webhookUrl: valid.value.webhookUrl,
        webhookSecret: secret,
        updatedAtMs: nowMs,
      };
      await this.store.lowBalanceAlerts.save(client, settings);
      const view = lowBalanceAlertView(settings);
      return ok(issued === undefined ? view : { ...view, webhookSecret: issued });
    });
  }
}
