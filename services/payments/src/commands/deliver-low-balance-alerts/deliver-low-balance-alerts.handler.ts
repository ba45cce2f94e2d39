import { Inject, Logger } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { nextAlertAttemptDelayMs } from '../../domain/index.js';
import {
  AlertSenders,
  type AlertMailFields,
  type AttemptResult,
} from '../../infrastructure/alerts/alert-senders.js';
import type { ClaimedAlertDelivery } from '../../infrastructure/alerts/low-balance-alert-repository.js';
import { PaymentsStore } from '../../infrastructure/payments-store.js';
import { PAYMENTS_OPTIONS, type ResolvedPaymentsOptions } from '../../payments.options.js';
import {
  DeliverLowBalanceAlertsCommand,
  type DeliverLowBalanceAlertsResult,
} from './deliver-low-balance-alerts.command.js';

/**
 * Claims due deliveries with a lease (several instances never take the same row: FOR UPDATE SKIP
 * LOCKED), sends them outside any transaction, and records each result only if the claim is still
 * its own. Delivery is at least once: a process that dies after sending and before recording sends
 * again when the lease runs out, with the same delivery id and alert id for the receiver to
 * deduplicate on.
 */
@CommandHandler(DeliverLowBalanceAlertsCommand)
export class DeliverLowBalanceAlertsHandler implements ICommandHandler<DeliverLowBalanceAlertsCommand> {
  private readonly logger = new Logger('LowBalanceAlerts');

  constructor(
    private readonly store: PaymentsStore,
    private readonly senders: AlertSenders,
    @Inject(PAYMENTS_OPTIONS) private readonly options: ResolvedPaymentsOptions,
  ) {}

  async execute(): Promise<DeliverLowBalanceAlertsResult> {
    const policy = this.options.lowBalanceAlerts;
    const claimed = await this.store.lowBalanceAlerts.claimDue(
      this.store.pool,
      this.options.nowMs(),
      policy.leaseMs,
      randomUUID(),
      policy.batchSize,
    );
    const results = await Promise.all(claimed.map((d) => this.attempt(d)));
    return {
      attempted: claimed.length,
      delivered: results.filter((r) => r === 'delivered').length,
      failed: results.filter((r) => r === 'failed').length,
    };
  }

  private async attempt(d: ClaimedAlertDelivery): Promise<'delivered' | 'retry' | 'failed'> {
    const result = await this.send(d);
    const atMs = this.options.nowMs();
    const delay =
      result.delivered || result.permanent === true
        ? null
        : nextAlertAttemptDelayMs(d.attempts, this.options.lowBalanceAlerts);
    await this.store.lowBalanceAlerts.recordAttempt(this.store.pool, d, {
      delivered: result.delivered,
      responseStatus: result.responseStatus,
      error: result.error,
      nextAttemptAtMs: delay === null ? null : atMs + delay,
      atMs,
    });
    if (result.delivered) return 'delivered';
    const outcome = delay === null ? 'failed' : 'retry';
    // Ids and the error only: never the URL's query, the body or the secret.
    this.logger.warn(
      `alert delivery ${d.deliveryId} (${d.channel}, account ${d.accountId}) attempt ${d.attempts} failed: ${result.error ?? 'unknown'}; ${outcome === 'failed' ? 'giving up' : `next in ${delay} ms`}`,
    );
    return outcome;
  }

  private async send(d: ClaimedAlertDelivery): Promise<AttemptResult> {
    if (d.channel === 'email') {
      return this.senders.email(d.destination, d.deliveryId, JSON.parse(d.body) as AlertMailFields);
    }
    // The current secret signs: after a rotation, retries of older alerts verify with the new one.
    const settings = await this.store.lowBalanceAlerts.get(this.store.pool, d.accountId);
    if (settings?.webhookSecret == null) {
      return {
        delivered: false,
        responseStatus: null,
        error: 'the webhook was removed from the alert settings',
        permanent: true,
      };
    }
    return this.senders.webhook(
      d.destination,
      settings.webhookSecret,
      d.deliveryId,
      d.body,
      this.options.nowMs(),
    );
  }
}
