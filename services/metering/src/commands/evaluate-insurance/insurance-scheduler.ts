import { FailureBackoff } from '@billing/service-kit';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { METERING_OPTIONS, type ResolvedMeteringOptions } from '../../metering.options.js';
import {
  EvaluateInsuranceCommand,
  type EvaluateInsuranceResult,
} from './evaluate-insurance.command.js';

/** Rounds run back to back while a backlog fills whole batches, at most this many per tick. */
const MAX_ROUNDS_PER_TICK = 20;

/**
 * Drives the AI insurance: every `evaluateEveryMs` an EvaluateInsuranceCommand, again at once
 * while rounds come back full. The work is in the request log and the evaluations table, not in
 * this object, so a late, missed or doubled round (several replicas) loses and repeats nothing.
 * The same shape as the ledger's ExpiryScheduler.
 */
@Injectable()
export class InsuranceScheduler {
  private readonly logger = new Logger('InsuranceScheduler');
  private timer: NodeJS.Timeout | undefined;
  private tick: Promise<void> | undefined;
  // A database outage costs one log line per backoff step, not one per interval.
  private readonly backoff = new FailureBackoff(this.logger, 'insurance evaluation');

  constructor(
    private readonly commandBus: CommandBus,
    @Inject(METERING_OPTIONS) private readonly options: ResolvedMeteringOptions,
  ) {}

  start(): void {
    const { enabled, evaluateEveryMs } = this.options.insurance;
    if (!enabled || evaluateEveryMs <= 0) return;
    this.timer = setInterval(() => {
      if (this.tick !== undefined || this.backoff.waiting) return;
      this.tick = this.rounds()
        .then(
          () => void this.backoff.succeeded(),
          (err: unknown) => this.backoff.failed(err),
        )
        .finally(() => (this.tick = undefined));
    }, evaluateEveryMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.tick;
  }

  /** One round, awaited (tests and ops may drive it directly). */
  runOnce(): Promise<EvaluateInsuranceResult> {
    return this.commandBus.execute(new EvaluateInsuranceCommand());
  }

  private async rounds(): Promise<void> {
    for (let i = 0; i < MAX_ROUNDS_PER_TICK; i++) {
      if ((await this.runOnce()).more === false) return;
    }
  }
}
