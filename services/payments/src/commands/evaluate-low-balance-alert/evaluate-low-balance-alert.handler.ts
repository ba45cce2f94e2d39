import { formatUsd, parseUsd } from '@billing/money';
import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { onAlertBalanceReported } from '../../domain/index.js';
import type { AlertChannel } from '../../infrastructure/alerts/low-balance-alert-repository.js';
import { PaymentsStore } from '../../infrastructure/payments-store.js';
import { PAYMENTS_OPTIONS, type ResolvedPaymentsOptions } from '../../payments.options.js';
import { EvaluateLowBalanceAlertCommand } from './evaluate-low-balance-alert.command.js';

/** What a customer's webhook receives (and what the e-mail is written from). */
export interface LowBalanceAlertPayload {
  /** The alert: one per crossing, the same in every delivery and retry of it. */
  readonly id: string;
  readonly type: 'balance.low';
  readonly accountId: string;
  readonly threshold: string;
  readonly available: string;
  /** When the ledger changed the balance (the BalanceChanged's `occurredAt`). */
  readonly occurredAt: string;
}

/**
 * Applies the crossing rule under the alert row's lock and, on a crossing, writes one delivery per
 * configured channel into `alert_deliveries` and wakes the delivery worker at commit. Nothing is
 * sent here: the worker sends after this transaction commits.
 */
@CommandHandler(EvaluateLowBalanceAlertCommand)
export class EvaluateLowBalanceAlertHandler implements ICommandHandler<EvaluateLowBalanceAlertCommand> {
  constructor(
    private readonly store: PaymentsStore,
    @Inject(PAYMENTS_OPTIONS) private readonly options: ResolvedPaymentsOptions,
  ) {}

  async execute({
    event,
    client,
  }: EvaluateLowBalanceAlertCommand): Promise<{ alertId: string | null }> {
    const alerts = this.store.lowBalanceAlerts;
    const settings = await alerts.get(client, event.accountId, true);
    if (settings === undefined) return { alertId: null };
    const availableNanos = parseUsd(event.data.available);
    const outcome = onAlertBalanceReported(settings, {
      availableNanos,
      version: event.data.version,
    });
    if (outcome.state === settings) return { alertId: null };
    await alerts.save(client, { ...settings, ...outcome.state });
    if (!outcome.alert) return { alertId: null };

    // Derived from the event: even a path around the inbox could not make a second alert of it.
    const alertId = `alert_${event.id}`;
    const payload: LowBalanceAlertPayload = {
      id: alertId,
      type: 'balance.low',
      accountId: event.accountId,
      threshold: formatUsd(settings.thresholdNanos),
      available: formatUsd(availableNanos),
      occurredAt: new Date(event.occurredAt).toISOString(),
    };
    const body = JSON.stringify(payload);
    const channels: [AlertChannel, string | null][] = [
      ['webhook', settings.webhookUrl],
      ['email', settings.email],
    ];
    for (const [channel, destination] of channels) {
      if (destination === null) continue;
      await alerts.enqueue(client, {
        deliveryId: `dlv_${randomUUID().replaceAll('-', '')}`,
        alertId,
        accountId: event.accountId,
        channel,
        destination,
        body,
        createdAtMs: this.options.nowMs(),
      });
    }
    await this.store.notifyAlertWorker(client);
    return { alertId };
  }
}
