import { FailureBackoff, PgListener, type DedicatedConnection } from '@billing/service-kit';
import { Logger } from '@nestjs/common';

export interface SweepSchedulerOptions {
  /** The logger's and the notification connection's name. */
  readonly name: string;
  /** What a failure log line calls one sweep. */
  readonly what: string;
  /** Opens the notification connection (`fromPool(pool)`). */
  readonly connect: () => Promise<DedicatedConnection>;
  /** The Postgres channel whose notification (sent at commit of new work) wakes a sweep. */
  readonly channel: string;
  /** A sweep at least this often, whatever the notifications; 0: only when kicked. */
  readonly intervalMs: number;
  /** One sweep; true when it may have left due work behind it (a full batch): sweep again. */
  readonly sweep: () => Promise<boolean>;
}

/**
 * Drives a sweep over work kept in rows (auto top-up charges, alert deliveries): when a Postgres
 * notification says at commit that work was written, and every `intervalMs` regardless (retries
 * come due, leases left by a crash, lost notifications). The work is in the rows, not in this
 * object, so a restarted process finds it again, and the rows' leases keep two instances apart.
 * One sweep at a time per process; a wake-up during a sweep runs another right after it.
 */
export class SweepScheduler {
  private readonly logger: Logger;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private rerun = false;
  private stopped = true;
  // A database outage costs one log line per backoff step, not one per interval; kicks are
  // ignored meanwhile. The leases and idempotency keys make a late sweep harmless.
  private readonly backoff: FailureBackoff;
  /** Wakes the sweep at commit of new work; reconnects after a database restart. */
  private readonly listener: PgListener;

  constructor(private readonly options: SweepSchedulerOptions) {
    this.logger = new Logger(options.name);
    this.backoff = new FailureBackoff(this.logger, options.what);
    this.listener = new PgListener({
      name: `${options.name}.listener`,
      connect: options.connect,
      channels: [options.channel],
      onNotification: () => this.kick(),
      // Work written while no one listened is found by a sweep right away, not at the next
      // interval: a connection that works again also ends a failure backoff.
      onConnected: () => {
        this.backoff.clear();
        this.kick();
      },
    });
  }

  start(): void {
    this.stopped = false;
    if (this.options.intervalMs > 0) {
      this.timer = setInterval(() => this.kick(), this.options.intervalMs);
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

  private async loop(): Promise<void> {
    do {
      this.rerun = false;
      try {
        if (await this.options.sweep()) this.rerun = true;
        this.backoff.succeeded();
      } catch (err) {
        this.backoff.failed(err);
        return;
      }
    } while (this.rerun && !this.stopped);
  }
}
