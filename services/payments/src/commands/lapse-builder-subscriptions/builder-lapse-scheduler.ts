import { PeriodicTask } from '@billing/service-kit';
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
  private readonly task = new PeriodicTask(
    this.logger,
    'Builder lapse sweep',
    () => this.commandBus.execute(new LapseBuilderSubscriptionsCommand()),
    (result: LapseBuilderSubscriptionsResult) => {
      if (result.lapsed > 0) {
        this.logger.log(`${result.lapsed} Builder subscription(s) lapsed with no renewal`);
      }
    },
  );

  constructor(
    private readonly commandBus: CommandBus,
    @Inject(PAYMENTS_OPTIONS) private readonly options: ResolvedPaymentsOptions,
  ) {}

  start(): void {
    this.task.start(this.options.builderPlan.lapseSweepIntervalMs);
  }

  stop(): Promise<void> {
    return this.task.stop();
  }

  /** One sweep, awaited; a call during a sweep answers that sweep (tests and ops). */
  runOnce(): Promise<LapseBuilderSubscriptionsResult> {
    return this.task.runOnce();
  }
}
