import { Command } from '@nestjs/cqrs';
import type { Result } from '../../domain/index.js';
import type { LowBalanceAlertView } from '../../queries/get-low-balance-alert/get-low-balance-alert.query.js';

export type ConfiguredLowBalanceAlert = LowBalanceAlertView & {
  /** Present only in the answer that issued it (the first webhook URL saved): keep it. */
  readonly webhookSecret?: string;
};

/** `PUT /v1/accounts/{accountId}/low-balance-alert`. */
export class ConfigureLowBalanceAlertCommand extends Command<Result<ConfiguredLowBalanceAlert>> {
  constructor(
    readonly accountId: string,
    readonly enabled: boolean,
    readonly threshold: string,
    readonly email: string | null,
    readonly webhookUrl: string | null,
  ) {
    super();
  }
}
