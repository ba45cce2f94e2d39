import { FailureBackoff } from '@billing/service-kit';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { PAYMENTS_OPTIONS, type ResolvedPaymentsOptions } from '../../payments.options.js';
import {
  LapseBuilderSubscriptionsCommand,
  type LapseBuilderSubscriptionsResult,
} from './lapse-builder-subscriptions.command.js';

/**
 * Sends a LapseBuilderSubscriptionsCommand every `builderPlan.lapseSweepIntervalMs` (60 s by
 * default; 0: never, tests send it themselves). Nothing wakes it early: a lapse is due at a time,
 * not because something was written, and a minute late on a grace of days is nothing. The work is
 * in the rows, so a restarted process or another replica finds it again.
 */
@Injectable()
export class BuilderLapseScheduler {
  private readonly logger = new Logger('BuilderLapseScheduler');
  private timer: NodeJS.Timeout | undefined;
  private sweep: Promise<LapseBuilderSubscriptionsResult> | undefined;
  // A database outage costs one log line per backoff step, not one per interval.
  private readonly backoff = new FailureBackoff(this.logger, 'Builder lapse sweep');

  constructor(
    private readonly commandBus: CommandBus,
    @Inject(PAYMENTS_OPTIONS) private readonly options: ResolvedPaymentsOptions,
  ) {}

  start(): void {
    const every = this.options.builderPlan.lapseSweepIntervalMs;
    if (every <= 0) return;
    this.timer = setInterval(() => {
      if (this.sweep !== undefined || this.backoff.waiting) return;
      this.runOnce().then(
        (result) => {
          this.backoff.succeeded();
          if (result.lapsed > 0) {
            this.logger.log(`${result.lapsed} Builder subscription(s) lapsed with no renewal`);
          }
        },
        (err: unknown) => this.backoff.failed(err),
      );
    }, every);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.sweep?.catch(() => undefined);
  }

  /** One sweep, awaited; a call during a sweep answers that sweep (tests and ops). */
  runOnce(): Promise<LapseBuilderSubscriptionsResult> {
    this.sweep ??= this.commandBus.execute(new LapseBuilderSubscriptionsCommand()).finally(() => {
      this.sweep = undefined;
    });
    return this.sweep;
  }
}
