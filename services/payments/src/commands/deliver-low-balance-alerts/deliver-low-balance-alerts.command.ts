import { Command } from '@nestjs/cqrs';

export interface DeliverLowBalanceAlertsResult {
  readonly attempted: number;
  readonly delivered: number;
  readonly failed: number;
}

/**
 * One sweep of the alert outbox: claim the due deliveries (this instance's, not another's), send
 * each once, record each outcome (delivered, retry later with backoff, or failed for good).
 */
export class DeliverLowBalanceAlertsCommand extends Command<DeliverLowBalanceAlertsResult> {}
