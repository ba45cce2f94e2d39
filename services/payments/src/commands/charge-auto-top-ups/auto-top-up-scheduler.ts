import { FailureBackoff, fromPool, PgListener } from '@billing/service-kit';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { chargerChannel, PaymentsStore } from '../../infrastructure/payments-store.js';
import { PAYMENTS_OPTIONS, type ResolvedPaymentsOptions } from '../../payments.options.js';
import {
  ChargeAutoTopUpsCommand,
  type ChargeAutoTopUpsResult,
} from './charge-auto-top-ups.command.js';

/**
 * Drives the auto top-up charges: sends a ChargeAutoTopUpsCommand when a Postgres notification
 * says (at commit) that someone created a charge, and every `sweepIntervalMs` regardless (retries
 * after a backoff, leases left by a crash, lost notifications). One sweep at a time; a wake-up
 * during a sweep runs another right after it.
 */
@Injectable()
export class AutoTopUpScheduler {
  private readonly logger = new Logger('AutoTopUpScheduler');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private rerun = false;
  private stopped = true;
  // A database outage costs one log line per backoff step, not one per interval; kicks are
  // ignored meanwhile. The leases and idempotency keys make a late sweep harmless.
  private readonly backoff = new FailureBackoff(this.logger, 'sweep');
  /** Wakes the sweep at commit of a new charge; reconnects after a database restart. */
  private readonly listener: PgListener;

  constructor(
    private readonly commandBus: CommandBus,
    store: PaymentsStore,
    @Inject(PAYMENTS_OPTIONS) private readonly options: ResolvedPaymentsOptions,
  ) {
    this.listener = new PgListener({
      name: 'AutoTopUpScheduler.listener',
      connect: fromPool(store.pool),
      channels: [chargerChannel(store.schema)],
      onNotification: () => this.kick(),
      // Charges created while no one listened are found by a sweep right away, not at the next
      // interval: a connection that works again also ends a failure backoff.
      onConnected: () => {
        this.backoff.clear();
        this.kick();
      },
    });
  }

  start(): void {
    this.stopped = false;
    const interval = this.options.autoTopUp.sweepIntervalMs;
    if (interval > 0) {
      this.timer = setInterval(() => this.kick(), interval);
      this.timer.unref();
      // The sweep interval works without notifications, so a database that is away at start
      // delays nothing but the wake-ups; the listener keeps trying in the background.
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

  /** Whether the notification connection is up (it reconnects by itself after a restart). */
  get listening(): boolean {
    return this.listener.connected;
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

  /** One sweep, awaited (tests and ops may drive it directly). */
  runOnce(): Promise<ChargeAutoTopUpsResult> {
    return this.commandBus.execute(new ChargeAutoTopUpsCommand());
  }

  private async loop(): Promise<void> {
    do {
      this.rerun = false;
      try {
        await this.runOnce();
        this.backoff.succeeded();
      } catch (err) {
        this.backoff.failed(err);
        return;
      }
    } while (this.rerun && !this.stopped);
  }
}
