import { Inject, Injectable, Logger } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { FailureBackoff, PG_POOL } from '@billing/service-kit';
import type pg from 'pg';
import { LEDGER_OPTIONS, type ResolvedLedgerOptions } from '../../ledger.options.js';
import { ExpireDueCommand, type ExpireDueResult } from './expire-due.command.js';

/** Accounts expired per round; a backlog is worked off round after round. */
const ACCOUNTS_PER_ROUND = 500;

/**
 * Drives expiry: every `schedulerIntervalMs` it asks `expiry_schedule` which accounts have a hold
 * or a lot due at the ledger's clock and sends them an ExpireDueCommand. Small on purpose: the
 * domain decides what expires, commands that draw money settle what is due themselves (a late
 * scheduler never lets a charge use an expired lot), and several replicas may run it at once
 * (the per-account queue and the stream version keep that harmless).
 */
@Injectable()
export class ExpiryScheduler {
  private readonly logger = new Logger('ExpiryScheduler');
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<ExpireDueResult> | undefined;
  // Nothing is lost by a late round (charges settle what is due themselves), so a database
  // outage costs one log line per backoff step, not one per interval.
  private readonly backoff = new FailureBackoff(this.logger, 'expiry round');

  constructor(
    private readonly commandBus: CommandBus,
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(LEDGER_OPTIONS) private readonly options: ResolvedLedgerOptions,
  ) {}

  start(): void {
    const every = this.options.schedulerIntervalMs;
    if (every <= 0) return;
    this.timer = setInterval(() => {
      if (this.round !== undefined || this.backoff.waiting) return;
      this.runOnce().then(
        () => {
          const failed = this.backoff.succeeded();
          if (failed > 0) this.logger.log(`expiry rounds resume after ${failed} failed`);
        },
        (err: unknown) => this.backoff.failed(err),
      );
    }, every);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.round?.catch(() => undefined);
  }

  /** One round: every account due now (up to a limit), expired. Exposed for tests and ops. */
  runOnce(): Promise<ExpireDueResult> {
    this.round ??= this.expireDue().finally(() => {
      this.round = undefined;
    });
    return this.round;
  }

  private async expireDue(): Promise<ExpireDueResult> {
    const now = new Date(this.options.nowMs()).toISOString();
    const due = await this.pool.query<{ account_id: string }>(
      `SELECT account_id FROM "${this.options.schema}".expiry_schedule
       WHERE due_at <= $1::timestamptz ORDER BY due_at LIMIT $2`,
      [now, ACCOUNTS_PER_ROUND],
    );
    if (due.rows.length === 0) return { accounts: 0, events: 0 };
    return this.commandBus.execute(new ExpireDueCommand(due.rows.map((r) => r.account_id)));
  }
}
