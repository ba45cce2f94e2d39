import { backoffMs } from '@billing/messaging';
import type { Logger } from '@nestjs/common';

/** How long rounds wait after a failure: `initialMs`, doubling up to `maxMs`. */
export interface BackoffSettings {
  readonly initialMs: number;
  readonly maxMs: number;
}

/**
 * The failures in a row of a scheduler's rounds (`ExpiryScheduler`, `AutoTopUpScheduler`): after
 * each, no round starts until a backoff has passed (500 ms, doubling, at most 10 s by default: the
 * database may be restarting), and one error line says how many failed and how long the wait is,
 * so that an outage costs one log line per backoff step, not one per interval.
 */
export class FailureBackoff {
  private failures = 0;
  private retryAt = 0;

  /**
   * @param logger the scheduler's
   * @param round what a round is, for the error line (`expiry round`)
   */
  constructor(
    private readonly logger: Logger,
    private readonly round: string,
    private readonly settings: BackoffSettings = { initialMs: 500, maxMs: 10_000 },
  ) {}

  /** Whether a backoff is running: no round should start now. */
  get waiting(): boolean {
    return Date.now() < this.retryAt;
  }

  /** Ends the running backoff (what failed is back: a connection). The count stays. */
  clear(): void {
    this.retryAt = 0;
  }

  /** A round succeeded; returns how many had failed in a row before it, and starts over. */
  succeeded(): number {
    const failed = this.failures;
    this.failures = 0;
    return failed;
  }

  /** A round failed: the next waits, doubling, and one error line says so. */
  failed(err: unknown): void {
    this.failures += 1;
    const wait = backoffMs(this.failures, this.settings.initialMs, this.settings.maxMs);
    this.retryAt = Date.now() + wait;
    this.logger.error(
      `${this.round} failed (${this.failures} in a row; next in ${wait} ms): ` +
        (err instanceof Error ? err.message : String(err)),
    );
  }
}
