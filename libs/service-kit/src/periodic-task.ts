import type { Logger } from '@nestjs/common';
import { FailureBackoff } from './failure-backoff.js';

/**
 * A round of work every `everyMs`, one at a time, for the schedulers whose work is kept in rows
 * (the ledger's expiry, metering's insurance evaluation, payments' Builder lapse): a tick while a
 * round runs, or while a failure backoff waits ({@link FailureBackoff}), starts nothing, so a
 * database outage costs one log line per backoff step, not one per interval. `runOnce` runs a
 * round now, or answers the one in progress (tests and operators drive it directly).
 */
export class PeriodicTask<R> {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<R> | undefined;
  private readonly backoff: FailureBackoff;

  /**
   * @param what what a round is, for the failure line (`expiry round`)
   * @param round one round of the work
   * @param succeeded told of each round that succeeded from the timer, with how many had failed
   *   in a row before it (a log line when there is something to say)
   */
  constructor(
    logger: Logger,
    what: string,
    private readonly round: () => Promise<R>,
    private readonly succeeded: (result: R, failedBefore: number) => void = () => undefined,
  ) {
    this.backoff = new FailureBackoff(logger, what);
  }

  /** Starts the timer (`everyMs` ≤ 0: never; rounds then run only through {@link runOnce}). */
  start(everyMs: number): void {
    if (everyMs <= 0 || this.timer !== undefined) return;
    this.timer = setInterval(() => {
      if (this.running !== undefined || this.backoff.waiting) return;
      this.runOnce().then(
        (result) => this.succeeded(result, this.backoff.succeeded()),
        (err: unknown) => this.backoff.failed(err),
      );
    }, everyMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for the round in progress, if any (its failure is not thrown). */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** One round, awaited; a call during a round answers that round. */
  runOnce(): Promise<R> {
    this.running ??= this.round().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }
}
