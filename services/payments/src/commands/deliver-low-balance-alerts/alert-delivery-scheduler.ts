import { FailureBackoff, fromPool, PgListener } from '@billing/service-kit';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { alertWorkerChannel, PaymentsStore } from '../../infrastructure/payments-store.js';
import { PAYMENTS_OPTIONS, type ResolvedPaymentsOptions } from '../../payments.options.js';
import {
  DeliverLowBalanceAlertsCommand,
  type DeliverLowBalanceAlertsResult,
} from './deliver-low-balance-alerts.command.js';

/**
 * Drives alert delivery: a DeliverLowBalanceAlertsCommand when a Postgres notification says (at
 * commit) that an alert was written, and every `sweepIntervalMs` regardless (retries that came
 * due, leases left by a crash, lost notifications). The work is in rows, not in this object: a
 * restarted process finds every pending delivery again. One sweep at a time per process; other
 * instances sweep too and take other rows.
 */
@Injectable()
export class AlertDeliveryScheduler {
  private readonly logger = new Logger('AlertDeliveryScheduler');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private rerun = false;
  private stopped = true;
  private readonly backoff = new FailureBackoff(this.logger, 'alert delivery sweep');
  private readonly listener: PgListener;

  constructor(
    private readonly commandBus: CommandBus,
    store: PaymentsStore,
    @Inject(PAYMENTS_OPTIONS) private readonly options: ResolvedPaymentsOptions,
  ) {
    this.listener = new PgListener({
      name: 'AlertDeliveryScheduler.listener',
      connect: fromPool(store.pool),
      channels: [alertWorkerChannel(store.schema)],
      onNotification: () => this.kick(),
      onConnected: () => {
        this.backoff.clear();
        this.kick();
      },
    });
  }

  start(): void {
    this.stopped = false;
    const interval = this.options.lowBalanceAlerts.sweepIntervalMs;
    if (interval > 0) {
      this.timer = setInterval(() => this.kick(), interval);
      this.timer.unref();
      this.listener.startInBackground();
    }
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    await this.listener.stop();
  }

  /** Runs a sweep now, or right after the one in progress. */
  kick(): void {
    if (this.stopped || this.backoff.waiting) return;
    if (this.running) {
      this.rerun = true;
      return;
    }
    this.running = this.loop().finally(() => (this.running = undefined));
  }

  /** One sweep, awaited (tests may drive it directly). */
  runOnce(): Promise<DeliverLowBalanceAlertsResult> {
    return this.commandBus.execute(new DeliverLowBalanceAlertsCommand());
  }

  private async loop(): Promise<void> {
    do {
      this.rerun = false;
      try {
        const result = await this.runOnce();
        this.backoff.succeeded();
        // A full batch may have left more due rows behind it.
        if (result.attempted >= this.options.lowBalanceAlerts.batchSize) this.rerun = true;
      } catch (err) {
        this.backoff.failed(err);
        return;
      }
    } while (this.rerun && !this.stopped);
  }
}
