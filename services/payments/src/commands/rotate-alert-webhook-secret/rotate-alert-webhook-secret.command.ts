import { Command } from '@nestjs/cqrs';
import type { Result } from '../../domain/index.js';

/**
 * `POST /v1/accounts/{accountId}/low-balance-alert/webhook-secret`: a new signing secret replaces
 * the old one at once (deliveries are signed when sent, so retries of older alerts use it too).
 */
export class RotateAlertWebhookSecretCommand extends Command<
  Result<{ readonly webhookSecret: string }>
> {
  constructor(readonly accountId: string) {
    super();
  }
}
