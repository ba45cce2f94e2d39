import { fromPool } from '@billing/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { alertWorkerChannel, PaymentsStore } from '../../infrastructure/payments-store.js';
import { SweepScheduler } from '../../infrastructure/sweep-scheduler.js';
import { PAYMENTS_OPTIONS, type ResolvedPaymentsOptions } from '../../payments.options.js';
import {
  DeliverLowBalanceAlertsCommand,
  type DeliverLowBalanceAlertsResult,
} from './deliver-low-balance-alerts.command.js';

/**
 * Drives alert delivery: a DeliverLowBalanceAlertsCommand when a Postgres notification says (at
 * commit) that an alert was written, and every `sweepIntervalMs` regardless (retries that came
 * due, leases left by a crash, lost notifications): a {@link SweepScheduler}. Other instances
 * sweep too and take other rows.
 */
@Injectable()
export class AlertDeliveryScheduler {
  private readonly scheduler: SweepScheduler;

  constructor(
    private readonly commandBus: CommandBus,
    store: PaymentsStore,
    @Inject(PAYMENTS_OPTIONS) options: ResolvedPaymentsOptions,
  ) {
    const { sweepIntervalMs, batchSize } = options.lowBalanceAlerts;
    this.scheduler = new SweepScheduler({
      name: 'AlertDeliveryScheduler',
      what: 'alert delivery sweep',
      connect: fromPool(store.pool),
      channel: alertWorkerChannel(store.schema),
      intervalMs: sweepIntervalMs,
      // A full batch may have left more due rows behind it.
      sweep: async () => (await this.runOnce()).attempted >= batchSize,
    });
  }

  start(): void {
    this.scheduler.start();
  }

  stop(): Promise<void> {
    return this.scheduler.stop();
  }

  /** Runs a sweep now, or right after the one in progress. */
  kick(): void {
    this.scheduler.kick();
  }

  /** One sweep, awaited (tests may drive it directly). */
  runOnce(): Promise<DeliverLowBalanceAlertsResult> {
    return this.commandBus.execute(new DeliverLowBalanceAlertsCommand());
  }
}
