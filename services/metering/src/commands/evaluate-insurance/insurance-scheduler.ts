import { PeriodicTask } from '@billing/service-kit';
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
 */
@Injectable()
export class InsuranceScheduler {
  // Rounds back to back while they come back full, at most MAX_ROUNDS_PER_TICK a tick.
  private readonly task = new PeriodicTask(
    new Logger('InsuranceScheduler'),
    'insurance evaluation',
    async () => {
      for (let i = 0; i < MAX_ROUNDS_PER_TICK; i++) {
        if ((await this.runOnce()).more === false) return;
      }
    },
  );

  constructor(
    private readonly commandBus: CommandBus,
    @Inject(METERING_OPTIONS) private readonly options: ResolvedMeteringOptions,
  ) {}

  start(): void {
    const { enabled, evaluateEveryMs } = this.options.insurance;
    if (enabled) this.task.start(evaluateEveryMs);
  }

  stop(): Promise<void> {
    return this.task.stop();
  }

  /** One round, awaited (tests and ops may drive it directly). */
  runOnce(): Promise<EvaluateInsuranceResult> {
    return this.commandBus.execute(new EvaluateInsuranceCommand());
  }
}
