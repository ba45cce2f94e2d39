import { fromPool } from '@billing/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { chargerChannel, PaymentsStore } from '../../infrastructure/payments-store.js';
import { SweepScheduler } from '../../infrastructure/sweep-scheduler.js';
import { PAYMENTS_OPTIONS, type ResolvedPaymentsOptions } from '../../payments.options.js';
import {
  ChargeAutoTopUpsCommand,
  type ChargeAutoTopUpsResult,
} from './charge-auto-top-ups.command.js';

/**
 * Drives the auto top-up charges: a ChargeAutoTopUpsCommand when a Postgres notification says
 * (at commit) that someone created a charge, and every `sweepIntervalMs` regardless (retries
 * after a backoff, leases left by a crash, lost notifications): a {@link SweepScheduler}.
 */
@Injectable()
export class AutoTopUpScheduler {
  private readonly scheduler: SweepScheduler;

  constructor(
    private readonly commandBus: CommandBus,
    store: PaymentsStore,
    @Inject(PAYMENTS_OPTIONS) options: ResolvedPaymentsOptions,
  ) {
    this.scheduler = new SweepScheduler({
      name: 'AutoTopUpScheduler',
      what: 'sweep',
      connect: fromPool(store.pool),
      channel: chargerChannel(store.schema),
      intervalMs: options.autoTopUp.sweepIntervalMs,
      sweep: async () => {
        await this.runOnce();
        return false;
      },
    });
  }

  start(): void {
    this.scheduler.start();
  }

  stop(): Promise<void> {
    return this.scheduler.stop();
  }

  /** Whether the notification connection is up (it reconnects by itself after a restart). */
  get listening(): boolean {
    return this.scheduler.listening;
  }

  /** Runs a sweep now, or right after the one in progress. */
  kick(): void {
    this.scheduler.kick();
  }

  /** One sweep, awaited (tests and ops may drive it directly). */
  runOnce(): Promise<ChargeAutoTopUpsResult> {
    return this.commandBus.execute(new ChargeAutoTopUpsCommand());
  }
}
